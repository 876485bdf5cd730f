from odoo import api, fields, models
from odoo.exceptions import AccessError

from .kam_guards import strip_forged_defaults

#: Where the buying centre lives: only messages on these records can be contacts with its people.
BUYING_CENTRE_MODELS = ("crm.lead", "res.partner")
#: The messages that count as a contact with their author and recipients (kam.stakeholder._kam_get_last_contacts).
CONTACT_TYPES = ("email", "comment")
#: What decides whether a message is a contact, with whom and when.
CONTACT_FIELDS = {"author_id", "partner_ids", "date", "message_type"}
#: What a notification is and for whom: Odoo's (in sudo), never a user's.
NOTIFICATION_IDENTITY = frozenset({"notification_type", "res_partner_id", "mail_message_id"})
#: Context values only the server can set (a client's context holds JSON values): a message posted
#: through a thread's API, and incoming mail injected by a user who is not an administrator.
POSTED = object()
INJECTED = object()
#: Context value only the server sets: the stage override wizard logging, in each deal's chatter, who forced it
#: past which milestones and why (``kam.stage.override``).
AUDIT_LOG = object()
#: What only the server sets on a message.
SERVER_FLAGS = frozenset({"kam_contact_excluded", "kam_audit_log"})


def _without_flag(vals, flags=SERVER_FLAGS):
    """``vals`` without the flags only the server sets (``SERVER_FLAGS``, or those of ``flags``)."""
    return {name: value for name, value in vals.items() if name not in flags}


class MailMessage(models.Model):
    _inherit = "mail.message"

    kam_contact_excluded = fields.Boolean(
        string="Not a Contact (KAM)",
        readonly=True,
        copy=False,
        help="Set by the server: this message does not count as a contact with the buying centre, because "
        "a user created it other than by posting it, injected it as an incoming e-mail without being an "
        "administrator, or changed who wrote it, to whom, when or its type after it was posted.",
    )
    kam_audit_log = fields.Boolean(
        string="Audit Log (KAM)",
        readonly=True,
        copy=False,
        help="Set by the server: the note of a manager forcing deals past unmet milestones (who, why, which "
        "milestones). Nobody edits or deletes it.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        context = self.env.context
        # the server's flags take no default from a client's context either
        forged = [key for key in context if key.startswith("default_") and key[len("default_") :] in SERVER_FLAGS]
        if forged:
            context = {key: value for key, value in context.items() if key not in forged}
            self = self.with_env(self.env(context=context))  # noqa: PLW0642
        # Posted (message_post, a thread's own API) by a user: a contact; created any other way by a
        # user (mail.message.create, copy), or injected as incoming mail by a user who is no
        # administrator (mail.thread.message_process): only what the user says, not evidence.
        excluded = context.get("kam_mail_injected") is INJECTED or (
            not self.env.su and context.get("kam_message_posted") is not POSTED
        )
        # the flags are the server's, not a client's; an override's note is the wizard's, sudo or not (it is
        # written in sudo, by Odoo's batch log): only its marker sets the flag
        flags = SERVER_FLAGS if not self.env.su else {"kam_audit_log"}
        if any(flags & vals.keys() for vals in vals_list):
            vals_list = [_without_flag(vals, flags) for vals in vals_list]
        if excluded:
            vals_list = [dict(vals, kam_contact_excluded=True) for vals in vals_list]
        if context.get("kam_audit_log") is AUDIT_LOG:
            vals_list = [dict(vals, kam_audit_log=True) for vals in vals_list]
        messages = super().create(vals_list)
        if context.get("kam_audit_log") is not AUDIT_LOG:
            # nor from a personal default (ir.default): no message is an override's note but the wizard's
            pretended = messages.filtered("kam_audit_log")
            if pretended:
                pretended.sudo().write({"kam_audit_log": False})
        messages._kam_note_contacts()
        return messages

    def write(self, vals):
        if not self.env.su:
            vals = _without_flag(vals)
            self._kam_check_not_audit_log()
        if not CONTACT_FIELDS & vals.keys():
            return super().write(vals)
        # A message whose author, recipients, date or type change may stop being a contact with
        # someone (or become one): both sides' last contact are read again. Changed by a user, it
        # no longer counts at all: what a person asserts after the fact is the last contact date
        # set by hand, which is stamped and logged.
        before = self._kam_contact_partner_ids()
        if not self.env.su:
            vals = dict(vals, kam_contact_excluded=True)
        result = super().write(vals)
        partner_ids = before | self._kam_contact_partner_ids()
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
        return result

    def unlink(self):
        if not self.env.su:
            self._kam_check_not_audit_log()
        # A deleted e-mail or comment is no longer a contact with its author and recipients.
        partner_ids = self._kam_contact_partner_ids()
        result = super().unlink()
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)
        return result

    def _kam_check_not_audit_log(self):
        """Odoo lets whoever may edit a deal edit or delete its messages: not the note of an override."""
        if self and self.sudo().filtered("kam_audit_log"):
            raise AccessError(
                self.env._(
                    "The note of a stage forced past its milestones is the deal's audit trail: it stays as it is."
                )
            )

    def _kam_contact_partner_ids(self):
        """Ids of the authors and recipients of the e-mails and comments among these messages.

        The last contact of a person counts their e-mails and comments on any record, so a change
        to one anywhere is looked at (whatever the user may read: only ids are collected).
        """
        messages = self.sudo().filtered(lambda m: m.message_type in CONTACT_TYPES)
        return set(messages.author_id.ids) | set(messages.partner_ids.ids)

    def _kam_note_contacts(self):
        """E-mails and comments from people of a buying centre, on deals and contacts, are contacts with them
        (e-mails *to* them count once sent to them: ``mail.notification``).

        Messages elsewhere (Discuss, invoices, …) cost nothing: they are told
        apart by what the new messages already hold, without a query.
        """
        contacts = self.filtered(lambda m: m.model in BUYING_CENTRE_MODELS and m.message_type in CONTACT_TYPES)
        if not contacts:
            return
        partner_ids = set(contacts.sudo().author_id.ids)
        if partner_ids:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(partner_ids)


