from collections import defaultdict
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval


class RowData(NamedTuple):
    """A kam.lead.milestone row as plain values (hot paths)."""

    id: int
    lead_id: int
    milestone_id: int
    state: str


STATES = [("todo", "To Do"), ("done", "Done"), ("waived", "Waived")]
# Fields only the addon's own actions write (as superuser): a person changes
# them through action_done / action_reset / action_waive, never directly.
PROTECTED_FIELDS = {"state", "done_by_id", "done_date", "waive_reason", "lead_id", "milestone_id"}


class KamLeadMilestone(models.Model):
    _name = "kam.lead.milestone"
    _description = "Deal Milestone Status"
    _order = "stage_sequence, stage_id, sequence, milestone_id, id"
    _rec_name = "milestone_id"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    milestone_id = fields.Many2one("kam.milestone", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="lead_id.company_id", store=True)
    stage_id = fields.Many2one(related="milestone_id.stage_id", store=True, index=True)
    stage_sequence = fields.Integer(related="milestone_id.stage_id.sequence", string="Stage Sequence")
    sequence = fields.Integer(related="milestone_id.sequence")
    kind = fields.Selection(related="milestone_id.kind")
    guidance = fields.Html(related="milestone_id.guidance")
    evidence_required = fields.Boolean(related="milestone_id.evidence_required")
    state = fields.Selection(
        STATES,
        required=True,
        default="todo",
        readonly=True,
        index=True,
        help="Checklist items are ticked by a person; the other kinds follow the deal's data by themselves. "
        "Waived: a sales manager let the deal pass without it.",
    )
    done_by_id = fields.Many2one("res.users", readonly=True)
    done_date = fields.Datetime(string="Done On", readonly=True)
    evidence = fields.Text(help="What shows the milestone is met (minutes, customer's e-mail, …).")
    attachment_ids = fields.Many2many("ir.attachment", string="Evidence Files")
    waive_reason = fields.Text(readonly=True, help="Why a sales manager let the deal pass without this milestone.")

    _sql_constraints = [
        ("lead_milestone_unique", "unique(lead_id, milestone_id)", "A deal has one status per milestone."),
    ]

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    def write(self, vals):
        if not self.env.su and PROTECTED_FIELDS & vals.keys():
            raise UserError(
                self.env._("Milestone statuses change through their buttons (Done, Reset, Waive), not by editing them.")
            )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_lead_write_access(self):
        # The deal's users may tick: whoever may edit the deal.
        self.lead_id.check_access("write")

    def action_done(self):
        """Tick checklist items (stamped with who and when)."""
        self._check_lead_write_access()
        not_checklist = self.filtered(lambda r: r.kind != "check")
        if not_checklist:
            raise UserError(
                self.env._(
                    "Only checklist items are ticked by hand; these follow the deal's data: %(milestones)s",
                    milestones=", ".join(not_checklist.milestone_id.mapped("name")),
                )
            )
        missing = self.filtered(
            lambda r: r.evidence_required and not (r.evidence or "").strip() and not r.attachment_ids
        )
        if missing:
            raise UserError(
                self.env._(
                    "Add a note or a file as evidence before ticking: %(milestones)s",
                    milestones=", ".join(missing.milestone_id.mapped("name")),
                )
            )
        self.filtered(lambda r: r.state != "done").sudo().write(
            {"state": "done", "done_by_id": self.env.uid, "done_date": fields.Datetime.now()}
        )
        return True

    def action_reset(self):
        """Untick checklist items; lift a waiver."""
        self._check_lead_write_access()
        waived = self.filtered(lambda r: r.state == "waived")
        if waived and not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only a sales manager may lift a waiver."))
        self.sudo().write({"state": "todo", "done_by_id": False, "done_date": False, "waive_reason": False})
        self.filtered(lambda r: r.kind != "check")._refresh_states()
        return True

    def action_waive(self, reason=None):
        """Let deals pass without these milestones (sales managers, with a reason)."""
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only a sales manager may waive a milestone."))
        if not (reason or "").strip():
            raise UserError(self.env._("Say why the milestone is waived."))
        self._check_lead_write_access()
        self.sudo().write(
            {
                "state": "waived",
                "waive_reason": reason.strip(),
                "done_by_id": self.env.uid,
                "done_date": fields.Datetime.now(),
            }
        )
        return True

    # ------------------------------------------------------------------
    # State of the kinds that follow the data
    # ------------------------------------------------------------------

    @api.model
    def _kam_fetch_rows(self, lead_ids):
        """The rows of these deals as plain ``RowData`` values, in one query."""
        return self._kam_select_rows("lead_id", lead_ids)

    @api.model
    def _kam_select_rows(self, column, ids):
        """The rows whose ``column`` (``id`` or ``lead_id``) is in ``ids``, as ``RowData``, in one query."""
        if not ids:
            return []
        self.flush_model(["lead_id", "milestone_id", "state"])
        self.env.cr.execute(
            SQL(
                "SELECT id, lead_id, milestone_id, state FROM kam_lead_milestone WHERE %s = ANY(%s)",
                SQL.identifier(column),
                list(ids),
            )
        )
        return [RowData._make(values) for values in self.env.cr.fetchall()]

    def _refresh_states(self):
        """Recompute the state of condition, roles and activity rows from the data.

        Set-based: one query per kind for the whole batch, then one update per
        new state.  Checklist rows, waived rows and rows of archived
        milestones are left as they are.  Returns ``{row id: state}`` for the
        rows it looked at.
        """
        if not self:
            return {}
        specs = self.env["kam.milestone"]._kam_get_specs()
        rows = [
            row
            for row in self._kam_select_rows("id", self.ids)
            if row.state != "waived" and (spec := specs.get(row.milestone_id)) and spec.kind != "check"
        ]
        by_kind = defaultdict(list)
        for row in rows:
            by_kind[specs[row.milestone_id].kind].append(row)
        met = set()
        if by_kind["condition"]:
            met |= self._get_met_conditions(by_kind["condition"], specs)
        if by_kind["roles"]:
            met |= self._get_met_roles(by_kind["roles"], specs)
        if by_kind["activity"]:
            met |= self._get_met_activities(by_kind["activity"], specs)
        to_done = [row.id for row in rows if row.id in met and row.state != "done"]
        to_todo = [row.id for row in rows if row.id not in met and row.state == "done"]
        Row = self.sudo()
        if to_done:
            Row.browse(to_done).write({"state": "done", "done_date": fields.Datetime.now(), "done_by_id": False})
        if to_todo:
            Row.browse(to_todo).write({"state": "todo", "done_date": False, "done_by_id": False})
        return {row.id: "done" if row.id in met else "todo" for row in rows}

    @api.model
    def _get_met_conditions(self, rows, specs):
        """Ids of the condition rows whose deal matches the milestone's domain: one query."""
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        milestone_ids = sorted({row.milestone_id for row in rows})
        columns = [
            SQL("crm_lead.id IN %s", Lead._search(safe_eval(specs[mid].domain)).subselect()) for mid in milestone_ids
        ]
        # execute_query flushes what the conditions read before running them.
        result = self.env.execute_query(
            SQL(
                "SELECT crm_lead.id, %s FROM crm_lead WHERE crm_lead.id = ANY(%s)",
                SQL(", ").join(columns),
                sorted({row.lead_id for row in rows}),
            )
        )
        matches = {
            (lead_id, milestone_id)
            for lead_id, *flags in result
            for milestone_id, flag in zip(milestone_ids, flags, strict=True)
            if flag
        }
        return {row.id for row in rows if (row.lead_id, row.milestone_id) in matches}

    @api.model
    def _get_met_roles(self, rows, specs):
        """Ids of the roles rows whose deal has every role identified (and contacted): one query."""
        stakeholders = (
            self.env["kam.stakeholder"]
            .sudo()
            .search_fetch(
                [("lead_id", "in", sorted({row.lead_id for row in rows}))], ["lead_id", "role_ids", "contacted"]
            )
        )
        identified, contacted = defaultdict(set), defaultdict(set)
        for stakeholder in stakeholders:
            identified[stakeholder.lead_id.id].update(stakeholder.role_ids.ids)
            if stakeholder.contacted:
                contacted[stakeholder.lead_id.id].update(stakeholder.role_ids.ids)
        met = set()
        for row in rows:
            spec = specs[row.milestone_id]
            pool = contacted if spec.require_contacted else identified
            if spec.role_ids <= pool[row.lead_id]:
                met.add(row.id)
        return met

    @api.model
    def _get_met_activities(self, rows, specs):
        """Ids of the activity rows whose deal has a done activity of the type: one query."""
        groups = (
            self.env["mail.message"]
            .sudo()
            ._read_group(
                [
                    ("model", "=", "crm.lead"),
                    ("res_id", "in", sorted({row.lead_id for row in rows})),
                    ("mail_activity_type_id", "in", sorted({specs[row.milestone_id].activity_type_id for row in rows})),
                ],
                ["res_id", "mail_activity_type_id"],
            )
        )
        done = {(res_id, activity_type.id) for res_id, activity_type in groups}
        return {row.id for row in rows if (row.lead_id, specs[row.milestone_id].activity_type_id) in done}
