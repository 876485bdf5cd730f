"""The shipped Chinese catalogues load and translate the addon's terms."""

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from .common import KamGateCase


@tagged("post_install", "-at_install")
class TestChineseCatalogues(TransactionCase):
    def _load(self, lang):
        self.env["res.lang"]._activate_lang(lang)
        self.env["ir.module.module"]._load_module_terms(["kam_sales_process"], [lang], overwrite=True)

    def test_simplified_chinese(self):
        self._load("zh_CN")
        group = self.env.ref("kam_sales_process.group_kam_user").with_context(lang="zh_CN")
        self.assertEqual(group.name, "大客户经理")
        menu = self.env.ref("kam_sales_process.menu_kam_config").with_context(lang="zh_CN")
        self.assertEqual(menu.name, "大客户管理")

    def test_traditional_chinese(self):
        self._load("zh_TW")
        group = self.env.ref("kam_sales_process.group_kam_manager").with_context(lang="zh_TW")
        self.assertEqual(group.name, "大客戶經理主管")


@tagged("post_install", "-at_install")
class TestTranslatedRefusal(KamGateCase):
    def test_the_gate_refusal_reads_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kam_sales_process"], ["zh_CN"], overwrite=True)
        deal = self._new_deal(stage=self.s1).with_context(lang="zh_CN")
        with self.assertRaises(UserError) as refusal:
            deal.stage_id = self.s2
        message = str(refusal.exception)
        self.assertIn("以下商机的阶段里程碑尚未达成", message)
        self.assertIn("Budget known", message)
