from odoo import api, fields, models


class KamStakeholder(models.Model):
    _name = "kam.stakeholder"
    _description = "Deal Stakeholder"
    _order = "lead_id, influence desc, id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="lead_id.company_id", store=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        required=True,
        index=True,
        help="The person at the customer who takes part in the buying decision.",
    )
    role_ids = fields.Many2many("kam.buying.role", string="Roles", help="The parts this person plays in the decision.")
    influence = fields.Integer(help="Weight of this person in the decision, from 0 to 100.")
    last_contact_date = fields.Date(
        string="Last Contact", help="When someone of our team last met, called or wrote to this person."
    )
    contacted = fields.Boolean(
        compute="_compute_contacted",
        store=True,
        help="Set once a last contact date is known: this person has been met or contacted.",
    )

    _sql_constraints = [
        ("partner_unique", "unique(lead_id, partner_id)", "A person can only appear once in a deal's buying centre."),
        ("influence_range", "CHECK(influence >= 0 AND influence <= 100)", "Influence is a percentage from 0 to 100."),
    ]

    @api.depends("last_contact_date")
    def _compute_contacted(self):
        for stakeholder in self:
            stakeholder.contacted = bool(stakeholder.last_contact_date)

    @api.model_create_multi
    def create(self, vals_list):
        stakeholders = super().create(vals_list)
        stakeholders.lead_id._kam_refresh_milestones(kinds=("roles",))
        return stakeholders

    def write(self, vals):
        leads = self.lead_id
        result = super().write(vals)
        (leads | self.lead_id)._kam_refresh_milestones(kinds=("roles",))
        return result

    def unlink(self):
        leads = self.lead_id
        result = super().unlink()
        leads.exists()._kam_refresh_milestones(kinds=("roles",))
        return result
