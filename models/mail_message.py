from odoo import api, models

#: Where the buying centre lives: only messages on these records can be contacts with its people.
BUYING_CENTRE_MODELS = ("crm.lead", "res.partner")


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        messages._kam_note_contacts()
        return messages

    def _kam_note_contacts(self):
        """E-mails from or to people of a buying centre, on deals and contacts, are contacts with them.

        Messages elsewhere (Discuss, invoices, …) cost nothing: they are told
        apart by what the new messages already hold, without a query.
        """
        contacts = self.filtered(lambda m: m.model in BUYING_CENTRE_MODELS and m.message_type in ("email", "comment"))
        if not contacts:
            return
        partner_ids = set(contacts.author_id.ids) | set(contacts.partner_ids.ids)
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
