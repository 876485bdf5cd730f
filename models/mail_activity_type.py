from odoo import fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    kam_is_visit = fields.Boolean(
        string="Counts as a Visit",
        help="Done activities of this type count as visits in the funnel plans (meetings on deals always do).",
    )
