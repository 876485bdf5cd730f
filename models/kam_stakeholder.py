from collections import defaultdict

from markupsafe import Markup
from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, Query

from ..kam_sales_process.gates import shorten
from ..kam_sales_process.vocabulary import ATTITUDE_LABELS, PERSONAL_LEVEL_LABELS, STYLE_LABELS
from .kam_fields import prefetched_columns
from .kam_guards import (
    check_dates,
    check_parents_writable,
    check_values,
    drop_forged_defaults,
    field_labels,
    parent_ids,
    strip_forged_defaults,
)

ATTITUDES = list(ATTITUDE_LABELS)
LEVELS = list(PERSONAL_LEVEL_LABELS)
STYLES = list(STYLE_LABELS)
# What changes a person's identity in the buying centre (red flag "identity changed").
IDENTITY_FIELDS = ("function", "parent_id", "active")
#: Kept by the addon, never set by a person (they feed red flags and milestones).
SYSTEM_FIELDS = frozenset(
    {
        "company_id",
        "contacted",
        "identity_changed",
        "identity_change_note",
        "last_contact_set_by_id",
        "last_contact_set_on",
    }
)

#: what a person's name and job position are made of (``res.partner._get_complete_name``)
#: The dates a user may give (by hand: stamped and logged).
CONTACT_DATE_FIELDS = frozenset({"last_contact_manual", "last_contact_date"})
_PARTNER_SHOWN = ["name", "function", "company_name", "parent_id", "type", "is_company", "commercial_company_name"]


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
    function = fields.Char(related="partner_id.function", string="Job Position")
    role_ids = fields.Many2many(
        "kam.buying.role",
        "kam_stakeholder_role_rel",
        "stakeholder_id",
        "role_id",
        string="Roles",
        help="The parts this person plays in the decision.",
    )
    lead_user_id = fields.Many2one(
        related="lead_id.user_id",
        string="Owner (Our Side)",
        help="Who owns the relationship on our side: the deal's salesperson.",
    )
    influence = fields.Integer(help="Weight of this person in the decision, from 0 to 100.")
    attitude = fields.Selection(
        ATTITUDES, default="unknown", required=True, help="Where this person stands towards our offer."
    )
    relationship_level = fields.Selection(
        LEVELS,
        string="Relationship",
        default="greeting",
        help="How deep our relationship goes: greeting (寒暄), facts (事实), opinions (观念), "
        "behaviour (行为), values (价值观).",
    )
    style = fields.Selection(
        STYLES,
        help="Communication style: tiger (decisive), peacock (expressive), owl (analytical), dove (amiable).",
    )
    personal_need = fields.Text(help="What this person wants for themselves from the decision (个人需求).")
    reports_to_id = fields.Many2one(
        "kam.stakeholder",
        domain="[('lead_id', '=', lead_id), ('id', '!=', id)]",
        compute="_compute_reports_to_id",
        store=True,
        readonly=False,
        copy=False,
        ondelete="set null",
        help="Whom this person reports to in the decision chain: someone of the same deal's buying centre; "
        "defaults from the contacts' own hierarchy.",
    )
    date_added = fields.Date(
        string="Added On",
        default=fields.Date.context_today,
        required=True,
        copy=False,
        help="When this person joined the deal's buying centre (red flag 'new face not followed up').",
    )
    last_contact_manual = fields.Date(string="Last Contact (set by hand)", copy=False)
    last_contact_set_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="Who last set the contact date by hand (also logged in the deal's chatter).",
    )
    last_contact_set_on = fields.Datetime(readonly=True, copy=False, help="When the contact date was last set by hand.")
    last_contact_date = fields.Date(
        string="Last Contact",
        compute="_compute_last_contact_date",
        inverse="_inverse_last_contact_date",
        store=True,
        help="When someone of our team last met, called or wrote to this person: the latest of the meetings "
        "with them, the e-mails from or to them, the activities done on them, and the date set by hand.",
    )
    contacted = fields.Boolean(
        compute="_compute_contacted",
        store=True,
        help="Set once a last contact date is known: this person has been met or contacted.",
    )
    identity_changed = fields.Boolean(
        readonly=True,
        copy=False,
        help="The contact's job position, company or status changed after they were tagged: review the buying centre.",
    )
    identity_change_note = fields.Char(readonly=True, copy=False, help="What changed.")

    _sql_constraints = [
        ("partner_unique", "unique(lead_id, partner_id)", "A person can only appear once in a deal's buying centre."),
        ("influence_range", "CHECK(influence >= 0 AND influence <= 100)", "Influence is a percentage from 0 to 100."),
    ]

    def web_read(self, specification):
        # What the buying-centre list shows of its people besides their own columns (their contact's name and
        # job position, their roles) Odoo reads in three queries: see _kam_fetch_shown, which makes them one.
        if self.ids and isinstance(specification, dict):  # anything else is refused by Odoo's own web_read
            self.browse(self.ids)._kam_fetch_shown(specification)
        return super().web_read(specification)

    def _kam_fetch_shown(self, specification):
        """Put in the cache, in one query, what ``web_read(specification)`` shows of these people besides
        their own columns: their contact's name and job position, their roles' ids and the roles' columns.

        Odoo would ask three queries: the contacts (in sudo: a many2one's display name and a related field
        are read in sudo; all their columns, some fifty, where the name needs seven), the pairs of people
        and roles (with the roles' record rules), then the roles. Here one query joins them, with the same
        result: the contacts in sudo, the pairs in the roles' order (archived roles among them, as Odoo
        caches a many2many and leaves them out when it is shown), the roles' names in the reader's
        language. Where the roles have record rules for this user, they are left to Odoo. Nothing in the
        cache is overwritten; what the reader may not see is still refused by ``web_read``'s own checks on
        what it returns.
        """
        person = specification.get("partner_id")
        people = (isinstance(person, dict) and "display_name" in (person.get("fields") or ())) or (
            "function" in specification
        )
        role_field = self._fields["role_ids"]
        Role = self.env[role_field.comodel_name]
        roles = "role_ids" in specification and not self.env["ir.rule"]._compute_domain(Role._name, "read")
        if not (people or roles):
            return
        Partner = self.env["res.partner"]
        query = Query(self.env, self._table)
        query.add_where(SQL("%s IN %s", SQL.identifier(self._table, "id"), tuple(self.ids)))
        terms = [SQL.identifier(self._table, "id")]
        if people:
            partner = query.make_alias(self._table, "partner_id")
            query.add_join(
                "LEFT JOIN",
                partner,
                Partner._table,
                SQL("%s = %s", SQL.identifier(partner, "id"), self._field_to_sql(self._table, "partner_id")),
            )
            terms += [SQL.identifier(partner, "id"), *(Partner._field_to_sql(partner, name) for name in _PARTNER_SHOWN)]
        role_columns = []
        if roles:
            relation = query.make_alias(self._table, role_field.name)
            role = query.make_alias(relation, role_field.column2)
            query.add_join(
                "LEFT JOIN",
                relation,
                role_field.relation,
                SQL(
                    "%s = %s",
                    SQL.identifier(relation, role_field.column1, to_flush=role_field),
                    SQL.identifier(self._table, "id"),
                ),
            )
            query.add_join(
                "LEFT JOIN",
                role,
                Role._table,
                SQL("%s = %s", SQL.identifier(role, "id"), SQL.identifier(relation, role_field.column2)),
            )
            role_columns = [
                field
                for field in prefetched_columns(Role)
                if field.name != "id"
                and field.type != "binary"
                # with every language's text asked for, translated columns are left to Odoo's fetch
                and not (field.translate and self.env.context.get("prefetch_langs"))
            ]
            terms += [SQL.identifier(role, "id"), *(Role._field_to_sql(role, field.name) for field in role_columns)]
            query.order = Role._order_to_sql(Role._order, query, alias=role)
        partners, pairs, shown_roles = {}, defaultdict(list), {}
        width = len(_PARTNER_SHOWN) + 1 if people else 0
        for row in self.env.execute_query(query.select(*terms)):
            stakeholder_id, person, role = row[0], row[1 : 1 + width], row[1 + width :]
            if people:
                partner_id, *values = person
                if partner_id:
                    partners.setdefault(partner_id, values)
            if roles:
                role_id, *values = role
                if role_id:
                    pairs[stakeholder_id].append(role_id)
                    shown_roles.setdefault(role_id, values)
        cache = self.env.cache
        if partners:
            records = Partner.browse(list(partners))
            for index, name in enumerate(_PARTNER_SHOWN):
                cache.insert_missing(records, Partner._fields[name], [values[index] for values in partners.values()])
        if roles:
            cache.insert_missing(self, role_field, [tuple(pairs[id_]) for id_ in self._ids])
            records = Role.browse(list(shown_roles))
            for index, field in enumerate(role_columns):
                cache.insert_missing(records, field, [values[index] for values in shown_roles.values()])

    @api.model
    def _check_unique_partner(self, pairs, exclude_ids=()):
        """Refuse, naming them, people added twice to a deal (before the database's unique index does)."""
        pairs = [(lead_id, partner_id) for lead_id, partner_id in pairs if lead_id and partner_id]
        duplicates = {pair for pair in pairs if pairs.count(pair) > 1}
        if pairs:
            existing = self.sudo().search_fetch(
                [
                    ("lead_id", "in", [p[0] for p in pairs]),
                    ("partner_id", "in", [p[1] for p in pairs]),
                    ("id", "not in", list(exclude_ids)),
                ],
                ["lead_id", "partner_id"],
            )
            taken = {(s.lead_id.id, s.partner_id.id) for s in existing}
            duplicates |= set(pairs) & taken
        if duplicates:
            Lead, Partner = self.env["crm.lead"].sudo(), self.env["res.partner"].sudo()
            raise ValidationError(
                self.env._(
                    "A person can only appear once in a deal's buying centre: %(people)s",
                    people=", ".join(
                        f"{Partner.browse(partner_id).display_name} ({Lead.browse(lead_id).display_name})"
                        for lead_id, partner_id in sorted(duplicates)
                    ),
                )
            )

    @api.depends("partner_id", "lead_id")
    def _compute_reports_to_id(self):
        for stakeholder in self:
            if stakeholder.reports_to_id or not stakeholder.partner_id.parent_id:
                continue
            boss = stakeholder.partner_id.parent_id
            if boss.is_company:
                continue
            stakeholder.reports_to_id = stakeholder.lead_id.kam_stakeholder_ids.filtered(
                lambda s, boss=boss: s.partner_id == boss
            )[:1]

    @api.depends("last_contact_manual", "partner_id")
    def _compute_last_contact_date(self):
        known = self._kam_get_last_contacts(self.partner_id.ids)
        for stakeholder in self:
            dates = [d for d in (stakeholder.last_contact_manual, known.get(stakeholder.partner_id.id)) if d]
            stakeholder.last_contact_date = max(dates) if dates else False

    def _inverse_last_contact_date(self):
        for stakeholder in self:
            stakeholder.last_contact_manual = stakeholder.last_contact_date

    @api.model
    def _kam_get_last_contacts(self, partner_ids):
        """``{partner id: date}`` of the last meeting, e-mail or done activity with each person (3 queries)."""
        if not partner_ids:
            return {}
        now = fields.Datetime.now()
        latest = {}

        def keep(partner_id, when):
            when = fields.Date.to_date(when)
            if when and (partner_id not in latest or when > latest[partner_id]):
                latest[partner_id] = when

        # The queries below read the tables: what was just changed (a meeting archived, a recipient
        # removed) is written first.
        self.env["mail.message"].flush_model(
            ["author_id", "partner_ids", "message_type", "date", "create_uid", "kam_contact_excluded"]
        )
        self.env["mail.notification"].flush_model(
            ["mail_message_id", "res_partner_id", "notification_type", "notification_status"]
        )
        self.env["res.partner"].flush_model(["email"])
        self.env["calendar.event"].flush_model(["partner_ids", "active", "start"])
        self.env["calendar.attendee"].flush_model(["event_id", "partner_id", "state"])
        self.env["res.users"].flush_model(["share", "partner_id"])
        # E-mails and messages written by them: received (the mail gateway), or posted by them on their
        # own account (portal or internal), not by someone else on their behalf; and messages no user
        # changed the author, recipients, date or type of after posting (mail.message.kam_contact_excluded).
        self.env.cr.execute(
            """
            SELECT msg.author_id, max(msg.date)
              FROM mail_message msg
              LEFT JOIN res_users creator ON creator.id = msg.create_uid
             WHERE msg.author_id = ANY(%(ids)s) AND msg.message_type IN ('email', 'comment')
                   AND msg.date <= %(now)s AND msg.kam_contact_excluded IS NOT TRUE
                   AND (msg.create_uid IS NULL OR msg.create_uid = %(root)s
                        OR creator.share OR creator.partner_id = msg.author_id)
             GROUP BY msg.author_id
            """,
            {"ids": list(partner_ids), "now": now, "root": SUPERUSER_ID},
        )
        for partner_id, when in self.env.cr.fetchall():
            keep(partner_id, when)
        # E-mails sent to them (by e-mail: sent, or queued to an address; a message addressed to them but
        # scheduled for later, failed, bounced, or to a person without an address reached nobody), and
        # activities marked done on their contact.
        self.env["kam.done.activity"].flush_model()
        self.env.cr.execute(
            """
            SELECT rel.res_partner_id, max(msg.date)
              FROM mail_message_res_partner_rel rel
              JOIN mail_message msg ON msg.id = rel.mail_message_id
             WHERE rel.res_partner_id = ANY(%(ids)s) AND msg.message_type IN ('email', 'comment')
                   AND msg.date <= %(now)s AND msg.kam_contact_excluded IS NOT TRUE
                   AND EXISTS (
                       SELECT 1 FROM mail_notification notif
                        WHERE notif.mail_message_id = msg.id AND notif.res_partner_id = rel.res_partner_id
                              AND notif.notification_type = 'email'
                              AND (notif.notification_status = 'sent'
                                   -- queued: on its way if there is an address to send it to
                                   OR (notif.notification_status IN ('ready', 'process', 'pending')
                                       AND EXISTS (SELECT 1 FROM res_partner person
                                                    WHERE person.id = rel.res_partner_id
                                                          AND COALESCE(person.email, '') != ''))))
             GROUP BY rel.res_partner_id
            UNION ALL
            SELECT done.partner_id, max(done.date_done)
              FROM kam_done_activity done
             WHERE done.partner_id = ANY(%(ids)s) AND done.date_done <= %(now)s
             GROUP BY done.partner_id
            """,
            {"ids": list(partner_ids), "now": now},
        )
        for partner_id, when in self.env.cr.fetchall():
            keep(partner_id, when)
        # Meetings they attended, in the past: not those they declined.
        self.env.cr.execute(
            """
            SELECT rel.res_partner_id, max(ev.start)
              FROM calendar_event_res_partner_rel rel
              JOIN calendar_event ev ON ev.id = rel.calendar_event_id
             WHERE rel.res_partner_id = ANY(%s) AND ev.active AND ev.start <= %s
                   AND NOT EXISTS (
                       SELECT 1 FROM calendar_attendee att
                        WHERE att.event_id = ev.id AND att.partner_id = rel.res_partner_id AND att.state = 'declined'
                   )
             GROUP BY rel.res_partner_id
            """,
            (list(partner_ids), now),
        )
        for partner_id, when in self.env.cr.fetchall():
            keep(partner_id, when)
        return latest

    @api.model
    def _kam_refresh_last_contact(self, partner_ids):
        """Recompute the last contact of every stakeholder of these people."""
        stakeholders = self.sudo().search([("partner_id", "in", list(partner_ids))])
        if stakeholders:
            # Through the manual date's dependents: the last contact, "contacted",
            # and the deals' red flags are all recomputed.
            stakeholders.modified(["last_contact_manual"])
            stakeholders.flush_recordset(["last_contact_date", "contacted"])
            stakeholders.lead_id._kam_refresh_milestones(source="kam.stakeholder")

    @api.depends("last_contact_date")
    def _compute_contacted(self):
        for stakeholder in self:
            stakeholder.contacted = bool(stakeholder.last_contact_date)

    @api.constrains("last_contact_manual", "date_added")
    def _check_dates_not_in_future(self):
        today = fields.Date.context_today(self)
        future = self.filtered(
            lambda s: (
                (s.last_contact_manual and s.last_contact_manual > today) or (s.date_added and s.date_added > today)
            )
        )
        if future:
            raise ValidationError(
                self.env._(
                    "A contact or an addition to the buying centre cannot lie in the future: %(people)s",
                    people=", ".join(shorten(name) for name in future.partner_id.mapped("display_name")),
                )
            )

    @api.constrains("reports_to_id")
    def _check_reports_to(self):
        """The decision chain is drawn per deal: a person reports to someone of the same buying centre, and
        nobody ends up reporting to themselves (the chart would lose them)."""
        # only people reporting to someone can report elsewhere or close a circle: adding a person nobody placed
        # yet costs no query
        reporting = self.sudo().filtered("reports_to_id")
        elsewhere = reporting.filtered(lambda s: s.reports_to_id.lead_id != s.lead_id)
        if elsewhere:
            raise ValidationError(
                self.env._(
                    "A person reports to someone of the same deal's buying centre: %(people)s",
                    people=", ".join(shorten(name) for name in elsewhere.partner_id.mapped("display_name")),
                )
            )
        if reporting and reporting._has_cycle("reports_to_id"):
            raise ValidationError(
                self.env._("The decision chain cannot go round in a circle: someone would report to themselves.")
            )

    def _check_leads_writable(self, leads):
        """A person works on a buying centre only where they may edit the deal (checked for every deal involved)."""
        check_parents_writable(self, leads)

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(
            self,
            super().default_get(fields_list),
            SYSTEM_FIELDS | {"last_contact_manual", "last_contact_date", "date_added"},
        )

    @api.model_create_multi
    def create(self, vals_list):
        check_values(self, vals_list)
        # a contact date set by hand is stamped and logged from the values: none comes from the context
        clean = drop_forged_defaults(self, SYSTEM_FIELDS | {"last_contact_manual", "last_contact_date", "date_added"})
        if not self.env.su:
            # the day a person joins is the day they are added: a date from the past hides a new face
            for vals in vals_list:
                forged = (SYSTEM_FIELDS | {"date_added"}) & vals.keys()
                if forged:
                    raise UserError(self._kam_system_fields_message(forged))
        self._check_leads_writable(self.env["crm.lead"].browse(set(parent_ids(self, vals_list, "lead_id"))))
        parent_ids(self, vals_list, "partner_id")
        parent_ids(self, vals_list, "reports_to_id")
        for vals in vals_list:
            check_dates(self, vals, CONTACT_DATE_FIELDS)
        self._check_unique_partner([(vals.get("lead_id"), vals.get("partner_id")) for vals in vals_list])
        stakeholders = super(KamStakeholder, clean).create(vals_list)
        stakeholders._kam_stamp_contact(
            [vals.get("last_contact_date") or vals.get("last_contact_manual") for vals in vals_list]
        )
        stakeholders.lead_id._kam_refresh_milestones(source="kam.stakeholder")
        return stakeholders

    def write(self, vals):
        check_values(self, [vals])
        if not self.env.su:
            forged = (SYSTEM_FIELDS | {"lead_id", "date_added"}) & vals.keys()
            if forged:
                raise UserError(self._kam_system_fields_message(forged))
        self._check_leads_writable(self.lead_id)
        parent_ids(self, [vals], "reports_to_id", defaults=False)
        parent_ids(self, [vals], "partner_id", defaults=False)
        check_dates(self, vals, CONTACT_DATE_FIELDS)
        if {"lead_id", "partner_id"} & vals.keys():
            self._check_unique_partner(
                [(vals.get("lead_id", s.lead_id.id), vals.get("partner_id", s.partner_id.id)) for s in self],
                exclude_ids=self.ids,
            )
        contact_set = {"last_contact_date", "last_contact_manual"} & vals.keys()
        before = {s.id: s.last_contact_manual for s in self} if contact_set else {}
        # a contact date set by hand was for the person it was set on: another person starts without it
        replaced = (
            self.filtered(lambda s: s.last_contact_manual and s.partner_id.id != vals["partner_id"])
            if "partner_id" in vals and not contact_set
            else self.browse()
        )
        leads = self.lead_id
        result = super().write(vals)
        if replaced:
            replaced.sudo().write(
                {"last_contact_manual": False, "last_contact_set_by_id": False, "last_contact_set_on": False}
            )
        if contact_set:
            self.filtered(lambda s: s.last_contact_manual != before[s.id])._kam_stamp_contact()
        (leads | self.lead_id)._kam_refresh_milestones(source="kam.stakeholder")
        return result

    def unlink(self):
        self._check_leads_writable(self.lead_id)
        leads = self.lead_id
        result = super().unlink()
        leads.exists()._kam_refresh_milestones(source="kam.stakeholder")
        return result

    def _kam_system_fields_message(self, names):
        labels = field_labels(self, names)
        return self.env._(
            "%(fields)s of a buying-centre entry are kept by the addon (a person moves to another deal by being "
            "added there); they cannot be set by hand.",
            fields=labels,
        )

    def _kam_stamp_contact(self, given=None):
        """Who set a contact date by hand, and when: on the entry and in the deal's chatter."""
        stakeholders = self
        if given is not None:
            dates = dict(zip(self.ids, given, strict=True))
            stakeholders = self.filtered(lambda s: dates.get(s.id))
        stakeholders = stakeholders.filtered("last_contact_manual")
        if not stakeholders:
            return
        stakeholders.sudo().write(
            {"last_contact_set_by_id": self.env.uid, "last_contact_set_on": fields.Datetime.now()}
        )
        bodies = defaultdict(list)
        for stakeholder in stakeholders:
            bodies[stakeholder.lead_id.id].append(
                self.env._(
                    "%(person)s: last contact set to %(date)s by %(user)s.",
                    person=stakeholder.partner_id.display_name,
                    date=fields.Date.to_string(stakeholder.last_contact_manual),
                    user=self.env.user.name,
                )
            )
        self.env["crm.lead"].browse(list(bodies)).sudo()._message_log_batch(
            bodies={lead_id: Markup("<br/>").join(lines) for lead_id, lines in bodies.items()}
        )

    def action_kam_review_identity(self):
        """Mark the changed identities as reviewed: the red flag clears."""
        self.lead_id.check_access("write")
        self.sudo().write({"identity_changed": False, "identity_change_note": False})
        return True
