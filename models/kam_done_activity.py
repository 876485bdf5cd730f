from odoo import api, fields, models
from odoo.exceptions import AccessError


class KamDoneActivity(models.Model):
    """An activity marked done through Odoo's activity framework, kept as evidence.

    Written only by the server when an activity on a deal or a contact is
    marked done (``mail.activity._action_done``); nobody creates, edits or
    deletes one by hand.  "Activity done" milestones and the buying centre's
    last contact read it: a chatter message that merely names an activity type
    is no evidence.
    """

    _name = "kam.done.activity"
    _description = "Done Activity (Evidence)"
    _order = "date_done desc, id desc"
    _rec_name = "summary"

    lead_id = fields.Many2one(
        "crm.lead", string="Deal", index="btree_not_null", ondelete="cascade", readonly=True, help="The deal it was on."
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Contact",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        help="The contact it was on.",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type", index=True, ondelete="cascade", readonly=True, required=True
    )
    summary = fields.Char(readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Done By", readonly=True, ondelete="set null", help="Who marked the activity done."
    )
    date_done = fields.Datetime(string="Done On", readonly=True, required=True, default=fields.Datetime.now)
    # Not stored: a stored copy would make every change of a deal's company (a lead
    # assignment sets it) search this table for the deal's rows.
    company_id = fields.Many2one(related="lead_id.company_id")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Done activities are recorded when an activity is marked done."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            raise AccessError(self.env._("Done activities are evidence: they cannot be edited."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_evidence(self):
        if not self.env.su:
            raise AccessError(self.env._("Done activities are evidence: they cannot be deleted."))

    @api.model
    def _kam_record(self, activities):
        """Record these activities (about to be marked done) of deals and contacts; returns the rows."""
        values = []
        now = fields.Datetime.now()
        for activity in activities:
            target = {"crm.lead": "lead_id", "res.partner": "partner_id"}.get(activity.res_model)
            if target and activity.res_id and activity.activity_type_id:
                values.append(
                    {
                        target: activity.res_id,
                        "activity_type_id": activity.activity_type_id.id,
                        "summary": activity.summary or activity.activity_type_id.name,
                        "user_id": self.env.uid,
                        "date_done": now,
                    }
                )
        return self.sudo().create(values) if values else self.sudo()

    @api.model
    def _kam_backfill(self):
        """Record the activities done before the addon kept evidence, from their chatter messages.

        Messages of the activity framework ("Activities" subtype, with an
        activity type) on deals and contacts; run on install and upgrade.  A
        message forged before then cannot be told apart from a real one.
        """
        subtype = self.env.ref("mail.mt_activities", raise_if_not_found=False)
        self.env.cr.execute("SELECT 1 FROM kam_done_activity LIMIT 1")
        if not subtype or self.env.cr.rowcount:
            return 0  # nothing to read, or done already
        self.env.cr.execute(
            """
            INSERT INTO kam_done_activity (lead_id, partner_id, activity_type_id, summary, user_id, date_done,
                                           create_uid, create_date, write_uid, write_date)
            SELECT CASE WHEN m.model = 'crm.lead' THEN m.res_id END,
                   CASE WHEN m.model = 'res.partner' THEN m.res_id END,
                   m.mail_activity_type_id, t.name->>'en_US',
                   (SELECT u.id FROM res_users u WHERE u.partner_id = m.author_id ORDER BY u.id LIMIT 1), m.date,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM mail_message m
              JOIN mail_activity_type t ON t.id = m.mail_activity_type_id
         LEFT JOIN crm_lead l ON m.model = 'crm.lead' AND l.id = m.res_id
         LEFT JOIN res_partner p ON m.model = 'res.partner' AND p.id = m.res_id
             WHERE m.subtype_id = %(subtype)s
               AND ((m.model = 'crm.lead' AND l.id IS NOT NULL) OR (m.model = 'res.partner' AND p.id IS NOT NULL))
            """,
            {"uid": self.env.uid, "subtype": subtype.id},
        )
        return self.env.cr.rowcount
