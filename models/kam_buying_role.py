from odoo import api, fields, models


class KamBuyingRole(models.Model):
    _name = "kam.buying.role"
    _description = "Buying Role"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Stable technical key, used by automation rules and imports.")
    sequence = fields.Integer(default=10)
    is_core = fields.Boolean(
        string="Core Role",
        help="A core buying role must be identified on every deal (red flag 'core role missing').",
    )
    can_veto = fields.Boolean(help="This role can say no even when it cannot say yes.")
    color = fields.Integer(help="Colour of the role's tag.")
    description = fields.Text(translate=True, help="What matters to a person in this role.")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "The code of a buying role must be unique."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        roles = super().create(vals_list)
        if roles.filtered("is_core"):
            self.env["crm.lead"]._kam_refresh_all_red_flags()
        return roles

    def write(self, vals):
        result = super().write(vals)
        if {"is_core", "code", "active"} & vals.keys():
            # Which roles are core, or the coach, decides the red flags of every open deal.
            self.env["crm.lead"]._kam_refresh_all_red_flags()
        return result
