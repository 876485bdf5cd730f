from collections import defaultdict, namedtuple
from typing import NamedTuple

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval
from psycopg2.errors import UniqueViolation

from ..kam_sales_process.gates import shorten
from .kam_guards import is_record_id


class RowData(NamedTuple):
    """A kam.lead.milestone row as plain values (hot paths)."""

    id: int
    lead_id: int
    milestone_id: int
    state: str
    passed: bool
    grandfathered: bool

    @property
    def met(self):
        """The milestone counts as met for the gate: done, waived, or grandfathered."""
        return self.state != "todo" or self.grandfathered


class ShownRow(
    namedtuple("ShownRow", (*RowData._fields, "done_date", "done_by", "name", "guidance", "evidence_required"))
):
    """A kam.lead.milestone row as ``RowData`` plus what the deal's Gate tab shows of it (when and by whom
    it was done, the milestone's name, guidance and need of evidence), as plain values."""

    __slots__ = ()
    met = RowData.met


STATES = [("todo", "To Do"), ("done", "Done"), ("waived", "Waived")]
#: What a person may edit on a row; everything else changes through the
#: buttons (action_done / action_reset / action_waive) or the gate itself.
EDITABLE_FIELDS = frozenset({"evidence", "attachment_ids"})


class KamLeadMilestone(models.Model):
    _name = "kam.lead.milestone"
    _description = "Deal Milestone Status"
    _order = "stage_sequence, stage_id, sequence, milestone_id, id"
    _rec_name = "milestone_name"

    lead_id = fields.Many2one("crm.lead", string="Deal", required=True, ondelete="cascade", index=True)
    milestone_id = fields.Many2one(
        "kam.milestone",
        ondelete="set null",
        index=True,
        help="Empty once the milestone was deleted (its stage dropped from the process): the row stays as the "
        "deal's audit trail.",
    )
    milestone_name = fields.Char(
        compute="_compute_snapshot",
        store=True,
        help="The milestone's name, kept when the milestone itself is deleted.",
    )
    stage_name = fields.Char(
        compute="_compute_snapshot", store=True, help="The stage's name, kept when the stage itself is deleted."
    )
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
    passed = fields.Boolean(
        readonly=True,
        default=False,
        help="The deal has moved past this milestone's stage: its status is history, it no longer follows the "
        "deal's data and cannot be reset until the deal moves back to that stage.",
    )
    grandfathered = fields.Boolean(
        readonly=True,
        default=False,
        help="The deal already stood past this milestone's stage when the milestone was added (or when its "
        "process was re-applied, or when it was imported as history): it counts as met for this deal.",
    )

    _sql_constraints = [
        ("lead_milestone_unique", "unique(lead_id, milestone_id)", "A deal has one status per milestone."),
    ]

    @api.depends("milestone_id.name", "milestone_id.stage_id.name")
    def _compute_snapshot(self):
        for row in self:
            # A deleted milestone leaves its last names behind.
            if row.milestone_id:
                row.milestone_name = row.milestone_id.name
                row.stage_name = row.milestone_id.stage_id.name

    @api.depends("milestone_id", "milestone_name")
    def _compute_display_name(self):
        for row in self:
            row.display_name = row.milestone_id.display_name or row.milestone_name or ""

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise UserError(self.env._("Deal milestones are created by the deal's sales process, not by hand."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if vals.keys() - EDITABLE_FIELDS:
                raise UserError(
                    self.env._(
                        "Milestone statuses change through their buttons (Done, Reset, Waive), not by editing them."
                    )
                )
            self._check_lead_write_access()
            if "attachment_ids" in vals:
                self._kam_check_linked_files(vals["attachment_ids"])
            # the evidence of a stage the deal has left is part of its record: as it was when it left
            self._check_no_passed(
                self.env._(
                    "The deal has moved past the stage of these milestones: their evidence stays as it was when it "
                    "left. Move the deal back to that stage to reopen them."
                )
            )
        result = super().write(vals)
        if not self.env.su and EDITABLE_FIELDS & vals.keys():
            self._check_evidence_kept()
        return result

    def _kam_check_linked_files(self, commands):
        """Files linked as evidence are files the user may read (their own uploads, the files of records they
        may read): another's file would count as evidence unseen, then be kept from its owner as the evidence
        of a ticked milestone. ``commands`` are a client's, checked for their form first."""
        linked = set()
        if not isinstance(commands, list | tuple):
            commands = [None]
        for command in commands:
            if not (isinstance(command, list | tuple) and command and command[0] in range(7)):
                raise UserError(
                    self.env._("Evidence files are given as a list of commands on files, not %(value)s.",
                               value=repr(command)[:80])
                )  # fmt: skip
            if command[0] == 4:
                linked.add(command[1] if len(command) > 1 else None)
            elif command[0] == 6:
                ids = command[2] if len(command) > 2 else None
                linked.update(ids if isinstance(ids, list | tuple) else [ids])
            elif command[0] in (1, 2, 3):
                linked.add(command[1] if len(command) > 1 else None)
        if not all(is_record_id(file_id) for file_id in linked):
            raise UserError(self.env._("Evidence files are given by their ids."))
        files = self.env["ir.attachment"].browse(sorted(linked))
        missing = files - files.exists()
        if missing:
            raise UserError(self.env._("These files no longer exist: %(ids)s", ids=", ".join(map(str, missing.ids))))
        new = files - self.sudo().attachment_ids
        if new:
            new.check("read")
            # the user's own uploads or the files of these deals and rows: another's file, even one the user
            # may read (public, on a shared record), would then be kept from its owner as evidence
            theirs = {("kam.lead.milestone", row_id) for row_id in self.ids}
            theirs.update(("crm.lead", lead_id) for lead_id in self.lead_id.ids)
            others = new.sudo().filtered(
                lambda file: file.create_uid != self.env.user and (file.res_model, file.res_id) not in theirs
            )
            if others:
                raise UserError(
                    self.env._(
                        "Link as evidence your own files or the deal's, not these: %(files)s",
                        files=", ".join(others.mapped("name")),
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_audit_trail(self):
        if not self.env.su:
            raise UserError(self.env._("Deal milestones are kept as the deal's audit trail; they cannot be deleted."))

    def _check_evidence_kept(self):
        """A ticked item that needs evidence keeps some for as long as it stays done."""
        bare = self.sudo().filtered(
            lambda r: (
                r.state == "done" and r.evidence_required and not (r.evidence or "").strip() and not r.attachment_ids
            )
        )
        if bare:
            raise UserError(
                self.env._(
                    "These milestones are done on the strength of their evidence; reset them before removing it: "
                    "%(milestones)s",
                    milestones=", ".join(shorten(name) for name in bare.mapped("display_name")),
                )
            )

    @api.model
    def _kam_check_attachments_frozen(self, attachment_ids, removing=False):
        """Refuse to rewrite files that are the evidence of a stage the deal has moved past and, when
        ``removing``, to delete the only evidence of a ticked item (one query for both)."""
        self.flush_model(["passed", "state", "attachment_ids"])
        self.env.cr.execute(
            """
            SELECT DISTINCT rel.kam_lead_milestone_id, row.passed, row.state
              FROM ir_attachment_kam_lead_milestone_rel rel
              JOIN kam_lead_milestone row ON row.id = rel.kam_lead_milestone_id
             WHERE rel.ir_attachment_id = ANY(%s) AND (row.passed OR row.state = 'done')
            """,
            [list(attachment_ids)],
        )
        found = self.env.cr.fetchall()
        rows = self.sudo().browse([row_id for row_id, passed, _state in found if passed])
        rows._check_no_passed(
            self.env._(
                "These files are the evidence of milestones of a stage the deal has moved past: they stay as they "
                "were when it left. Move the deal back to that stage to reopen them."
            )
        )
        if removing:
            ticked = self.sudo().browse([row_id for row_id, _passed, state in found if state == "done"])
            ticked._kam_check_evidence_kept(attachment_ids)

    def _kam_check_evidence_kept(self, attachment_ids):
        """Refuse to delete the files ``attachment_ids`` where they are the only evidence of these ticked rows."""
        remaining = {row: row.attachment_ids.filtered(lambda a: a.id not in attachment_ids) for row in self}
        bare = self.filtered(lambda r: r.evidence_required and not (r.evidence or "").strip() and not remaining[r])
        if bare:
            raise UserError(
                self.env._(
                    "These files are the evidence of ticked milestones; reset the milestones before deleting them: "
                    "%(milestones)s",
                    milestones=", ".join(shorten(name) for name in bare.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def _check_lead_write_access(self):
        # The deal's users may tick: whoever may edit the deal.
        self.lead_id.check_access("write")

    def _check_no_passed(self, message=None):
        """Refuse rows of a stage the deal has moved past, by ``message`` or by the general one."""
        passed = self.sudo().filtered("passed")
        if passed:
            message = message or self.env._(
                "The deal has moved past the stage of these milestones: they stay as they were when it left. Move "
                "the deal back to that stage to reopen them."
            )
            raise UserError(message + "\n" + ", ".join(shorten(name) for name in passed.mapped("display_name")))

    def action_done(self):
        """Tick checklist items (stamped with who and when); not those of a stage the deal has passed, nor
        waived ones (the waiver, its reason and who gave it stay until a manager lifts it)."""
        self._check_lead_write_access()
        self._check_no_passed()
        waived = self.filtered(lambda r: r.state == "waived")
        if waived:
            raise UserError(
                self.env._(
                    "A sales manager waived these milestones; lift the waiver before ticking them: %(milestones)s",
                    milestones=", ".join(waived.milestone_id.mapped("name")),
                )
            )
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
        """Untick checklist items; lift a waiver (not of a stage the deal has passed)."""
        self._check_lead_write_access()
        self._check_no_passed()
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
        if not isinstance(reason, str) or not reason.strip():
            raise UserError(self.env._("Say why the milestone is waived, in words."))
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
    def _kam_fetch_shown_rows(self, lead_ids):
        """The rows of these deals as the deal's Gate tab shows them, in one query, as ``ShownRow`` in the
        milestones' order: with who ticked them and the milestone's name and guidance in the reader's
        language. Rows of deleted milestones are left out (no gate reads them)."""
        if not lead_ids:
            return []
        self.flush_model(["lead_id", "milestone_id", "state", "passed", "grandfathered", "done_by_id", "done_date"])
        self.env["kam.milestone"].flush_model(["name", "guidance", "evidence_required", "sequence"])
        self.env["res.users"].flush_model(["partner_id"])
        self.env["res.partner"].flush_model(["name"])
        self.env.cr.execute(
            """
            SELECT row.id, row.lead_id, row.milestone_id, row.state, row.passed, row.grandfathered,
                   row.done_date,
                   -- who ticked it, looked up by key for each row shown: a join would let the planner
                   -- hash every user and contact when its statistics are stale (after an import)
                   (SELECT partner.name FROM res_users u JOIN res_partner partner ON partner.id = u.partner_id
                     WHERE u.id = row.done_by_id),
                   COALESCE(ms.name->>%(lang)s, ms.name->>'en_US'),
                   COALESCE(ms.guidance->>%(lang)s, ms.guidance->>'en_US'),
                   ms.evidence_required
              FROM kam_lead_milestone row
              JOIN kam_milestone ms ON ms.id = row.milestone_id
             WHERE row.lead_id = ANY(%(lead_ids)s)
             ORDER BY ms.sequence, ms.id
            """,
            {"lang": self.env.lang or "en_US", "lead_ids": list(lead_ids)},
        )
        return [ShownRow._make(values) for values in self.env.cr.fetchall()]

    @api.model
    def _kam_select_rows(self, column, ids):
        """The rows whose ``column`` (``id`` or ``lead_id``) is in ``ids``, as ``RowData``, in one query."""
        if not ids:
            return []
        self.flush_model(["lead_id", "milestone_id", "state", "passed", "grandfathered"])
        self.env.cr.execute(
            SQL(
                "SELECT id, lead_id, milestone_id, state, passed, grandfathered"
                "  FROM kam_lead_milestone WHERE %s = ANY(%s)",
                SQL.identifier(column),
                list(ids),
            )
        )
        return [RowData._make(values) for values in self.env.cr.fetchall()]

    @api.model
    def _kam_create_rows(self, vals_list):
        """Create the rows of these ``{"lead_id", "milestone_id"}`` pairs, which this transaction found missing.

        Another transaction may have created some of them after this one's snapshot (a manager adds a
        milestone to a stage while a salesperson moves a deal past it: both create the deal's row). The
        insert then fails on the unique pair, which Odoo reports to the user as an error and does not retry.
        Here the pairs are then tried once more as ``INSERT … ON CONFLICT DO NOTHING``, which PostgreSQL
        refuses with a serialization failure when the row in the way is one this transaction cannot see:
        Odoo retries the whole call, and the retry sees the other transaction's rows (the move is then
        checked against the new milestone). Nothing of that second try is kept; a pair in the way for any
        other reason fails as before.
        """
        try:
            with self.env.cr.savepoint(flush=False):
                return self.create(vals_list)
        except UniqueViolation:
            with self.env.cr.savepoint(flush=False) as probe:
                self.env.cr.execute(
                    """
                    INSERT INTO kam_lead_milestone (lead_id, milestone_id, state)
                    SELECT pair.lead_id, pair.milestone_id, 'todo'
                      FROM unnest(%s::int[], %s::int[]) AS pair(lead_id, milestone_id)
                        ON CONFLICT (lead_id, milestone_id) DO NOTHING
                    """,
                    [[vals["lead_id"] for vals in vals_list], [vals["milestone_id"] for vals in vals_list]],
                    log_exceptions=False,
                )
                probe.rollback()
            raise

    @api.model
    def _kam_reopen_rows(self, pairs):
        """Make live again the passed rows of these ``(lead id, milestone id)`` pairs (a deal moved back
        before their stage, or its stage re-ordered ahead of it), in one statement; the rows that follow
        the data catch up with it.  Returns the rows reopened as ``RowData``."""
        if not pairs:
            return []
        self.flush_model(["lead_id", "milestone_id", "state", "passed", "grandfathered"])
        self.env.cr.execute(
            """
            UPDATE kam_lead_milestone row SET passed = FALSE
              FROM unnest(%s::int[], %s::int[]) AS pair(lead_id, milestone_id)
             WHERE row.lead_id = pair.lead_id AND row.milestone_id = pair.milestone_id AND row.passed
         RETURNING row.id, row.lead_id, row.milestone_id, row.state, row.passed, row.grandfathered
            """,
            [[lead_id for lead_id, _mid in pairs], [mid for _lead_id, mid in pairs]],
        )
        rows = [RowData._make(values) for values in self.env.cr.fetchall()]
        self.browse([row.id for row in rows]).invalidate_recordset(["passed"])
        if rows:
            self._kam_refresh_rows(rows, include_passed=True)
        return rows

    def _refresh_states(self, include_passed=False):
        """Recompute the state of condition, roles and activity rows from the data.

        Set-based: one query per kind for the whole batch, then one update per
        new state.  Checklist rows, waived rows, rows of archived milestones
        and the rows of stages the deal has passed (unless ``include_passed``:
        the gate checking a move) are left as they are.  Returns ``{row id:
        state}`` for the rows it looked at.
        """
        if not self:
            return {}
        return self._kam_refresh_rows(self._kam_select_rows("id", self.ids), include_passed)

    @api.model
    def _kam_refresh_rows(self, rows, include_passed=False):
        """``_refresh_states`` for rows already read as ``RowData`` (no query to read them again)."""
        specs = self.env["kam.milestone"]._kam_get_specs()
        rows = [
            row
            for row in rows
            if row.state != "waived"
            and (include_passed or not row.passed)
            and (spec := specs.get(row.milestone_id))
            and spec.kind != "check"
        ]
        by_kind = defaultdict(list)
        for row in rows:
            by_kind[specs[row.milestone_id].kind].append(row)
        met = set()
        for kind, kind_rows in by_kind.items():
            # A kind that follows the data is one method: _kam_get_met_<kind>(rows, specs).
            met |= getattr(self, f"_kam_get_met_{kind}")(kind_rows, specs)
        to_done = [row.id for row in rows if row.id in met and row.state != "done"]
        to_todo = [row.id for row in rows if row.id not in met and row.state == "done"]
        Row = self.sudo()
        if to_done:
            Row.browse(to_done).write({"state": "done", "done_date": fields.Datetime.now(), "done_by_id": False})
        if to_todo:
            Row.browse(to_todo).write({"state": "todo", "done_date": False, "done_by_id": False})
        return {row.id: "done" if row.id in met else "todo" for row in rows}

    @api.model
    def _kam_get_met_condition(self, rows, specs):
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
    def _kam_get_met_roles(self, rows, specs):
        """Ids of the roles rows whose deal has every role identified (and contacted): one query.

        Archived roles count for nobody (as in the stakeholders' ``role_ids``).
        """
        self.env["kam.stakeholder"].flush_model(["lead_id", "role_ids", "contacted"])
        self.env["kam.buying.role"].flush_model(["active"])
        self.env.cr.execute(
            """
            SELECT s.lead_id, rel.role_id, s.contacted
              FROM kam_stakeholder s
              JOIN kam_stakeholder_role_rel rel ON rel.stakeholder_id = s.id
              JOIN kam_buying_role role ON role.id = rel.role_id AND role.active
             WHERE s.lead_id = ANY(%s)
            """,
            [sorted({row.lead_id for row in rows})],
        )
        identified, contacted = defaultdict(set), defaultdict(set)
        for lead_id, role_id, is_contacted in self.env.cr.fetchall():
            identified[lead_id].add(role_id)
            if is_contacted:
                contacted[lead_id].add(role_id)
        met = set()
        for row in rows:
            spec = specs[row.milestone_id]
            pool = contacted if spec.require_contacted else identified
            if spec.role_ids <= pool[row.lead_id]:
                met.add(row.id)
        return met

    @api.model
    def _kam_get_met_activity(self, rows, specs):
        """Ids of the activity rows whose deal has a done activity of the type: one query.

        Only activities marked done through the activity framework count (see
        ``kam.done.activity``): a chatter message claiming an activity type
        does not.
        """
        groups = (
            self.env["kam.done.activity"]
            .sudo()
            ._read_group(
                [
                    ("lead_id", "in", sorted({row.lead_id for row in rows})),
                    ("activity_type_id", "in", sorted({specs[row.milestone_id].activity_type_id for row in rows})),
                ],
                ["lead_id", "activity_type_id"],
            )
        )
        done = {(lead.id, activity_type.id) for lead, activity_type in groups}
        return {row.id for row in rows if (row.lead_id, specs[row.milestone_id].activity_type_id) in done}
