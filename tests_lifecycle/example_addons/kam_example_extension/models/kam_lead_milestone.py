from odoo import api, models


class KamLeadMilestone(models.Model):
    _inherit = "kam.lead.milestone"

    @api.model
    def _kam_get_met_budget(self, rows, specs):
        """Ids of the budget rows whose deal's expected revenue reaches the milestone's minimum."""
        milestones = self.env["kam.milestone"].sudo().browse({row.milestone_id for row in rows})
        minimum = {milestone.id: milestone.budget_min for milestone in milestones}
        revenue = {
            lead.id: lead.expected_revenue for lead in self.env["crm.lead"].sudo().browse({row.lead_id for row in rows})
        }
        return {row.id for row in rows if revenue[row.lead_id] >= minimum[row.milestone_id]}
