from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(self, modules, langs, overwrite=False, imported_module=False):
        """A language added later reaches the stages and milestones made from the process templates."""
        result = super()._load_module_terms(modules, langs, overwrite=overwrite, imported_module=imported_module)
        if "kam_sales_process" in modules and "kam.process.template" in self.env:
            self.env["kam.process.template"]._kam_spread_translations(langs)
        return result
