from odoo import api, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        # E-mails from or to a stakeholder are contacts (activities done on
        # them are recorded by mail.activity itself).
        contacts = messages.filtered(lambda m: m.message_type in ("email", "comment"))
        partner_ids = set(contacts.author_id.ids) | set(contacts.partner_ids.ids)
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
        return messages
