"""The stage gate on deals.

Every deal has one ``kam.lead.milestone`` row per milestone of its process.
Its *position* (pipeline, company, stage, active) is what the gate guards: the
shipped automation rule "Stage gates" runs ``_kam_check_gates`` whenever any of
``stage_id``, ``team_id``, ``company_id`` or ``active`` changes (by a write, a
create or a recompute), with the position before the change; the transition
rule of ``kam_sales_process.gates`` says which stages must be cleared.  A
cleared row is *passed*: its state is history until the deal moves back.

Two audited paths place deals without the gate, and only server code can open
them (``GateBypass``): re-mapping a pipeline (``kam.process.apply``) and
importing deals as history (``kam.history.import``).  The deals they place, and
deals already standing past a milestone when it is added, are grandfathered:
the rows they skipped say so and count as met.
"""

import json
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools.safe_eval import safe_eval

from ..kam_sales_process.gates import Position, refusal_lines, shorten, transition
from .kam_guards import field_labels, strip_forged_defaults

#: The deal's fields that make up its position for the gate.
POSITION_FIELDS = frozenset({"stage_id", "team_id", "company_id", "active"})
#: The position fields that decide which milestones apply to the deal (its rows).
SCOPE_FIELDS = frozenset({"team_id", "company_id"})
#: crm's stamps of a deal's life, set by crm's own write when the deal changes stage or is won or lost
#: (readonly in the views only): the stuck check, the funnel, the tiers, health and plans read them.
CRM_STAMPS = frozenset({"date_last_stage_update", "date_closed"})
#: What the gate records on a deal itself: only the server writes it.
GATE_RECORDS = frozenset({"kam_archived_position"})


class GateBypass:
    """An audited path that places deals without their gate.

    ``kind`` is ``remapped`` (a pipeline re-mapping) or ``history`` (an import
    of historical deals, with ``reason``).  Only server code creates one and the
    gate recognises it by its type: no client context (JSON) can stand in for it.
    """

    __slots__ = ("kind", "reason")
    REMAPPED = "remapped"
    HISTORY = "history"

    def __init__(self, kind, reason=""):
        self.kind = kind
        self.reason = reason


def gate_bypass(env):
    """The GateBypass of this environment's context, or ``None``."""
    bypass = env.context.get("kam_gate_bypass")
    return bypass if isinstance(bypass, GateBypass) else None


def condition_fields(domain, first_steps=False):
    """The deal's fields a condition milestone's domain reads, or None when the domain cannot be read
    or goes through other records (a path, an 'any'). With ``first_steps``, a path counts as the deal's
    field it starts from."""
    try:
        leaves = list(safe_eval(domain or "[]"))
    except Exception:  # a domain that cannot be read: refresh on every write, as before
        return None
    names = set()
    for leaf in leaves:
        if isinstance(leaf, (list, tuple)) and len(leaf) == 3:
            if not isinstance(leaf[0], str):
                return None
            if not first_steps and ("." in leaf[0] or leaf[1] in ("any", "not any")):
                return None  # a path through other records: their changes are not the deal's writes
            names.add(leaf[0].split(".", 1)[0])
    return names


