from odoo import api, fields, models

#: Where the buying centre lives: only messages on these records can be contacts with its people.
BUYING_CENTRE_MODELS = ("crm.lead", "res.partner")
#: The messages that count as a contact with their author and recipients (kam.stakeholder._kam_get_last_contacts).
CONTACT_TYPES = ("email", "comment")
#: What decides whether a message is a contact, with whom and when.
CONTACT_FIELDS = {"author_id", "partner_ids", "date", "message_type"}


class MailMessage(models.Model):
    _inherit = "mail.message"

    kam_contact_edited = fields.Boolean(
        string="Edited After Posting (KAM)",
        readonly=True,
        copy=False,
        help="Set by the server when a user changes who wrote the message, to whom, when or its type "
        "after it was posted: such a message no longer counts as a contact with the buying centre.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                vals.pop("kam_contact_edited", None)  # the server's, not a client's
        messages = super().create(vals_list)
        messages._kam_note_contacts()
        return messages

    def write(self, vals):
        if "kam_contact_edited" in vals and not self.env.su:
            vals = {name: value for name, value in vals.items() if name != "kam_contact_edited"}
        if not CONTACT_FIELDS & vals.keys():
            return super().write(vals)
        # A message whose author, recipients, date or type change may stop being a contact with
        # someone (or become one): both sides' last contact are read again. Changed by a user, it
        # no longer counts at all: what a person asserts after the fact is the last contact date
        # set by hand, which is stamped and logged.
        before = self._kam_contact_partner_ids()
        if not self.env.su:
            vals = dict(vals, kam_contact_edited=True)
        result = super().write(vals)
        partner_ids = before | self._kam_contact_partner_ids()
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
        return result

    def unlink(self):
        # A deleted e-mail or comment is no longer a contact with its author and recipients.
        partner_ids = self._kam_contact_partner_ids()
        result = super().unlink()
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
        return result

    def _kam_contact_partner_ids(self):
        """Ids of the authors and recipients of the e-mails and comments among these messages.

        The last contact of a person counts their e-mails and comments on any record, so a change
        to one anywhere is looked at (whatever the user may read: only ids are collected).
        """
        messages = self.sudo().filtered(lambda m: m.message_type in CONTACT_TYPES)
        return set(messages.author_id.ids) | set(messages.partner_ids.ids)

    def _kam_note_contacts(self):
        """E-mails from or to people of a buying centre, on deals and contacts, are contacts with them.

        Messages elsewhere (Discuss, invoices, …) cost nothing: they are told
        apart by what the new messages already hold, without a query.
        """
        contacts = self.filtered(lambda m: m.model in BUYING_CENTRE_MODELS and m.message_type in CONTACT_TYPES)
        if not contacts:
            return
        partner_ids = set(contacts.author_id.ids) | set(contacts.partner_ids.ids)
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
