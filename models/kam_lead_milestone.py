from collections import defaultdict

from odoo import fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

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

    def _refresh_states(self):
        """Recompute the state of condition, roles and activity rows from the data.

        Set-based: one query per kind for the whole batch, then one update per
        new state.  Checklist rows and waived rows are left as they are.
        """
        rows = self.sudo().filtered(lambda r: r.state != "waived" and r.kind != "check")
        if not rows:
            return
        met = set()
        by_kind = defaultdict(self.browse)
        for row in rows:
            by_kind[row.kind] |= row
        if by_kind["condition"]:
            met |= by_kind["condition"]._get_met_conditions()
        if by_kind["roles"]:
            met |= by_kind["roles"]._get_met_roles()
        if by_kind["activity"]:
            met |= by_kind["activity"]._get_met_activities()
        to_done = rows.filtered(lambda r: r.id in met and r.state != "done")
        to_todo = rows.filtered(lambda r: r.id not in met and r.state == "done")
        if to_done:
            to_done.write({"state": "done", "done_date": fields.Datetime.now(), "done_by_id": False})
        if to_todo:
            to_todo.write({"state": "todo", "done_date": False, "done_by_id": False})

    def _get_met_conditions(self):
        """Ids of the condition rows whose deal matches the milestone's domain: one query."""
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        milestones = self.milestone_id
        columns = [
            SQL("crm_lead.id IN %s", Lead._search(milestone._get_domain()).subselect()) for milestone in milestones
        ]
        # execute_query flushes what the conditions read before running them.
        result = self.env.execute_query(
            SQL(
                "SELECT crm_lead.id, %s FROM crm_lead WHERE crm_lead.id = ANY(%s)",
                SQL(", ").join(columns),
                list(set(self.lead_id.ids)),
            )
        )
        matches = {
            (lead_id, milestone.id)
            for lead_id, *flags in result
            for milestone, flag in zip(milestones, flags, strict=True)
            if flag
        }
        return {row.id for row in self if (row.lead_id.id, row.milestone_id.id) in matches}

    def _get_met_roles(self):
        """Ids of the roles rows whose deal has every role identified (and contacted)."""
        stakeholders = (
            self.env["kam.stakeholder"]
            .sudo()
            .search_fetch([("lead_id", "in", self.lead_id.ids)], ["lead_id", "role_ids", "contacted"])
        )
        identified, contacted = defaultdict(set), defaultdict(set)
        for stakeholder in stakeholders:
            identified[stakeholder.lead_id.id].update(stakeholder.role_ids.ids)
            if stakeholder.contacted:
                contacted[stakeholder.lead_id.id].update(stakeholder.role_ids.ids)
        met = set()
        for row in self:
            required = set(row.milestone_id.role_ids.ids)
            pool = contacted if row.milestone_id.require_contacted else identified
            if required <= pool[row.lead_id.id]:
                met.add(row.id)
        return met

    def _get_met_activities(self):
        """Ids of the activity rows whose deal has a done activity of the type (one query)."""
        groups = (
            self.env["mail.message"]
            .sudo()
            ._read_group(
                [
                    ("model", "=", "crm.lead"),
                    ("res_id", "in", self.lead_id.ids),
                    ("mail_activity_type_id", "in", self.milestone_id.activity_type_id.ids),
                ],
                ["res_id", "mail_activity_type_id"],
            )
        )
        done = {(res_id, activity_type.id) for res_id, activity_type in groups}
        return {row.id for row in self if (row.lead_id.id, row.milestone_id.activity_type_id.id) in done}
