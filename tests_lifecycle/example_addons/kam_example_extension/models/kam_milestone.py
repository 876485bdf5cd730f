from odoo import api, fields, models
from odoo.exceptions import ValidationError


class KamMilestone(models.Model):
    _inherit = "kam.milestone"

    # A new kind: one selection value...
    kind = fields.Selection(selection_add=[("budget", "Budget above")], ondelete={"budget": "cascade"})
    budget_min = fields.Float(string="Minimum Budget", help="The deal's expected revenue must reach this amount.")

    @api.model
    def _kam_get_kind_triggers(self):
        # ...what refreshes its rows: the deal's own fields...
        return {**super()._kam_get_kind_triggers(), "budget": {"crm.lead"}}

    def _kam_check_kind_budget(self):
        # ...and, as it has a setting, its check.
        if self.budget_min <= 0:
            raise ValidationError(self.env._("A budget milestone needs a minimum budget."))
