from odoo import api, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        # E-mails from or to a stakeholder, and activities done on them, are contacts.
        contacts = messages.filtered(
            lambda m: m.message_type in ("email", "comment") or (m.model == "res.partner" and m.mail_activity_type_id)
        )
        partner_ids = set(contacts.author_id.ids) | set(contacts.partner_ids.ids)
        partner_ids |= {m.res_id for m in contacts if m.model == "res.partner" and m.mail_activity_type_id}
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
        return messages