#: The fields ``_compute_kam_gate`` sets.
GATE_FIELDS = (
    "kam_current_milestone_ids",
    "kam_unmet_milestone_ids",
    "kam_gate_open",
    "kam_gate_total",
    "kam_gate_done",
)


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
    kam_archived_position = fields.Json(
        string="Position When Archived",
        readonly=True,
        copy=False,
        help="Where the deal stood (stage, sales team, company) when it was last archived: a milestone added "
        "before that stage settles it there, not where it was moved while archived (unchecked until restored).",
    )
    kam_gate_rows = fields.Json(
        string="Milestones of the Stage",
        compute="_compute_kam_gate_rows",
        groups="kam_sales_process.group_kam_user",
        help="The milestones of the current stage as the deal's Gate tab shows them (name, guidance, status, "
        "who ticked them), in the reader's language: read in one query with the deal.",
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
        """One query for all the deals (a kanban page): rows as plain values, the milestones'
        configuration from the cache. Deals in a stage without milestones have no gate: no query."""
        self._kam_set_gate(self.env["kam.lead.milestone"]._kam_fetch_rows, GATE_FIELDS)

    @api.depends(
        "stage_id",
        "team_id",
        "company_id",
        "kam_milestone_ids.state",
        "kam_milestone_ids.passed",
        "kam_milestone_ids.done_by_id",
        "kam_milestone_ids.done_date",
    )
    @api.depends_context("lang")
    def _compute_kam_gate_rows(self):
        """The Gate tab's rows, in one query for all the deals, as plain values: the tab reads no row,
        milestone nor user record to show them (a list of the rows cost three queries and most of the
        form's extra time). The rows are the deal's own and follow the same record rules (the deal's
        salesperson and company): whoever reads the deal may see them. The same query gives the gate's
        badge: a form that reads the tab first reads it at no extra query."""
        names = ("kam_gate_rows", *GATE_FIELDS) if all(self._ids) else ("kam_gate_rows",)
        self._kam_set_gate(self.env["kam.lead.milestone"]._kam_fetch_shown_rows, names)

    def _kam_set_gate(self, fetch_rows, names):
        """Set the gate fields ``names`` of these deals from the rows ``fetch_rows(lead ids)`` gives.

        Which milestones make a deal's gate depends on its stage, team and company only: worked out once per
        such position, not per deal (a kanban page of 80 cards holds a handful of positions)."""
        specs = self.env["kam.milestone"]._kam_get_specs()
        gated_stages = {spec.stage_id for spec in specs.values()}
        positions = self._kam_get_positions()
        rows_by_lead = defaultdict(list)
        lead_ids = [
            lead_id for lead_id, (stage_id, _team, _company) in positions if lead_id and stage_id in gated_stages
        ]
        for row in fetch_rows(lead_ids):
            rows_by_lead[row.lead_id].append(row)
        gates = {}  # position -> ids of the milestones of its gate

        def gate_of(position):
            if position not in gates:
                stage_id, team_id, company_id = position
                gates[position] = {
                    milestone_id
                    for milestone_id, spec in specs.items()
                    if spec.stage_id == stage_id and spec.applies(team_id, company_id)
                }
            return gates[position]

        values = {name: [] for name in names}
        shown = "kam_gate_rows" in values and self._kam_shown_row_maker(specs)
        for lead_id, position in positions:
            rows = rows_by_lead.get(lead_id)
            current = [row for row in rows if row.milestone_id in gate_of(position)] if rows else []
            unmet = [row for row in current if not row.met]
            gate = {
                "kam_current_milestone_ids": tuple(row.id for row in current),
                "kam_unmet_milestone_ids": tuple(row.milestone_id for row in unmet),
                "kam_gate_open": not unmet,
                "kam_gate_total": len(current),
                "kam_gate_done": len(current) - len(unmet),
            }
            if shown:
                # None: the Json field's cache format of "nothing"
                gate["kam_gate_rows"] = [shown(row) for row in current] or None
            for name, column in values.items():
                column.append(gate[name])
        for name, column in values.items():
            self._kam_set_computed(name, column)

    def _kam_get_positions(self):
        """``[(id, (stage id, team id, company id))]`` of these deals, in order (the id of a new deal's origin,
        0 for none). Saved deals are read from the cache in one go where it holds all three (a kanban page's
        cards would otherwise go through each field's descriptor, card by card)."""
        columns = [self._kam_cached_column(name) for name in ("stage_id", "team_id", "company_id")]
        if all(column is not None for column in columns):
            positions = zip(*([value or False for value in column] for column in columns), strict=True)
            return list(zip(self._ids, positions, strict=True))
        return [(lead._origin.id or 0, (lead.stage_id.id, lead.team_id.id, lead.company_id.id)) for lead in self]

    def _kam_cached_column(self, name):
        """The values in the cache of the field ``name`` of these deals, in order, in one go (ids for a
        many2one); None when one is missing or due to be recomputed, or a deal is new: read them through the
        field then."""
        if not all(self._ids):
            return None
        field = self._fields[name]
        due = self.env.transaction.tocompute.get(field)
        if due and any(lead_id in due for lead_id in self._ids):
            return None
        column = self.env.cache.get_until_miss(self, field)
        return column if len(column) == len(self._ids) else None

    def _kam_set_computed(self, name, column):
        """Set the computed field ``name`` of these deals to ``column`` (a value per deal, in the field's cache
        format: ids for relational fields, ``None`` for an empty Json).

        Saved deals (a kanban page, a form) get it in the cache in one go: assigning deal by deal went
        through the descriptor's checks (and a Json field's round trip) for each, most of a kanban page's
        cost. New records (a form's onchange) go through the descriptor, which turns ids into lines."""
        field = self._fields[name]
        if all(self._ids):
            self.env.cache.update(self, field, column)
            return
        for lead, value in zip(self, column, strict=True):
            lead[name] = self.env[field.comodel_name].browse(value) if field.relational else value

    def _kam_shown_row_maker(self, specs):
        """A function turning a ``ShownRow`` into what the Gate tab shows of it (labels in the reader's
        language)."""
        kinds = dict(self.env["kam.milestone"]._fields["kind"]._description_selection(self.env))
        states = dict(self.env["kam.lead.milestone"]._fields["state"]._description_selection(self.env))

        def shown(row):
            kind = specs[row.milestone_id].kind
            return {
                "id": row.id,
                "name": row.name or "",
                "kind": kind,
                "kind_label": kinds.get(kind, ""),
                "guidance": row.guidance or "",
                "evidence_required": bool(row.evidence_required),
                "state": row.state,
                "state_label": states.get(row.state, ""),
                "met": row.met,
                "passed": bool(row.passed),
                "done_by": row.done_by or "",
                "done_date": fields.Datetime.to_string(row.done_date) if row.done_date else False,
            }

        return shown

    @api.depends("date_last_stage_update")
    def _compute_kam_days_in_stage(self):
        now = fields.Datetime.now()
        days = [(now - since).days if since else 0 for since in self.mapped("date_last_stage_update")]
        self._kam_set_computed("kam_days_in_stage", days)

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
             WHERE row.state = 'todo' AND row.grandfathered IS NOT TRUE
               AND (ms.company_id IS NULL OR lead.company_id IS NULL OR ms.company_id = lead.company_id)
               AND (NOT EXISTS (SELECT 1 FROM kam_milestone_crm_team_rel t WHERE t.milestone_id = ms.id)
                    OR EXISTS (SELECT 1 FROM kam_milestone_crm_team_rel t
                                WHERE t.milestone_id = ms.id AND t.team_id = lead.team_id))
            """
        )
        return {lead_id for (lead_id,) in self.env.cr.fetchall()}

    # ------------------------------------------------------------------
    # CRUD: inputs nobody forges, rows in step with the deal's process
    # ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _kam_get_computed_fields(self):
        """The addon's computed fields on deals: only the addon sets them (cached)."""
        return frozenset(
            name
            for name, field in self._fields.items()
            if name.startswith("kam_") and field.compute and not field.inverse
        )

    def _kam_check_not_computed(self, names):
        forged = self._kam_get_computed_fields() & set(names)
        if forged:
            raise UserError(
                self.env._(
                    "%(fields)s are computed by the key-account process and cannot be set.",
                    fields=field_labels(self, forged),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        bypass = gate_bypass(self.env)
        # an import as history (a manager's audited action) may say when its deals were closed
        history = bool(bypass and bypass.kind == GateBypass.HISTORY)
        for vals in vals_list:
            self._kam_check_not_computed(vals)
            self._kam_check_no_gate_records(vals)
            if not history:
                self._kam_check_no_crm_stamps(vals)
        leads = super().create(vals_list)
        leads._kam_sync_milestones()
        if bypass:
            leads._kam_place_by_bypass()
        return leads

    def write(self, vals):
        self._kam_check_not_computed(vals)
        self._kam_check_no_crm_stamps(vals)
        self._kam_check_no_gate_records(vals)
        # where the deals being archived stand as active deals (checked by the gate), before this write moves them
        archiving = (
            {lead.id: lead._kam_position_record() for lead in self if lead.active}
            if "active" in vals and not vals["active"]
            else None
        )
        result = super().write(vals)
        if archiving:
            self._kam_record_archived_positions(archiving)
        placed = POSITION_FIELDS & vals.keys() and gate_bypass(self.env)
        if placed or SCOPE_FIELDS & vals.keys():
            # Another pipeline or company: other milestones apply (rows created, dropped, refreshed).
            self._kam_sync_milestones()
        elif (vals.keys() - {"date_automation_last"}) and self._kam_write_may_change_conditions(frozenset(vals)):
            # A condition milestone may depend on any field of the deal (its stage included).
            self._kam_refresh_milestones(source="crm.lead")
        if placed:
            self._kam_place_by_bypass()
        return result

    def _kam_check_no_gate_records(self, vals):
        forged = GATE_RECORDS & vals.keys()
        if forged and not self.env.su:
            raise UserError(
                self.env._("%(fields)s is recorded by the gate and cannot be set.", fields=field_labels(self, forged))
            )

    def _kam_position_record(self):
        return {"stage": self.stage_id.id, "team": self.team_id.id, "company": self.company_id.id}

    def _kam_record_archived_positions(self, positions):
        """Keep on each deal just archived where it stood as an active deal: ``{deal id: position}``, in one
        statement (the deal's row is written anyway; no write through the ORM's overrides again)."""
        self.env.cr.execute(
            """
            UPDATE crm_lead lead SET kam_archived_position = v.position
              FROM unnest(%s::int[], %s::jsonb[]) AS v(id, position)
             WHERE lead.id = v.id
            """,
            [list(positions), [json.dumps(position) for position in positions.values()]],
        )
        self.browse(list(positions)).invalidate_recordset(["kam_archived_position"])

    def _kam_check_no_crm_stamps(self, vals):
        """When a deal entered its stage and when it was won or lost are crm's to stamp, never a client's: a
        stuck deal would look fresh, a deal won two years ago would count as won this month."""
        forged = CRM_STAMPS & vals.keys()
        if forged and not self.env.su:
            raise UserError(
                self.env._(
                    "%(fields)s cannot be set by hand: Odoo stamps it when the deal changes stage or is won or lost.",
                    fields=field_labels(self, forged),
                )
            )

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) stamps a new deal (crm does) nor fills what
        # the addon computes (a value given on create would be kept, not computed)
        names = CRM_STAMPS | GATE_RECORDS | self._kam_get_computed_fields()
        return strip_forged_defaults(self, super().default_get(fields_list), names, system=False)

    @api.model
    @tools.ormcache("names")
    def _kam_write_may_change_conditions(self, names):
        """May a write of the fields ``names`` change what a milestone following the deal reads (cached;
        a change of milestones clears Odoo's caches)?

        A condition reads the deal's fields its domain names; a write changes the fields written and those
        recomputed from them. A domain through other records (a path, an 'any'), on a field that may
        change without a write of the deal (a relation to many records, a field related or computed
        but not stored, or computed from other records), one that cannot be read, or another kind
        following the deal's own fields (an extension's) counts as changed. A move checks the rows it
        needs anyway (the gate refreshes them); this spares writes and moves a refresh that cannot change
        a row.
        """
        Milestone = self.env["kam.milestone"]
        if Milestone._kam_kinds_for("crm.lead") - {"condition"}:
            return True
        read = self._kam_condition_reads()
        if read is None:
            return True
        if not read:
            return False
        if any(self._kam_follows_other_records(name) for name in read):
            return True
        written = [self._fields[name] for name in names if name in self._fields]
        changed = set(names)
        tree = self.pool.get_trigger_tree(written)
        stack = [tree]
        while stack:
            node = stack.pop()
            changed.update(field.name for field in node.root or () if field.model_name == self._name)
            stack.extend(node.values())
        return bool(read & changed)

    def _compute_field_value(self, field):
        result = super()._compute_field_value(field)
        if field.store and any(self._ids) and self._kam_condition_reads_recomputed(field.name):
            self.filtered("id")._kam_refresh_conditions_at_commit()
        return result

    @api.model
    @tools.ormcache("name")
    def _kam_condition_reads_recomputed(self, name):
        """Does a condition milestone read the deal's stored field ``name`` or one computed with it by the same
        method (or a domain that cannot be read)? (cached; a change of milestones clears Odoo's caches)"""
        read = self._kam_condition_reads(first_steps=True)
        if read is None:
            return True
        field = self._fields[name]
        names = {f.name for f in self.pool.field_computed.get(field, [field]) if f.store} | {name}
        return bool(names & read)

    def _kam_condition_reads(self, first_steps=False):
        """The deal's fields the condition milestones read (``condition_fields`` of every condition), or
        None when one of them cannot be told."""
        read = set()
        for spec in self.env["kam.milestone"]._kam_get_specs().values():
            if spec.kind == "condition":
                fields_read = condition_fields(spec.domain, first_steps=first_steps)
                if fields_read is None:
                    return None
                read |= fields_read
        return read

    def _kam_refresh_conditions_at_commit(self):
        """Refresh these deals' condition rows before the transaction commits.

        A stored field computed from other records (the contact's e-mail on the deal, from its
        customer's) is recomputed without a write of the deal: the rows of the conditions reading it
        would keep what they were and the badge would say "open" while the gate (which checks the
        rows it needs on a move) refuses. The refresh waits for the commit, when the recomputed values
        are written, and runs once for all the deals of the transaction.
        """
        precommit = self.env.cr.precommit
        pending = precommit.data.setdefault("kam_sales_process.conditions", set())
        if not pending:
            Lead = self.sudo().with_context(active_test=False)

            def refresh():
                lead_ids = precommit.data.pop("kam_sales_process.conditions", set())
                leads = Lead.browse(sorted(lead_ids)).exists()
                if leads:
                    leads._kam_refresh_milestones(source="crm.lead")
                    leads.env.flush_all()

            precommit.add(refresh)
        pending.update(self.ids)

    def _kam_follows_other_records(self, name):
        """May the deal's field ``name`` change without a write of the deal's own fields? (a relation to
        many records, a field computed but not stored or related, or stored but computed from other records)"""
        field = self._fields.get(name)
        if field is None or field.type in ("one2many", "many2many"):
            return True
        if field.related or (field.compute and not field.store):
            return True
        return bool(field.compute) and any("." in path for path in self.pool.field_depends[field])

    def _kam_sync_milestones(self, adopt=False):
        """Create the missing milestone rows of these deals' processes, drop the plain open rows
        that no longer apply, and refresh the condition rows and the new rows.

        Rows that carry history (done, waived, passed, grandfathered, with
        evidence or files) are never dropped.  With ``adopt`` (a milestone was
        added or re-scoped, a stage re-ordered), the deals already standing past
        a milestone are grandfathered for it.  Archived deals keep rows too:
        restoring one checks them.  Plain values throughout: one query for the
        existing rows, the configuration from caches, one create (in a savepoint: see
        ``kam.lead.milestone._kam_create_rows``) and one unlink for the batch.
        """
        leads = self.sudo()
        specs = self.env["kam.milestone"]._kam_get_specs()
        if not leads or not specs:
            return  # no milestone anywhere: nothing to keep in step (and no query)
        if adopt:
            # The deals settled are locked as read, first and in one order (two changes at once do not
            # deadlock): one moved or restored since this change's snapshot makes it fail to serialize, and
            # Odoo's retry settles it where it now stands (the new rows alone are inserts, which no concurrent
            # move would meet). A lock, not a write: the deals' other edits go on. A move that starts before
            # this change commits, in a worker that does not know the new milestones yet, is settled by the
            # change's second pass (``kam.recompute.job._kam_schedule_settling``).
            self.env.cr.execute("SELECT id FROM crm_lead WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", [leads.ids])
        Row = self.env["kam.lead.milestone"].sudo()
        rows = Row._kam_fetch_rows(leads.ids)
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
            obsolete.update(
                row.id
                for mid, row in mine.items()
                if mid not in wanted and row.state == "todo" and not row.passed and not row.grandfathered
            )
        if obsolete:
            # Rows with evidence or files are kept as they are.
            with_evidence = Row.browse(sorted(obsolete)).filtered(lambda r: r.evidence or r.attachment_ids)
            obsolete -= set(with_evidence.ids)
        if obsolete:
            Row.browse(sorted(obsolete)).unlink()
        new_rows = Row._kam_create_rows(to_create) if to_create else Row
        following_the_deal = self.env["kam.milestone"]._kam_kinds_for("crm.lead")
        conditions = [
            row
            for row in rows
            if row.id not in obsolete and (spec := specs.get(row.milestone_id)) and spec.kind in following_the_deal
        ]
        Row._kam_refresh_rows(conditions)
        new_rows._refresh_states()
        if adopt:
            leads._kam_grandfather(adopting=True)

    def _kam_recompute_milestone_rows(self):
        """A batch of a background job: these deals' rows settled with their process (grandfathering)."""
        self._kam_sync_milestones(adopt=True)

    def _kam_refresh_milestones(self, source=None):
        """Refresh the rows of these deals that follow the data: those whose kind ``source`` (a model whose
        records changed) feeds, or every such row without ``source``."""
        specs = self.env["kam.milestone"]._kam_get_specs()
        if not specs:
            return
        kinds = self.env["kam.milestone"]._kam_kinds_for(source) if source else None
        Row = self.env["kam.lead.milestone"].sudo()
        rows = [
            row
            for row in Row._kam_fetch_rows(self.ids)
            if (spec := specs.get(row.milestone_id)) and (not kinds or spec.kind in kinds)
        ]
        if rows:
            Row._kam_refresh_rows(rows)

    # ------------------------------------------------------------------
    # The gate
    # ------------------------------------------------------------------

    def _kam_position(self, old=None):
        """This deal's Position; ``old`` maps field names to values they had before a change."""
        self.ensure_one()
        old = old or {}

        def value(name):
            return old[name] if name in old else self[name]

        return Position(
            team=value("team_id").id,
            company=value("company_id").id,
            stage=value("stage_id").id or None,
            active=bool(value("active")),
        )

    def _kam_get_transitions(self, before, to_stage=None):
        """``{lead id: (Transition, milestone ids to meet, milestone ids reopened)}`` of these deals' moves.

        ``before`` maps a deal id to its Position before the move, or to
        ``None`` for a deal being created; deals not in it are not moving.  The
        move goes to ``to_stage`` if given, else to the deal's current position.
        """
        Stage, Milestone = self.env["crm.stage"], self.env["kam.milestone"]
        pipelines, wanted = {}, {}

        def milestones(stage_ids, team, company):
            # A batch moves between few positions: each answer is worked out once.
            key = (stage_ids, team, company)
            if key not in wanted:
                wanted[key] = Milestone._kam_get_wanted(set(stage_ids), team, company) if stage_ids else set()
            return wanted[key]

        plans = {}
        for lead in self.sudo():
            if lead.id not in before:
                continue
            after = lead._kam_position()
            if to_stage:
                after = Position(after.team, after.company, to_stage.id, True)
            if after.team not in pipelines:
                pipelines[after.team] = Stage._kam_get_pipeline(after.team)
            move = transition(pipelines[after.team], before[lead.id], after)
            if not (move.clear or move.reopen):
                continue
            plans[lead.id] = (
                move,
                milestones(move.clear, after.team, after.company),
                milestones(move.reopen, after.team, after.company),
            )
        return plans

    def _kam_get_unmet(self, plans):
        """``({lead: unmet kam.lead.milestone rows}, {lead id: [RowData]})`` for the moves planned.

        Rows still open (not passed) are checked against the data again: the
        data may have changed through related records since they were stored.
        Rows of stages passed earlier stay as they were ("already met stay met").
        """
        if not plans:
            return {}, {}
        required = {lead_id: clear for lead_id, (_move, clear, _reopen) in plans.items() if clear}
        Row = self.env["kam.lead.milestone"].sudo()

        def fetch():
            by_lead = defaultdict(list)
            for row in Row._kam_fetch_rows(list(plans)):
                by_lead[row.lead_id].append(row)
            return by_lead

        rows = fetch()
        if any(
            len({row.milestone_id for row in rows[lead_id]} & wanted) < len(wanted)
            for lead_id, wanted in required.items()
        ):
            # Rows missing (a milestone added in this transaction, …): create them.
            self.browse(list(required))._kam_sync_milestones()
            rows = fetch()
        open_rows = [
            row
            for lead_id, wanted in required.items()
            for row in rows[lead_id]
            if row.milestone_id in wanted and not row.passed
        ]
        states = Row._kam_refresh_rows(open_rows, include_passed=True)
        unmet = {}
        for lead_id, wanted in required.items():
            ids = [
                row.id
                for row in rows[lead_id]
                if row.milestone_id in wanted and states.get(row.id, row.state) == "todo" and not row.grandfathered
            ]
            if ids:
                unmet[self.browse(lead_id)] = Row.browse(ids).with_env(self.env)
        return dict(sorted(unmet.items(), key=lambda item: item[0].id)), rows

    def _kam_latch(self, plans, rows):
        """Record the moves on the rows: the stages cleared are passed, the stages reopened are live again.

        ``rows`` are the rows of every deal of ``plans``, as ``_kam_get_unmet`` read them; ``None`` when
        they were not read (moves back, which clear nothing): the rows reopened are then found as they
        are written.  Either way one statement reopens the batch's rows and their conditions catch up.
        """
        Row = self.env["kam.lead.milestone"].sudo()
        to_pass, pairs = [], []
        for lead_id, (_move, clear, reopen) in plans.items():
            live_again = reopen - clear
            if rows is None:
                pairs += [(lead_id, milestone_id) for milestone_id in live_again]
                continue
            for row in rows.get(lead_id, ()):
                if row.milestone_id in clear:
                    to_pass.append(row.id)
                elif row.milestone_id in live_again and row.passed:
                    pairs.append((lead_id, row.milestone_id))
        if to_pass:
            # The rows cleared are written even where already passed: a concurrent
            # change of the same rows then conflicts with the move instead of
            # slipping past it.
            Row.flush_model(["passed"])
            self.env.cr.execute("UPDATE kam_lead_milestone SET passed = TRUE WHERE id = ANY(%s)", [to_pass])
            Row.browse(to_pass).invalidate_recordset(["passed"])
        Row._kam_reopen_rows(pairs)  # live again: the rows that follow the data catch up with it

    def _kam_get_unmet_for_moves(self, before, to_stage=None):
        """``{lead: kam.lead.milestone rows still to do}`` for these deals' moves (see ``_kam_get_transitions``)."""
        plans = self.sudo()._kam_get_transitions(before, to_stage)
        return self._kam_get_unmet(plans)[0]

    def _kam_check_gates(self, before):
        """Refuse, in one error naming every blocked deal, the moves that leave milestones unmet.

        ``before`` maps each deal id to its Position before the change (``None``
        for a deal being created).  This is the rule the shipped automation rule
        "Stage gates" runs on every change of a deal's position; deals moved
        through an audited path (``GateBypass``) are grandfathered instead.
        """
        if gate_bypass(self.env) or not self.env["kam.milestone"]._kam_get_specs():
            return  # no milestone anywhere: nothing can be unmet (and no query)
        plans = self.sudo()._kam_get_transitions(before)
        if not plans:
            return
        rows = None
        if any(clear for _move, clear, _reopen in plans.values()):
            # Moves back clear nothing: they have no row to check (nor to read).
            unmet, rows = self._kam_get_unmet(plans)
            if unmet:
                self._kam_refuse(unmet)
        self._kam_latch(plans, rows)

    def _kam_refuse(self, unmet):
        blocked = [(lead.sudo().display_name, rows.sudo().mapped("display_name")) for lead, rows in unmet.items()]
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

    # ------------------------------------------------------------------
    # Grandfathering: deals placed without the gate, on purpose
    # ------------------------------------------------------------------

    def _kam_grandfather(self, adopting=False):
        """Settle the rows of these deals with where they stand, without a gate check.

        The rows of every stage before the deal's stage (every stage of the
        pipeline when its stage lies outside it) are marked passed, and those
        not met grandfathered: they count as met for this deal.  The rows of
        its stage and of later ones are live again.  Used for deals placed by
        an audited path and for deals already standing past a milestone when it
        is added (or when stages are re-ordered).

        ``adopting`` (a milestone added, stages re-ordered, a pipeline re-mapped):
        an archived deal is settled where it stood when it was archived, not
        where it was moved since (a move of an archived deal is not checked:
        restoring it is), so that it gains nothing from a manager's change.
        """
        leads = self.sudo()
        Stage, Milestone = self.env["crm.stage"], self.env["kam.milestone"]
        past, ahead = {}, {}
        for lead in leads:
            if not lead.stage_id:
                continue
            pipeline = Stage._kam_get_pipeline(lead.team_id.id)
            level = dict(pipeline).get(lead.stage_id.id)
            before = {stage_id for stage_id, seq in pipeline if level is None or seq < level}
            if adopting and not lead.active:
                before = lead._kam_before_where_archived(pipeline, before)
            scope = (lead.team_id.id, lead.company_id.id)
            past[lead.id] = Milestone._kam_get_wanted(before, *scope) if before else set()
            ahead[lead.id] = Milestone._kam_get_wanted({stage_id for stage_id, _seq in pipeline} - before, *scope)
        if not any(past.values()) and not any(ahead.values()):
            return
        rows = self.env["kam.lead.milestone"]._kam_fetch_rows(list(past))
        to_pass, to_grandfather, to_reopen = [], [], []
        for row in rows:
            if row.milestone_id in past[row.lead_id]:
                if not row.met:
                    to_grandfather.append(row.id)
                elif not row.passed:
                    to_pass.append(row.id)
            elif row.milestone_id in ahead[row.lead_id] and row.passed:
                to_reopen.append((row.lead_id, row.milestone_id))
        Row = self.env["kam.lead.milestone"].sudo()
        if to_grandfather:
            Row.browse(to_grandfather).write({"grandfathered": True, "passed": True})
        if to_pass:
            Row.browse(to_pass).write({"passed": True})
        Row._kam_reopen_rows(to_reopen)  # live again, as after a move back

    def _kam_before_where_archived(self, pipeline, before):
        """For ``_kam_grandfather`` adopting: the stages this archived deal is settled past, of ``before`` (the
        stages before its own in ``pipeline``): those before where it stood when it was archived
        (``kam_archived_position``), so none if it changed pipeline or company since, or was never archived
        from an active position."""
        self.ensure_one()
        where = self.kam_archived_position
        if not isinstance(where, dict) or (where.get("team"), where.get("company")) != (
            self.team_id.id,
            self.company_id.id,
        ):
            return set()
        levels = dict(pipeline)
        level = levels.get(where.get("stage"))
        if level is None:
            return set()
        return {stage_id for stage_id in before if levels[stage_id] < level}

    def _kam_place_by_bypass(self):
        """Deals placed by an audited path: grandfathered where they stand, the reason in their chatter."""
        bypass = gate_bypass(self.env)
        # a re-mapping moves deals already there: an archived one is settled where it stood when last active
        self._kam_grandfather(adopting=bypass.kind == GateBypass.REMAPPED)
        if bypass.kind == GateBypass.HISTORY and bypass.reason:
            body = self.env._(
                "Imported as history by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=shorten(bypass.reason, 500),
            )
            self.sudo()._message_log_batch(bodies=dict.fromkeys(self.ids, body))

    @api.readonly
    def kam_read_gate_rows(self):
        """The Gate tab's rows of this deal, read when the tab opens: the form does not read them with the
        deal, so that opening a deal costs no gate query for whoever does not look at its gate. The same
        access as reading the field (key account users, the deal's record rules)."""
        if len(self) != 1:
            raise UserError(self.env._("The Gate tab shows the milestones of one deal at a time."))
        return self.read(["kam_gate_rows"])[0]["kam_gate_rows"] or []

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