class MailNotification(models.Model):
    _inherit = "mail.notification"

    @api.model
    def default_get(self, fields_list):
        # nor from the context or a personal default (ir.default): a user's notification is an inbox one
        return strip_forged_defaults(self, super().default_get(fields_list), {"notification_type"}, system=False)

    @api.model_create_multi
    def create(self, vals_list):
        # Odoo makes e-mail notifications (in sudo) when it sends an e-mail: one a user makes says "sent"
        # of an e-mail that never left (a message scheduled for later, a person without an address)
        if not self.env.su and any(vals.get("notification_type") == "email" for vals in vals_list):
            raise AccessError(self.env._("E-mail notifications are made by Odoo when it sends an e-mail."))
        notifications = super().create(vals_list)
        notifications._kam_note_contacts()
        return notifications

    def write(self, vals):
        if not self.env.su and NOTIFICATION_IDENTITY & vals.keys():
            # record rules are checked on the notification before the write: one of the user's own
            # (an inbox one) must not become an e-mail to someone else
            raise AccessError(self.env._("What a notification is, and for whom, is set by Odoo when it sends it."))
        result = super().write(vals)
        if "notification_status" in vals:
            self._kam_note_contacts()  # an e-mail that bounced or failed reached nobody
        return result

    def _kam_note_contacts(self):
        """An e-mail or comment sent by e-mail to a person of a buying centre, on a deal or contact, is a
        contact with them once it is on its way (not a message merely addressed to them: one scheduled for
        later, or to a person without an e-mail address, reaches nobody). Other notifications (inboxes,
        Discuss, "assigned to you") cost nothing: told apart by what is in memory."""
        emails = self.filtered(
            lambda n: (
                n.notification_type == "email"
                and n.mail_message_id.model in BUYING_CENTRE_MODELS
                and n.mail_message_id.message_type in CONTACT_TYPES
            )
        )
        if emails:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(set(emails.res_partner_id.ids))


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_create(self, values_list):
        return super(MailThread, self.with_context(kam_message_posted=POSTED))._message_create(values_list)

    @api.model
    def message_process(self, model, message, *args, **kwargs):
        # The mail gateway (the fetchmail cron, the mailgate script) runs as the superuser or an
        # administrator. Called by anyone else over RPC, it posts as the superuser whatever e-mail they
        # wrote, "from" whoever they like: processed as before, but no contact with anyone.
        threads = self
        if not (self.env.su or self.env.user._is_system()):
            threads = self.with_context(kam_mail_injected=INJECTED)
        return super(MailThread, threads).message_process(model, message, *args, **kwargs)
