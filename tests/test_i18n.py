"""The shipped Chinese catalogues load and translate the addon's terms."""

import re

from lxml import etree
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


@tagged("post_install", "-at_install")
class TestNoEnglishInChinese(TransactionCase):
    """In zh_CN, the addon's screens, menus, fields and choices carry no English words."""

    ATTRIBUTES = ("string", "help", "placeholder", "title", "sum", "confirm")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["kam_sales_process"], ["zh_CN"], overwrite=True)
        cls.zh = cls.env(context={"lang": "zh_CN"})

    @staticmethod
    def _english(text):
        """Words of Latin letters that are not part of a Chinese text (grades A-D, 7+3, % are fine)."""
        text = (text or "").strip()
        if not text or re.search(r"[\u4e00-\u9fff]", text):
            return False
        return bool(re.search(r"[A-Za-z]{3,}", text))

    def _records(self, model):
        data = self.env["ir.model.data"].search([("module", "=", "kam_sales_process"), ("model", "=", model)])
        return self.zh[model].browse(data.mapped("res_id")).exists()

    def test_views_menus_actions(self):
        found = []
        for view in self._records("ir.ui.view"):
            arch = etree.fromstring(view.arch_db)
            for node in arch.iter():
                if not isinstance(node.tag, str):
                    continue
                texts = [node.text, node.tail] if node.tag not in ("field", "attribute", "xpath") else []
                texts += [node.get(name) for name in self.ATTRIBUTES]
                found += [f"{view.name}: {text.strip()}" for text in texts if self._english(text)]
        for menu in self._records("ir.ui.menu"):
            if self._english(menu.name):
                found.append(f"menu: {menu.name}")
        for action in self._records("ir.actions.act_window"):
            if self._english(action.name):
                found.append(f"action: {action.name}")
        self.assertFalse(found, "\n".join(found))

    def test_fields_and_choices(self):
        found = []
        extended = ("crm.lead", "res.partner", "crm.stage", "res.config.settings", "res.company")
        models = self.env["ir.model"].search(["|", ("model", "=like", "kam.%"), ("model", "in", extended)])
        for model in models:
            if model.model not in self.env:
                continue
            for name, description in (
                self.zh[model.model].fields_get(attributes=["string", "help", "selection"]).items()
            ):
                field = self.env[model.model]._fields[name]
                if (
                    not (name.startswith("kam_") or model.model.startswith("kam."))
                    or field._module != "kam_sales_process"
                ):
                    continue
                for key in ("string", "help"):
                    if self._english(description.get(key)):
                        found.append(f"{model.model}.{name} {key}: {description[key]}")
                for _value, label in description.get("selection") or []:
                    if self._english(label):
                        found.append(f"{model.model}.{name} choice: {label}")
        self.assertFalse(found, "\n".join(found))
