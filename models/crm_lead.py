from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..kam_sales_process.gates import refusal_lines, stages_to_clear


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
        for lead in self:
            current = lead.kam_milestone_ids.filtered(
                lambda row, lead=lead: (
                    row.stage_id == lead.stage_id and row.milestone_id.active and row.milestone_id._applies_to(lead)
                )
            )
            unmet = current.filtered(lambda row: row.state == "todo")
            lead.kam_current_milestone_ids = current
            lead.kam_unmet_milestone_ids = unmet.milestone_id
            lead.kam_gate_open = not unmet
            lead.kam_gate_total = len(current)
            lead.kam_gate_done = len(current) - len(unmet)

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

    def _kam_get_pipelines(self):
        """``{team id: [(stage id, sequence), …]}`` in stage order for the teams of these deals."""
        stages = self.env["crm.stage"].sudo().search_fetch([], ["sequence", "team_id"])
        pipelines = {}
        for team_id in set(self.team_id.ids) | {False}:
            pipelines[team_id] = [
                (stage.id, stage.sequence) for stage in stages if not stage.team_id or stage.team_id.id == team_id
            ]
        return pipelines

    def _kam_sync_milestones(self):
        """Create the missing milestone rows of these deals' processes, drop the open rows
        that no longer apply, and refresh the states of the rows that follow the data."""
        leads = self.sudo().filtered("active")
        if not leads:
            return
        milestones = self.env["kam.milestone"].sudo().browse(self.env["kam.milestone"]._get_active_ids())
        if not milestones and not leads.kam_milestone_ids:
            return
        pipelines = leads._kam_get_pipelines()
        by_stage = defaultdict(lambda: self.env["kam.milestone"])
        for milestone in milestones:
            by_stage[milestone.stage_id.id] |= milestone
        to_create, obsolete = [], self.env["kam.lead.milestone"]
        for lead in leads:
            wanted = self.env["kam.milestone"]
            for stage_id, _seq in pipelines[lead.team_id.id]:
                wanted |= by_stage[stage_id].filtered(lambda m, lead=lead: m._applies_to(lead))
            existing = lead.kam_milestone_ids
            to_create += [
                {"lead_id": lead.id, "milestone_id": milestone.id} for milestone in wanted - existing.milestone_id
            ]
            obsolete |= existing.filtered(
                lambda row, wanted=wanted: row.milestone_id not in wanted and row.state == "todo"
            )
        if obsolete:
            obsolete.unlink()
        new_rows = (
            self.env["kam.lead.milestone"].sudo().create(to_create) if to_create else self.env["kam.lead.milestone"]
        )
        (leads.kam_milestone_ids.filtered(lambda r: r.kind == "condition") | new_rows)._refresh_states()

    def _kam_refresh_milestones(self, kinds=None):
        """Refresh the rows of these deals that follow the data (optionally only some kinds)."""
        rows = self.sudo().kam_milestone_ids
        if kinds:
            rows = rows.filtered(lambda r: r.kind in kinds)
        rows._refresh_states()

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
        pipelines = moving._kam_get_pipelines()
        to_clear = {}
        for lead in moving:
            origin, target = from_stages[lead.id], to_stage or lead.stage_id
            if not target:
                continue
            stage_ids = stages_to_clear(pipelines[lead.team_id.id], origin.id if origin else None, target.id)
            if stage_ids:
                to_clear[lead] = set(stage_ids)
        if not to_clear:
            return {}
        self.browse([lead.id for lead in to_clear]).sudo()._kam_sync_milestones()
        unmet = {}
        for lead, stage_ids in to_clear.items():
            rows = lead.kam_milestone_ids.filtered(
                lambda row, lead=lead, stage_ids=stage_ids: (
                    row.stage_id.id in stage_ids
                    and row.state == "todo"
                    and row.milestone_id.active
                    and row.milestone_id._applies_to(lead)
                )
            )
            if rows:
                unmet[lead.with_env(self.env)] = rows.with_env(self.env)
        return unmet

    def _kam_check_gates(self, from_stages):
        """Refuse, in one error naming every blocked deal, the forward moves with unmet milestones.

        See ``_kam_get_unmet_for_moves`` for ``from_stages``.  This is the rule
        the shipped automation rule "Stage gates" runs on every stage change.
        """
        unmet = self._kam_get_unmet_for_moves(from_stages)
        if not unmet:
            return
        blocked = [
            (lead.display_name, rows.milestone_id.mapped("name"))
            for lead, rows in sorted(unmet.items(), key=lambda item: item[0].id)
        ]
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
