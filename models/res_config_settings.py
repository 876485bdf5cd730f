from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    kam_new_face_days = fields.Integer(
        string="New Face Follow-up (days)",
        config_parameter="kam_sales_process.new_face_days",
        default=14,
        help="A person who joined a deal's buying centre and was not contacted within this many days raises the "
        "red flag 'new face not followed up'.",
    )

    def set_values(self):
        before = self.env["crm.lead"]._kam_get_new_face_days()
        result = super().set_values()
        if self.env["crm.lead"]._kam_get_new_face_days() != before:
            self.env["crm.lead"]._cron_kam_refresh_red_flags()
        return result
