"""The "lost" dialog names the competitor that won the deal."""

from odoo import fields, models


class CrmLeadLost(models.TransientModel):
    _inherit = "crm.lead.lost"

    kam_lost_to_id = fields.Many2one(
        "kam.competitor",
        string="Lost To",
        help="The competitor that won the deal, if any: counted in the competitor reports.",
    )

    def action_lost_reason_apply(self):
        if self.kam_lost_to_id:
            self.lead_ids.write({"kam_lost_to_id": self.kam_lost_to_id.id})
        return super().action_lost_reason_apply()
