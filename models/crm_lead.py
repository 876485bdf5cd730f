from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..kam_sales_process.gates import refusal_lines, stages_to_clear
from ..kam_sales_process.redflags import Person, red_flags

#: Server-side marker of a pipeline reorganisation (compared by identity: a
#: client's JSON context can never hold it).
STAGE_REMAP = object()


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kam_milestone_ids = fields.One2many(
        "kam.lead.milestone", "lead_id", string="Milestones", help="Status of every milestone of the deal's process."
    )
    kam_current_milestone_ids = fields.One2many(
        "kam.lead.milestone",
        compute="_compute_kam_gate",
        string="Gate",
        help="The milestones of the current stage: all must be met before the deal moves forward.",
    )
    kam_unmet_milestone_ids = fields.Many2many(
        "kam.milestone",
        compute="_compute_kam_gate",
        string="Unmet Milestones",
        help="What still blocks the current stage.",
    )
    kam_gate_open = fields.Boolean(
        string="Gate Open",
        compute="_compute_kam_gate",
        search="_search_kam_gate_open",
        help="Every milestone of the current stage is met: the deal may move forward.",
    )
    kam_gate_done = fields.Integer(string="Milestones Met", compute="_compute_kam_gate")
    kam_gate_total = fields.Integer(string="Milestones in Gate", compute="_compute_kam_gate")
    kam_stakeholder_ids = fields.One2many(
        "kam.stakeholder", "lead_id", string="Buying Centre", help="Who takes part in the customer's decision."
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
    kam_stage_date = fields.Datetime(
        related="date_last_stage_update", string="In Stage Since", help="When the deal entered its current stage."
    )
    kam_days_in_stage = fields.Integer(
        string="Days in Stage", compute="_compute_kam_days_in_stage", help="Days since the deal entered its stage."
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("stage_id", "team_id", "company_id", "kam_milestone_ids.state")
    def _compute_kam_gate(self):
        # One query for all the deals (a kanban page): rows as plain values,
        # milestone configuration from the cache.
        specs = self.env["kam.milestone"]._kam_get_specs()
        rows_by_lead = defaultdict(list)
        for row in self.env["kam.lead.milestone"]._kam_fetch_rows(self._origin.ids):
            rows_by_lead[row.lead_id].append(row)
        Row, Milestone = self.env["kam.lead.milestone"], self.env["kam.milestone"]
        for lead in self:
            current = [
                row
                for row in rows_by_lead[lead._origin.id]
                if (spec := specs.get(row.milestone_id))
                and spec.stage_id == lead.stage_id.id
                and spec.applies(lead.team_id.id, lead.company_id.id)
            ]
            unmet = [row for row in current if row.state == "todo"]
            lead.kam_current_milestone_ids = Row.browse([row.id for row in current])
            lead.kam_unmet_milestone_ids = Milestone.browse([row.milestone_id for row in unmet])
            lead.kam_gate_open = not unmet
            lead.kam_gate_total = len(current)
            lead.kam_gate_done = len(current) - len(unmet)

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
        """Set-based: the stakeholders of all the deals in one query, the rules in plain Python."""
        roles = self.env["kam.buying.role"].sudo().search_fetch([("active", "=", True)], ["is_core", "code"])
        core = frozenset(roles.filtered("is_core").ids)
        coach = frozenset(roles.filtered(lambda r: r.code == "coach").ids)
        flag_ids = self.env["kam.red.flag"]._kam_get_ids_by_code()
        new_face_days = self._kam_get_new_face_days()
        today = fields.Date.context_today(self)
        people = defaultdict(list)
        real_ids = [lead_id for lead_id in self._origin.ids if lead_id]
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
        Flag = self.env["kam.red.flag"]
        for lead in self:
            if lead.type != "opportunity" or not lead.active:
                lead.kam_red_flag_ids = Flag
                continue
            codes = red_flags(people[lead._origin.id], core, coach, today, new_face_days)
            lead.kam_red_flag_ids = Flag.browse(sorted(flag_ids[code] for code in codes if code in flag_ids))

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

    @api.model
    def _kam_get_new_face_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param("kam_sales_process.new_face_days", "14")
        try:
            return max(int(value), 0)
        except ValueError:
            return 14

    @api.model
    def _cron_kam_refresh_red_flags(self):
        """Daily: red flags that depend on time (new faces not followed up)."""
        self.sudo().search([("type", "=", "opportunity"), ("active", "=", True)])._kam_refresh_red_flags()

    def _kam_refresh_red_flags(self, batch_size=10000):
        """Recompute the red flags of these deals, ``batch_size`` deals per compute call.

        The ORM's own recompute would split a batch into pages of 1,000 deals,
        each with its own queries: here one batch costs the same few queries
        whatever its size.
        """
        field = self._fields["kam_red_flag_ids"]
        leads = self.sudo()
        for start in range(0, len(leads), batch_size):
            batch = leads[start : start + batch_size]
            # Load in one query each what the compute and the automation rules
            # (old values) read, instead of pages of 1,000 deals.
            batch.fetch(["type", "active", "kam_red_flag_ids"])
            field.compute_value(batch)
            batch.flush_recordset(["kam_red_flag_ids"])
            if len(leads) > batch_size:
                self.env["ir.cron"]._notify_progress(done=start + len(batch), remaining=len(leads) - start - len(batch))

    @api.depends("date_last_stage_update")
    def _compute_kam_days_in_stage(self):
        now = fields.Datetime.now()
        for lead in self:
            since = lead.date_last_stage_update
            lead.kam_days_in_stage = (now - since).days if since else 0

    def _search_kam_gate_open(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'Gate Open' with 'is set' or 'is not set'."))
        blocked = self._kam_get_blocked_lead_ids()
        want_open = (operator == "=") == value
        return [("id", "not in" if want_open else "in", list(blocked))]

    def _kam_get_blocked_lead_ids(self):
        """Ids of the deals whose current stage has an unmet milestone that applies to them (one query)."""
        self.env["kam.lead.milestone"].flush_model()
        self.env["kam.milestone"].flush_model()
        self.flush_model(["stage_id", "team_id", "company_id"])
        self.env.cr.execute(
            """
            SELECT DISTINCT row.lead_id
              FROM kam_lead_milestone row
              JOIN kam_milestone ms ON ms.id = row.milestone_id AND ms.active
              JOIN crm_lead lead ON lead.id = row.lead_id AND lead.stage_id = ms.stage_id
             WHERE row.state = 'todo'
               AND (ms.company_id IS NULL OR ms.company_id = lead.company_id)
               AND (NOT EXISTS (SELECT 1 FROM kam_milestone_crm_team_rel t WHERE t.milestone_id = ms.id)
                    OR EXISTS (SELECT 1 FROM kam_milestone_crm_team_rel t
                                WHERE t.milestone_id = ms.id AND t.team_id = lead.team_id))
            """
        )
        return {lead_id for (lead_id,) in self.env.cr.fetchall()}

    # ------------------------------------------------------------------
    # CRUD: keep milestone rows in step with the deal's process
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads._kam_sync_milestones()
        return leads

    def write(self, vals):
        result = super().write(vals)
        if {"stage_id", "team_id", "company_id", "active"} & vals.keys():
            self._kam_sync_milestones()
        elif vals.keys() - {"date_automation_last"}:
            # A condition milestone may depend on any field of the deal.
            self._kam_refresh_milestones(kinds=("condition",))
        return result

    def _kam_sync_milestones(self):
        """Create the missing milestone rows of these deals' processes, drop the open rows
        that no longer apply, and refresh the condition rows and the new rows.

        Plain values throughout: one query for the existing rows, the
        configuration from caches, one create and one unlink for the batch.
        """
        leads = self.sudo().filtered("active")
        if not leads:
            return
        Row = self.env["kam.lead.milestone"].sudo()
        specs = self.env["kam.milestone"]._kam_get_specs()
        rows = Row._kam_fetch_rows(leads.ids)
        if not specs and not rows:
            return
        existing = defaultdict(dict)
        for row in rows:
            existing[row.lead_id][row.milestone_id] = row
        wanted_by_scope = {}
        to_create, obsolete = [], set()
        for lead in leads:
            scope = (lead.team_id.id, lead.company_id.id)
            if scope not in wanted_by_scope:
                stage_ids = {stage_id for stage_id, _seq in self.env["crm.stage"]._kam_get_pipeline(scope[0])}
                wanted_by_scope[scope] = self.env["kam.milestone"]._kam_get_wanted(stage_ids, *scope)
            wanted, mine = wanted_by_scope[scope], existing[lead.id]
            to_create += [{"lead_id": lead.id, "milestone_id": mid} for mid in wanted if mid not in mine]
            obsolete.update(row.id for mid, row in mine.items() if mid not in wanted and row.state == "todo")
        if obsolete:
            Row.browse(sorted(obsolete)).unlink()
        new_rows = Row.create(to_create) if to_create else Row
        conditions = [
            row.id
            for row in rows
            if row.id not in obsolete and (spec := specs.get(row.milestone_id)) and spec.kind == "condition"
        ]
        (Row.browse(conditions) | new_rows)._refresh_states()

    def _kam_refresh_milestones(self, kinds=None):
        """Refresh the rows of these deals that follow the data (optionally only some kinds)."""
        specs = self.env["kam.milestone"]._kam_get_specs()
        Row = self.env["kam.lead.milestone"].sudo()
        ids = [
            row.id
            for row in Row._kam_fetch_rows(self.ids)
            if (spec := specs.get(row.milestone_id)) and spec.kind != "check" and (not kinds or spec.kind in kinds)
        ]
        if ids:
            Row.browse(ids)._refresh_states()

    # ------------------------------------------------------------------
    # The gate
    # ------------------------------------------------------------------

    def _kam_get_unmet_for_moves(self, from_stages, to_stage=None):
        """``{lead: kam.lead.milestone rows still to do}`` for the moves of these deals.

        ``from_stages`` maps a deal id to the stage it leaves (a ``crm.stage``
        record), or to ``None`` for a deal created in its stage (the move then
        starts from the first stage of its pipeline); deals not in it are not
        moving.  The move goes to ``to_stage`` if given, else to the deal's
        current stage.  Archived deals are never blocked.
        """
        moving = self.sudo().filtered(lambda lead: lead.id in from_stages and lead.active)
        if not moving:
            return {}
        Stage, Milestone = self.env["crm.stage"], self.env["kam.milestone"]
        required = {}
        for lead in moving:
            origin, target = from_stages[lead.id], to_stage or lead.stage_id
            if not target:
                continue
            stage_ids = stages_to_clear(
                Stage._kam_get_pipeline(lead.team_id.id), origin.id if origin else None, target.id
            )
            if stage_ids:
                wanted = Milestone._kam_get_wanted(set(stage_ids), lead.team_id.id, lead.company_id.id)
                if wanted:
                    required[lead.id] = wanted
        if not required:
            return {}
        Row = self.env["kam.lead.milestone"].sudo()

        def required_rows():
            return [row for row in Row._kam_fetch_rows(list(required)) if row.milestone_id in required[row.lead_id]]

        rows = required_rows()
        if len(rows) < sum(len(wanted) for wanted in required.values()):
            # Rows missing (a milestone added in this transaction, …): create them.
            self.browse(list(required))._kam_sync_milestones()
            rows = required_rows()
        # States that follow the data are checked again now: the data may
        # have changed through related records since they were stored.
        states = {row.id: row.state for row in rows}
        states.update(Row.browse([row.id for row in rows])._refresh_states())
        unmet = defaultdict(list)
        for row in rows:
            if states[row.id] == "todo":
                unmet[row.lead_id].append(row.id)
        return {self.browse(lead_id): Row.browse(ids).with_env(self.env) for lead_id, ids in sorted(unmet.items())}

    def _kam_check_gates(self, from_stages):
        """Refuse, in one error naming every blocked deal, the forward moves with unmet milestones.

        See ``_kam_get_unmet_for_moves`` for ``from_stages``.  This is the rule
        the shipped automation rule "Stage gates" runs on every stage change.
        """
        if self.env.context.get("kam_stage_remap") is STAGE_REMAP:
            return  # a pipeline is being reorganised (kam.process.apply): not a move forward
        unmet = self._kam_get_unmet_for_moves(from_stages)
        if not unmet:
            return
        blocked = [(lead.display_name, rows.milestone_id.mapped("name")) for lead, rows in unmet.items()]
        lines, more = refusal_lines(blocked)
        message = self.env._(
            "These deals cannot move forward before the milestones of their stage are met:\n%(deals)s",
            deals="\n".join(lines),
        )
        if more:
            message += "\n" + self.env._("…and %(count)s more deals.", count=more)
        message += "\n" + self.env._(
            "Meet the milestones in the deal's Gate tab, or ask a sales manager to force the stage."
        )
        raise UserError(message)

    def action_kam_open_override(self):
        """Open the stage override wizard on these deals (sales managers)."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Force Stage"),
            "res_model": "kam.stage.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_lead_ids": self.ids, "active_model": self._name, "active_ids": self.ids},
        }
