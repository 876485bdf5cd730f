from collections import defaultdict

from odoo import models


class IrUiMenu(models.Model):
    _inherit = "ir.ui.menu"

    def load_web_menus(self, debug):
        """The web client's menus, with every action's path read in one query per action model.

        Odoo reads the path of each menu's action with a query of its own, on every
        page load: the addon's menus would cost one query each.  The menus come from
        the cached ``load_menus``; their actions' paths are fetched together first.
        """
        ids_by_model = defaultdict(set)
        for menu in self.load_menus(debug).values():
            model, _sep, action_id = (menu.get("action") or "").partition(",")
            if model in self.env and action_id.isdigit():
                ids_by_model[model].add(int(action_id))
        for model, ids in ids_by_model.items():
            self.env[model].sudo().browse(ids).fetch(["path"])
        return super().load_web_menus(debug)
