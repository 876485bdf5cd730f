"""The shipped Chinese catalogues load and translate the addon's terms."""

from odoo.tests import TransactionCase, tagged


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
