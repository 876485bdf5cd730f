import json
from collections import defaultdict

from odoo import api, fields, models

from ..kam_sales_process.redflags import Person, red_flags
from .kam_fields import DealLines, FlatJson


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kam_stakeholder_ids = DealLines(
        "kam.stakeholder",
        "lead_id",
        string="Buying Centre",
        kam_flag="kam_has_stakeholders",
        help="Who takes part in the customer's decision.",
    )
    kam_has_stakeholders = fields.Boolean(
        string="Has a Buying Centre",
        compute="_compute_kam_has_stakeholders",
        store=True,
        precompute=True,
        help="Whether anyone is in the deal's buying centre: the form reads no buying centre on a deal without.",
    )
    kam_decision_chain = fields.Json(
        string="Decision Chain",
        compute="_compute_kam_decision_chain",
        help="The buying centre as an org chart: who reports to whom, their roles and attitude.",
    )
    kam_customer_company_id = fields.Many2one(
        "res.partner",
        string="Customer Company",
        related="partner_id.commercial_partner_id",
        help="New buying-centre contacts are created under this company.",
    )
    kam_red_flag_ids = fields.Many2many(
        "kam.red.flag",
        "kam_red_flag_crm_lead_rel",
        "lead_id",
        "flag_id",
        string="Red Flags",
        compute="_compute_kam_red_flag_ids",
        store=True,
        help="Landmines (地雷) in the buying centre: core role missing, no coach, core buyer never met, "
        "new face not followed up, identity changed.",
    )
    kam_red_flag_keys = fields.Json(
        string="Red Flag Ids",
        compute="_compute_kam_red_flag_ids",
        store=True,
        help="The ids of the deal's red flags, kept on the deal itself: the kanban cards and the form show them "
        "without reading the flags' table.",
    )
    kam_red_flag_badges = FlatJson(
        string="Red Flag Badges",
        compute="_compute_kam_red_flag_badges",
        help="The deal's red flags as the cards and the form show them: name and colour, in the reader's language.",
    )
    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("kam_stakeholder_ids")
    def _compute_kam_has_stakeholders(self):
        for lead in self:
            lead.kam_has_stakeholders = bool(lead.kam_stakeholder_ids)

    @api.depends(
        "type",
        "active",
        "kam_stakeholder_ids.role_ids",
        "kam_stakeholder_ids.contacted",
        "kam_stakeholder_ids.last_contact_date",
        "kam_stakeholder_ids.date_added",
        "kam_stakeholder_ids.identity_changed",
    )
    def _compute_kam_red_flag_ids(self):
        """Set-based: the stakeholders of all the deals in one query, the rules in plain Python.

        Only active opportunities have red flags: a batch of plain leads or of
        archived deals costs no query.
        """
        Flag = self.env["kam.red.flag"]
        live = self.filtered(lambda lead: lead.type == "opportunity" and lead.active)
        (self - live).kam_red_flag_ids = Flag
        (self - live).kam_red_flag_keys = False
        if not live:
            return
        roles = self.env["kam.buying.role"].sudo().search_fetch([("active", "=", True)], ["is_core", "code"])
        core = frozenset(roles.filtered("is_core").ids)
        coach = frozenset(roles.filtered(lambda r: r.code == "coach").ids)
        flag_ids = self.env["kam.red.flag"]._kam_get_ids_by_code()
        rules = self.env["kam.red.flag"]._kam_get_rules()
        extra = self.env["kam.red.flag"]._kam_get_situation_extra()
        new_face_days = self._kam_get_new_face_days()
        today = fields.Date.context_today(self)
        people = defaultdict(list)
        real_ids = [lead_id for lead_id in live._origin.ids if lead_id]
        if real_ids:
            # One query whatever the number of deals (the ORM would fetch the
            # roles of 50,000 stakeholders in batches of 1,000).
            self.env["kam.stakeholder"].flush_model(
                ["lead_id", "role_ids", "contacted", "date_added", "last_contact_date", "identity_changed"]
            )
            self.env.cr.execute(
                """
                SELECT s.lead_id, s.contacted, s.date_added, s.last_contact_date, s.identity_changed,
                       array_remove(array_agg(rel.role_id), NULL)
                  FROM kam_stakeholder s
             LEFT JOIN kam_stakeholder_role_rel rel ON rel.stakeholder_id = s.id
                 WHERE s.lead_id = ANY(%s)
              GROUP BY s.id
                """,
                [real_ids],
            )
            for lead_id, contacted, added, last_contact, changed, role_ids in self.env.cr.fetchall():
                people[lead_id].append(Person(frozenset(role_ids), contacted, added, last_contact, changed))
        for lead in live:
            codes = red_flags(people[lead._origin.id], core, coach, today, new_face_days, rules=rules, extra=extra)
            ids = sorted(flag_ids[code] for code in codes if code in flag_ids)
            lead.kam_red_flag_ids = Flag.browse(ids)
            lead.kam_red_flag_keys = ids or False

    @api.depends("kam_red_flag_keys")
    @api.depends_context("lang")
    def _compute_kam_red_flag_badges(self):
        """From the ids kept on the deal and the flags' names and colours (cached): no query."""
        badges = self.env["kam.red.flag"]._kam_get_badges()
        made = {}  # the badges of each set of flags, made once (deals share a few sets; reading copies them)

        def badges_of(keys):
            keys = tuple(keys or ())
            if keys not in made:
                shown = sorted((badges[flag_id] for flag_id in keys if flag_id in badges), key=lambda item: item[0])
                made[keys] = [dict(badge) for _key, badge in shown] or None
            return made[keys]

        # the keys as the cache holds them where it can: read through the field, each deal's would be deep-copied
        keys_column = self._kam_cached_column("kam_red_flag_keys")
        if keys_column is None:
            keys_column = self.mapped("kam_red_flag_keys")
        self._kam_set_computed("kam_red_flag_badges", [badges_of(keys) for keys in keys_column])

    @api.depends(
        "kam_stakeholder_ids.partner_id",
        "kam_stakeholder_ids.role_ids",
        "kam_stakeholder_ids.attitude",
        "kam_stakeholder_ids.reports_to_id",
        "kam_stakeholder_ids.influence",
        "kam_stakeholder_ids.contacted",
    )
    def _compute_kam_decision_chain(self):
        attitudes = dict(self.env["kam.stakeholder"]._fields["attitude"]._description_selection(self.env))
        for lead in self:
            lead.kam_decision_chain = [
                {
                    "id": s.id,
                    "parent_id": s.reports_to_id.id or False,
                    "name": s.partner_id.name or "",
                    "function": s.partner_id.function or "",
                    "attitude": s.attitude,
                    "attitude_label": attitudes.get(s.attitude, ""),
                    "influence": s.influence,
                    "contacted": s.contacted,
                    "roles": [{"name": r.name, "color": r.color} for r in s.role_ids],
                }
                for s in lead.kam_stakeholder_ids
                if s.id
            ]

    def _merge_dependences(self, opportunities):
        """Deals merged into this one bring their buying centres and their competitors in play along
        (``_kam_merge_competitors``); crm deletes them afterwards. Whoever merges: crm's Merge wizard, its
        de-duplications (lead assignment, mass conversion) or a call of ``merge_opportunity``. The deals' flags,
        read with their rows, say whether they have any: merging deals without costs no query."""
        result = super()._merge_dependences(opportunities)
        if any(opportunities.mapped("kam_has_stakeholders")):
            self._kam_merge_buying_centre(opportunities)
        if any(opportunities.mapped("kam_has_competitors")):
            self._kam_merge_competitors(opportunities)
        return result

    def _kam_merge_buying_centre(self, opportunities):
        """The people of ``opportunities`` join this deal's buying centre: one entry per person, this deal's
        where both have them, with the roles of both. Who reports to whom is left to the entries of this deal
        (a moved entry's boss may be one that is not moved)."""
        self.ensure_one()
        Stakeholder = self.env["kam.stakeholder"].sudo()
        tail = Stakeholder.search([("lead_id", "in", opportunities.ids)], order="id")
        if not tail:
            return
        kept = {entry.partner_id.id: entry for entry in self.sudo().kam_stakeholder_ids}
        moved = Stakeholder
        for entry in tail:
            if entry.partner_id.id in kept:
                kept[entry.partner_id.id].role_ids |= entry.role_ids
            else:
                kept[entry.partner_id.id] = entry
                moved |= entry
        if moved:
            moved.write({"lead_id": self.id, "reports_to_id": False})

    @api.model
    def _kam_get_new_face_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param("kam_sales_process.new_face_days", "14")
        try:
            return max(int(value), 0)
        except ValueError:
            return 14

    @api.model
    def _kam_open_opportunities(self):
        return self.sudo().search([("type", "=", "opportunity"), ("active", "=", True)], order="id")

    @api.model
    def _cron_kam_refresh_red_flags(self, batch_size=10000):
        """Daily: red flags that depend on time (new faces not followed up), a batch per call."""
        return self.env["kam.recompute.job"]._kam_run_daily(
            "red_flags", lambda: [(self._kam_open_opportunities(), None)], batch_size=batch_size
        )

    @api.model
    def _kam_refresh_all_red_flags(self):
        """Every open deal's red flags (after a change of roles or settings): now, or in the background."""
        self.env["kam.recompute.job"]._kam_schedule("red_flags", self._kam_open_opportunities(), batch_size=10000)

    def _kam_recompute_red_flags(self):
        """Recompute the red flags of these deals in one compute call.

        The ORM's own recompute would split a batch into pages of 1,000 deals,
        each with its own queries: here one batch costs the same few queries
        whatever its size (the background jobs hand over 10,000 at a time).
        """
        leads = self.sudo()
        keys = self._fields["kam_red_flag_keys"]
        # the keys of other deals still to be written go first: only this batch's are written below
        self.flush_model([keys.name])
        # Load in one query each what the compute and the automation rules
        # (old values) read, instead of pages of 1,000 deals.
        leads.fetch(["type", "active", "kam_red_flag_ids", keys.name])
        before = {lead.id: lead.kam_red_flag_keys for lead in leads}
        self._fields["kam_red_flag_ids"].compute_value(leads)
        leads.flush_recordset(["kam_red_flag_ids"])
        # The keys kept on the deals' rows: one statement for the deals whose flags changed, not the ORM's
        # update of 100 rows at a time with the deals' write date (the flags are the daily job's, not an edit)
        self.env.cache.clear_dirty_field(keys)
        changed = [lead for lead in leads if (lead.kam_red_flag_keys or None) != (before[lead.id] or None)]
        for start in range(0, len(changed), 10000):
            chunk = changed[start : start + 10000]
            self.env.cr.execute(
                """
                UPDATE crm_lead lead SET kam_red_flag_keys = v.keys
                  FROM unnest(%s::int[], %s::jsonb[]) AS v(id, keys)
                 WHERE lead.id = v.id
                """,
                [
                    [lead.id for lead in chunk],
                    [json.dumps(lead.kam_red_flag_keys) if lead.kam_red_flag_keys else None for lead in chunk],
                ],
            )
        leads.invalidate_recordset(["kam_red_flag_badges"])  # computed from the keys, set above without a write
