"""A model-based test of the gate: Hypothesis drives random sequences of operations as random users.

The operations are the paths through which a deal moves or a milestone's inputs
change: create, import, copy, write (stage, team, company, active, revenue) with
random context keys, won, lost, restore, merge, lead conversion, tick, reset,
waive, the manager's override, stakeholders added, edited, removed and moved,
activities marked done, forged chatter messages, writes of the addon's computed
fields, imports as history and milestones added later; as two salespeople
(Sales / Own Documents) and a sales manager.

A plain-Python model keeps what the gate must know: each milestone row's state
(ticked, waived, passed with the value it had, grandfathered) and the data the
other kinds read (expected revenue, a coach in the buying centre, calls marked
done).  Positions are observed in the database; after every operation:

- every observed change of position must be legal by the transition rule of
  ``kam_sales_process.gates`` and the model's milestone states (a violation is
  a deal that reached a position with an unmet milestone on its way);
- an operation the model can predict (a plain write by someone allowed) is
  refused exactly when the model says so; a refusal is a clear error
  (UserError, AccessError, ValidationError) and leaves no trace;
- the database's rows agree with the model's, and no active deal stands past an
  unmet milestone of its pipeline (checked on the database alone);
- nobody reads or writes what their record rules hide.

``KAM_MODEL_EXAMPLES`` and ``KAM_MODEL_STEPS`` size the run (CI: a bounded run;
``scripts/model-test`` runs a long one); ``KAM_MODEL_REPORT`` names a file that
receives the counts.
"""

import base64
import json
import os
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..kam_sales_process.gates import Position
from .common import KamCase

EXAMPLES = int(os.environ.get("KAM_MODEL_EXAMPLES", "200"))
STEPS = int(os.environ.get("KAM_MODEL_STEPS", "15"))
REPORT = os.environ.get("KAM_MODEL_REPORT")
CLEAR_ERRORS = (UserError, AccessError, ValidationError)
DATA_KINDS = ("condition", "roles", "activity")

USERS = st.sampled_from(["A", "B", "M"])
#: Who acts on a deal: mostly its owner, sometimes anyone.
ACTORS = st.sampled_from(["owner", "owner", "owner", "A", "B", "M"])
INDEX = st.integers(min_value=0, max_value=50)
REVENUES = st.sampled_from([0.0, 0.0, 5_000.0, 250_000.0])
REASONS = st.one_of(st.sampled_from(["Framework agreement", "CEO committed", "  ", ""]), st.integers(), st.none())


def nasty_contexts(rule_id):
    """Context keys a client may send (JSON values only)."""
    return st.sampled_from(
        [
            {},
            {},
            {"kam_gate_bypass": {"kind": "history", "reason": "x"}},
            {"kam_gate_bypass": "remapped"},
            {"kam_stage_remap": True},
            {"kam_batch_collect": {}},
            {"__action_done": {str(rule_id): [1, 2, 3]}},
            {"__action_done": {}, "__action_feedback": True},
            {"__action_done": []},
            {"old_values": {"1": {"stage_id": 1}}},
            {"active_test": False},
            {"tracking_disable": True, "mail_notrack": True},
            {"import_file": True},
            {"install_mode": True},
            {"kam_phase_note": "x", "default_stage_id": 1},
        ]
    )


@dataclass
class RowModel:
    kind: str
    ticked: bool = False
    waived: bool = False
    passed: bool = False
    frozen: bool = False  # a data row's value when it was passed
    grandfathered: bool = False
    evidence: bool = False


@dataclass
class DealModel:
    id: int
    owner: str
    position: Position
    revenue: float
    lead_type: str = "opportunity"
    calls: int = 0
    rows: dict = field(default_factory=dict)
    archived_at: tuple | None = None  # (stage, team, company) where it stood when last archived


@dataclass(frozen=True)
class MilestoneModel:
    stage: int
    kind: str
    company: int | None
    teams: frozenset
    evidence: bool = False


class Violation(AssertionError):
    pass


def expected_move(pipeline, before, after):
    """The gate rule of the contract, written again plainly: (stages to clear, stages opened again).

    Kept apart from ``kam_sales_process.gates`` on purpose: the test checks the
    addon against this reading of the rule, not against itself.
    """
    if not after.active or not after.stage or not pipeline:
        return set(), set()
    sequences = dict(pipeline)
    entering = before is None or not before.active or before.team != after.team or before.company != after.company
    if not entering and before.stage == after.stage:
        return set(), set()
    reopen = {stage for stage, seq in pipeline if seq >= sequences[after.stage]} if after.stage in sequences else set()
    origin = pipeline[0][0] if entering else before.stage
    if origin not in sequences:
        return set(), reopen  # from beyond the last stage every move is back
    low = sequences[origin]
    high = sequences.get(after.stage, float("inf"))  # outside the pipeline: beyond its last stage
    if high <= low:
        return set(), reopen
    # stages of one sequence are one level: leaving it needs all of them (the stage left's siblings too)
    return {origin} | {stage for stage, seq in pipeline if low <= seq < high}, reopen


@tagged("post_install", "-at_install")
class TestGateModel(KamCase):
    """The gate against a plain-Python model, over random operations and users."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        parking = env["crm.team"].create({"name": "Parking"})
        env["crm.stage"].search([]).write({"team_id": parking.id})
        cls.company_1 = env.company
        cls.company_2 = env["res.company"].create({"name": "Model Branch"})
        cls.user_salesman_b = new_test_user(
            env, login="kam_model_b", groups="sales_team.group_sale_salesman", name="Bo Model"
        )
        cls.users = {"A": cls.user_salesman, "B": cls.user_salesman_b, "M": cls.user_sales_manager}
        for user in cls.users.values():
            user.company_ids |= cls.company_2
        Team, Stage, Milestone = env["crm.team"], env["crm.stage"], env["kam.milestone"]
        cls.ta, cls.tb, cls.tc = (Team.create({"name": name}) for name in ("Model A", "Model B", "Model C"))
        cls.a1, cls.a2, cls.a3 = (
            Stage.create({"name": f"A{i}", "sequence": seq, "team_id": cls.ta.id})
            for i, seq in ((1, 10), (2, 20), (3, 30))
        )
        # A2's sibling (same sequence, no milestone): a step sideways to it, then forward, must skip nothing
        cls.a2b = Stage.create({"name": "A2b", "sequence": 20, "team_id": cls.ta.id})
        cls.aw = Stage.create({"name": "AW", "sequence": 70, "is_won": True, "team_id": cls.ta.id})
        cls.sh = Stage.create({"name": "SH", "sequence": 25, "team_id": False})
        cls.b1 = Stage.create({"name": "B1", "sequence": 10, "team_id": cls.tb.id})
        cls.bw = Stage.create({"name": "BW", "sequence": 50, "is_won": True, "team_id": cls.tb.id})
        cls.coach = env.ref("kam_sales_process.role_coach")
        cls.call = env["mail.activity.type"].create({"name": "Model call", "res_model": "crm.lead"})
        specs = [
            ("A1 check", cls.a1, "check", cls.company_1, (), {}),
            ("A1 revenue", cls.a1, "condition", False, (), {"condition_domain": "[('expected_revenue', '>', 0)]"}),
            ("A2 coach", cls.a2, "roles", False, (), {"role_ids": [Command.set(cls.coach.ids)]}),
            ("SH call", cls.sh, "activity", False, (cls.ta | cls.tb).ids, {"activity_type_id": cls.call.id}),
            ("A3 evidence", cls.a3, "check", False, (), {"evidence_required": True}),
            ("B1 check", cls.b1, "check", cls.company_2, (), {}),
        ]
        cls.base_milestones = {}
        for name, stage, kind, company, teams, extra in specs:
            milestone = Milestone.create(
                {
                    "name": name,
                    "stage_id": stage.id,
                    "kind": kind,
                    "company_id": company.id if company else False,
                    "team_ids": [Command.set(list(teams))],
                    **extra,
                }
            )
            cls.base_milestones[milestone.id] = MilestoneModel(
                stage=stage.id,
                kind=kind,
                company=company.id if company else None,
                teams=frozenset(teams),
                evidence=bool(extra.get("evidence_required")),
            )
        cls.pipelines = {
            cls.ta.id: [
                (cls.a1.id, 10),
                (cls.a2.id, 20),
                (cls.a2b.id, 20),
                (cls.sh.id, 25),
                (cls.a3.id, 30),
                (cls.aw.id, 70),
            ],
            cls.tb.id: [(cls.b1.id, 10), (cls.sh.id, 25), (cls.bw.id, 50)],
            cls.tc.id: [(cls.sh.id, 25)],
        }
        cls.won_stage = {cls.ta.id: cls.aw.id, cls.tb.id: cls.bw.id}
        cls.rule = env.ref("kam_sales_process.automation_stage_gate")
        env.flush_all()

    def test_random_operations_never_break_the_gate(self):
        stats = {"examples": 0, "operations": 0, "refused": 0, "moves": 0, "violations": 0}
        machine = make_machine(self, stats)
        started = time.monotonic()
        try:
            run_state_machine_as_test(
                machine,
                settings=settings(
                    max_examples=EXAMPLES,
                    stateful_step_count=STEPS,
                    deadline=None,
                    database=None,
                    derandomize=not os.environ.get("KAM_MODEL_RANDOM"),
                    suppress_health_check=list(HealthCheck),
                    print_blob=True,
                ),
            )
        except Violation:
            stats["violations"] += 1
            raise
        finally:
            stats["seconds"] = round(time.monotonic() - started, 1)
            if REPORT:
                with open(REPORT, "w", encoding="utf-8") as report:
                    json.dump(stats, report)
        self.assertGreater(stats["operations"], EXAMPLES, stats)
        self.assertGreater(stats["moves"], 0, stats)
        self.assertGreater(stats["refused"], 0, stats)


def make_machine(case, stats):
    env = case.env
    companies = [case.company_1.id, case.company_2.id]
    stage_ids = [case.a1.id, case.a2.id, case.a2b.id, case.sh.id, case.a3.id, case.aw.id, case.b1.id, case.bw.id]
    teams = [case.ta.id, case.tb.id, case.tc.id]

    class GateMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.savepoint = env.cr.savepoint()
            self.deals = {}
            self.stakeholders = {}  # id -> [deal id, coach?]
            self.milestones = dict(case.base_milestones)
            self.names = 0
            stats["examples"] += 1

        def teardown(self):
            self.savepoint.close(rollback=True)
            env.invalidate_all()
            env.registry.clear_cache()

        # --- helpers -------------------------------------------------------------

        def env_of(self, who, context=None):
            user = case.users[who]
            return env(user=user, context={**(context or {}), "allowed_company_ids": companies})

        def actor(self, who, *deals):
            """The user acting: "owner" means the owner of the (first) deal."""
            return deals[0].owner if who == "owner" else who

        def pick(self, index, **filters):
            deals = [deal for deal in self.deals.values() if all(getattr(deal, k) == v for k, v in filters.items())]
            return deals[index % len(deals)] if deals else None

        def permitted(self, who, *deals):
            return who == "M" or all(deal.owner == who for deal in deals)

        def check(self, condition, message):
            if not condition:
                raise Violation(message)

        def name(self):
            self.names += 1
            return f"Model deal {self.names}"

        def pipeline(self, team):
            return case.pipelines.get(team, [])

        def applicable(self, position):
            stages = {stage for stage, _seq in self.pipeline(position.team)}
            return {
                ms
                for ms, spec in self.milestones.items()
                if spec.stage in stages
                and (not spec.teams or position.team in spec.teams)
                and (not spec.company or not position.company or spec.company == position.company)
            }

        def live(self, deal, ms):
            kind = self.milestones[ms].kind
            if kind == "condition":
                return deal.revenue > 0
            if kind == "roles":
                return any(d == deal.id and coach for d, coach in self.stakeholders.values())
            return deal.calls > 0

        def state(self, deal, ms):
            row = deal.rows[ms]
            if row.waived:
                return "waived"
            if row.kind == "check":
                return "done" if row.ticked else "todo"
            value = row.frozen if row.passed else self.live(deal, ms)
            return "done" if value else "todo"

        def met(self, deal, ms):
            return self.state(deal, ms) != "todo" or deal.rows[ms].grandfathered

        def ensure_rows(self, deal, position=None):
            """Rows for every milestone of the deal's process (a new row: nothing done yet)."""
            for ms in self.applicable(position or deal.position):
                deal.rows.setdefault(ms, RowModel(kind=self.milestones[ms].kind))

        def milestones_of(self, stages, position):
            return {ms for ms in self.applicable(position) if self.milestones[ms].stage in set(stages)}

        def plan(self, deal, before, after):
            clear, reopen = expected_move(self.pipeline(after.team), before, after)
            return None, self.milestones_of(clear, after), self.milestones_of(reopen, after)

        def unmet(self, deal, before, after):
            self.ensure_rows(deal, after)
            _move, clear, _reopen = self.plan(deal, before, after)
            return {ms for ms in clear if not self.met(deal, ms)}

        def latch(self, deal, before, after):
            if before is not None and before.active and not after.active:
                deal.archived_at = (before.stage, before.team, before.company)
            _move, clear, reopen = self.plan(deal, before, after)
            for ms in clear:
                row = deal.rows[ms]
                if not row.passed and row.kind in DATA_KINDS:
                    row.frozen = self.live(deal, ms)
                row.passed = True
            for ms in reopen - clear:
                deal.rows[ms].passed = False

        def grandfather(self, deal, adopting=False):
            """The model of ``_kam_grandfather``: settle the rows with where the deal stands; adopting a new
            milestone, an archived deal where it stood when it was archived, or where it stands if that is before;
            not at all if it changed pipeline or company since, or was never archived from an active position."""
            self.ensure_rows(deal)
            if not deal.position.stage:
                return
            pipeline = self.pipeline(deal.position.team)
            level = dict(pipeline).get(deal.position.stage)
            past = {stage for stage, seq in pipeline if level is None or seq < level}
            if adopting and not deal.position.active:
                where = deal.archived_at
                if not where or where[1:] != (deal.position.team, deal.position.company):
                    past = set()
                else:
                    left = dict(pipeline).get(where[0])
                    past = {stage for stage, seq in pipeline if stage in past and left is not None and seq < left}
            for ms in self.milestones_of(past, deal.position):
                row = deal.rows[ms]
                if not self.met(deal, ms):
                    row.grandfathered = True
                    row.frozen = False
                    row.passed = True
                elif not row.passed:
                    if row.kind in DATA_KINDS:
                        row.frozen = self.live(deal, ms)
                    row.passed = True
            for ms in self.milestones_of({stage for stage, _seq in pipeline} - past, deal.position):
                deal.rows[ms].passed = False

        # --- the database ------------------------------------------------------------

        def read_deals(self, ids):
            env.flush_all()
            env.cr.execute(
                """SELECT id, team_id, company_id, stage_id, active, expected_revenue, user_id, type
                     FROM crm_lead WHERE id = ANY(%s)""",
                [list(ids)],
            )
            owners = {user.id: who for who, user in case.users.items()}
            return {
                row[0]: (
                    Position(row[1] or False, row[2] or False, row[3] or None, row[4]),
                    row[5] or 0.0,
                    owners.get(row[6]),
                    row[7],
                )
                for row in env.cr.fetchall()
            }

        def snapshot(self):
            env.flush_all()
            ids = list(self.deals)
            env.cr.execute(
                """
                SELECT (SELECT count(*) FROM crm_lead), (SELECT count(*) FROM kam_lead_milestone),
                       (SELECT count(*) FROM kam_stakeholder), (SELECT count(*) FROM kam_done_activity),
                       (SELECT count(*) FROM kam_milestone), (SELECT count(*) FROM mail_activity),
                       (SELECT count(*) FROM kam_stakeholder_role_rel)
                """
            )
            counts = env.cr.fetchone()
            env.cr.execute(
                """SELECT lead_id, milestone_id, state, passed, grandfathered, coalesce(evidence, '')
                     FROM kam_lead_milestone WHERE lead_id = ANY(%s) ORDER BY id""",
                [ids],
            )
            rows = env.cr.fetchall()
            env.cr.execute(
                "SELECT id, lead_id, partner_id FROM kam_stakeholder WHERE lead_id = ANY(%s) ORDER BY id", [ids]
            )
            return counts, self.read_deals(ids), rows, env.cr.fetchall()

        def run(self, label, operation):
            """Run one operation in a savepoint: ``(True, result)`` or ``(False, error)``.

            A refusal must be a clear error and leave no trace; any other exception
            fails the test (a user would have seen a traceback).
            """
            stats["operations"] += 1
            before = self.snapshot()
            try:
                with env.cr.savepoint():
                    result = operation()
                    env.flush_all()
            except CLEAR_ERRORS as error:
                env.invalidate_all()
                stats["refused"] += 1
                self.check(self.snapshot() == before, f"{label}: a refused operation left a trace ({error})")
                return False, error
            env.invalidate_all()
            return True, result

        def observe(self, label, created=(), removed_ok=False, authorized=False):
            """Learn what an accepted operation did; every move must be legal for the model."""
            created = [new_id for new_id in created if new_id not in self.deals]
            db = self.read_deals(list(self.deals) + created)
            for deal_id in list(self.deals):
                if deal_id not in db:
                    self.check(removed_ok, f"{label}: deal {deal_id} vanished")
                    del self.deals[deal_id]
                    self.stakeholders = {k: v for k, v in self.stakeholders.items() if v[0] != deal_id}
            for deal_id in created:
                position, revenue, owner, lead_type = db[deal_id]
                deal = DealModel(deal_id, owner, position, revenue, lead_type)
                self.deals[deal_id] = deal
                self.ensure_rows(deal)
                if authorized:
                    self.grandfather(deal)
                    continue
                self.move(label, deal, None, position)
            for deal in self.deals.values():
                if deal.id in created:
                    continue
                position, revenue, owner, lead_type = db[deal.id]
                deal.revenue, deal.owner, deal.lead_type = revenue, owner, lead_type
                if position != deal.position:
                    before, deal.position = deal.position, position
                    self.ensure_rows(deal)
                    self.move(label, deal, before, position)

        def move(self, label, deal, before, after):
            stats["moves"] += 1
            unmet = self.unmet(deal, before, after)
            names = sorted(env["kam.milestone"].browse(unmet).mapped("name"))
            self.check(not unmet, f"{label}: deal {deal.id} went {before} -> {after} past unmet {names}")
            self.latch(deal, before, after)

        def predict_move(self, deal, after):
            """Whether moving ``deal`` to ``after`` is legal for the model (data as it is now)."""
            return not self.unmet(deal, deal.position, after)

        # --- deals -----------------------------------------------------------------------

        @rule(
            who=USERS,
            owner=st.sampled_from(["self", "self", "self", "A", "B", "M"]),
            team=st.sampled_from(teams),
            stage=st.one_of(st.just(None), st.just(None), st.sampled_from(stage_ids)),
            company=st.sampled_from([*companies, False]),
            revenue=REVENUES,
            path=st.sampled_from(["create", "create", "load", "lead"]),
            context=nasty_contexts(case.rule.id),
        )
        def create_deal(self, *, who, owner, team, stage, company, revenue, path, context):
            owner = who if owner == "self" else owner
            stage = stage or self.pipeline(team)[0][0]
            Lead = self.env_of(who, context)["crm.lead"]
            values = {
                "name": self.name(),
                "type": "lead" if path == "lead" else "opportunity",
                "team_id": team,
                "stage_id": stage,
                "company_id": company,
                "expected_revenue": revenue,
                "user_id": case.users[owner].id,
            }
            if path == "load":
                fields_ = [
                    "name",
                    "type",
                    "team_id/.id",
                    "stage_id/.id",
                    "company_id/.id",
                    "expected_revenue",
                    "user_id/.id",
                ]
                row = [
                    values["name"],
                    "opportunity",
                    str(team),
                    str(stage),
                    str(company or ""),
                    str(revenue),
                    str(values["user_id"]),
                ]

                def operation():
                    result = Lead.load(fields_, [row])
                    if not result["ids"]:
                        raise UserError(str(result["messages"]))
                    return result["ids"]
            else:

                def operation():
                    return Lead.create(values).ids

            ok, result = self.run(f"create({path}, {who})", operation)
            position = Position(team, company, stage, True)
            probe = DealModel(0, owner, position, revenue)
            legal = self.permitted(who, probe) and not self.unmet(probe, None, position)
            self.check(
                ok == legal, f"create({path}) by {who} at {position}: accepted={ok}, model says {legal}: {result}"
            )
            if ok:
                self.observe(f"create({path})", created=result)

        @precondition(lambda self: self.deals)
        @rule(
            who=ACTORS,
            index=INDEX,
            changes=st.fixed_dictionaries(
                {},
                optional={
                    "stage_id": st.sampled_from(stage_ids),
                    "team_id": st.sampled_from(teams),
                    "company_id": st.sampled_from([*companies, False]),
                    "active": st.booleans(),
                    "expected_revenue": REVENUES,
                },
            ).filter(bool),
            context=nasty_contexts(case.rule.id),
        )
        def write_deal(self, *, who, index, changes, context, deal=None):
            deal = deal or self.pick(index)
            who = self.actor(who, deal)
            record = self.env_of(who, context)["crm.lead"].browse(deal.id)
            ok, error = self.run(f"write({changes}, {who})", lambda: record.write(changes))
            allowed = self.permitted(who, deal)
            if allowed:
                saved = deal.revenue
                deal.revenue = changes.get("expected_revenue", deal.revenue)
                company = changes.get("company_id", deal.position.company)
                if "team_id" in changes and "company_id" not in changes and not company:
                    company = case.company_1.id  # crm gives a deal without company its user's company
                after = Position(
                    changes.get("team_id", deal.position.team),
                    company,
                    changes.get("stage_id", deal.position.stage),
                    changes.get("active", deal.position.active),
                )
                legal = after == deal.position or self.predict_move(deal, after)
                deal.revenue = saved
                self.check(
                    ok == legal, f"write {changes} by {who} on {deal.position}: accepted={ok}, model {legal}: {error}"
                )
            else:
                self.check(not ok, f"{who} wrote {changes} on someone else's deal {deal.id}")
            if ok:
                self.observe(f"write({changes})")

        @precondition(lambda self: self.deals)
        @rule(
            who=ACTORS,
            index=INDEX,
            action=st.sampled_from(["action_set_won", "action_set_lost", "action_unarchive", "toggle_active"]),
        )
        def deal_action(self, *, who, index, action):
            deal = self.pick(index)
            who = self.actor(who, deal)
            record = self.env_of(who)["crm.lead"].with_context(active_test=False).browse(deal.id)
            ok, error = self.run(f"{action}({who})", getattr(record, action))
            if not self.permitted(who, deal):
                self.check(not ok, f"{who} ran {action} on someone else's deal")
            elif action == "action_set_lost":
                self.check(ok, f"marking lost is never blocked: {error}")
            elif action == "action_unarchive" and deal.position.active:
                pass
            elif action in ("action_unarchive", "toggle_active") and not deal.position.active:
                after = Position(deal.position.team, deal.position.company, deal.position.stage, True)
                self.check(ok == self.predict_move(deal, after), f"restore of {deal.position}: accepted={ok}: {error}")
            if ok:
                self.observe(action)

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX)
        def copy_deal(self, *, who, index):
            deal = self.pick(index)
            who = self.actor(who, deal)
            record = self.env_of(who)["crm.lead"].with_context(active_test=False).browse(deal.id)
            ok, result = self.run(f"copy({who})", lambda: record.copy().ids)
            if ok:
                self.observe("copy", created=result)

        @precondition(lambda self: len(self.deals) > 1)
        @rule(who=ACTORS, first=INDEX, second=INDEX, team=st.sampled_from([False, *teams]))
        def merge_deals(self, *, who, first, second, team):
            one, two = self.pick(first), self.pick(second)
            who = self.actor(who, one)
            if one.id == two.id:
                return
            records = self.env_of(who)["crm.lead"].with_context(active_test=False).browse([one.id, two.id])
            ok, _error = self.run(f"merge({who}, team {team})", lambda: records.merge_opportunity(team_id=team))
            if not self.permitted(who, one, two):
                self.check(not ok, f"{who} merged someone else's deal")
            if ok:
                self.observe("merge", removed_ok=True)

        @precondition(lambda self: any(deal.lead_type == "lead" for deal in self.deals.values()))
        @rule(who=ACTORS, index=INDEX, team=st.sampled_from(teams))
        def convert_lead(self, *, who, index, team):
            deal = self.pick(index, lead_type="lead")
            who = self.actor(who, deal)
            record = self.env_of(who)["crm.lead"].browse(deal.id)
            ok, _error = self.run(f"convert({who})", lambda: record.convert_opportunity(False, team_id=team))
            if not self.permitted(who, deal):
                self.check(not ok, f"{who} converted someone else's lead")
            if ok:
                self.observe("convert")

        @rule(
            who=USERS,
            team=st.sampled_from(teams),
            stage=st.sampled_from(stage_ids),
            company=st.sampled_from(companies),
            revenue=REVENUES,
        )
        def import_as_history(self, *, who, team, stage, company, revenue):
            name = self.name()
            header = "name,type,team_id/.id,stage_id/.id,company_id/.id,expected_revenue,user_id/.id"
            csv = f"{header}\n{name},opportunity,{team},{stage},{company},{revenue},{case.users['M'].id}\n"

            def operation():
                wizard = self.env_of(who)["kam.history.import"].create(
                    {"file": base64.b64encode(csv.encode()), "reason": "Taken over from the old CRM"}
                )
                return env["crm.lead"].search(wizard.action_import()["domain"]).ids

            ok, result = self.run(f"import as history({who})", operation)
            self.check(ok == (who == "M"), f"import as history by {who}: accepted={ok}: {result}")
            if ok:
                self.observe("import as history", created=result, authorized=True)

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, stage=st.sampled_from(stage_ids), context=nasty_contexts(case.rule.id))
        def move_stage(self, *, who, index, stage, context):
            self.write_deal(who=who, index=index, changes={"stage_id": stage}, context=context)

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, archive=st.booleans(), stage=st.one_of(st.none(), st.sampled_from(stage_ids)))
        def archive_or_restore(self, *, who, index, archive, stage):
            changes = {"active": not archive, **({"stage_id": stage} if stage else {})}
            self.write_deal(who=who, index=index, changes=changes, context={})

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, team=st.sampled_from(teams), company=st.sampled_from([None, *companies, False]))
        def change_team_or_company(self, *, who, index, team, company):
            changes = {"team_id": team, **({"company_id": company} if company is not None else {})}
            self.write_deal(who=who, index=index, changes=changes, context={})

        @precondition(lambda self: self.deals)
        @rule(index=INDEX, skip=st.booleans(), helper=st.sampled_from(["owner", "M"]))
        def advance(self, *, index, skip, helper):
            """Do the honest work of the deal's stage (each step an operation of its own), then move on."""
            deal = self.pick(index)
            who = "owner" if helper == "owner" else "M"
            pipeline = self.pipeline(deal.position.team)
            stages = [stage for stage, _seq in pipeline]
            if deal.position.stage not in stages or deal.position.stage == stages[-1]:
                return
            here = stages.index(deal.position.stage)
            if not skip:
                for ms in sorted(self.milestones_of([deal.position.stage], deal.position)):
                    kind = self.milestones[ms].kind
                    if kind == "check":
                        self.tick(who=who, index=0, salt=0, evidence=True, deal=deal, ms=ms)
                    elif kind == "condition":
                        self.write_deal(
                            who=who, index=0, changes={"expected_revenue": 250_000.0}, context={}, deal=deal
                        )
                    elif kind == "roles":
                        self.add_stakeholder(who=who, index=0, coach=True, deal=deal)
                    elif kind == "activity":
                        self.call_done(who=who, index=0, deal=deal)
            target = stages[min(here + (2 if skip else 1), len(stages) - 1)]
            self.write_deal(who=who, index=0, changes={"stage_id": target}, context={}, deal=deal)

        # --- milestones ----------------------------------------------------------------------

        def row_record(self, who, deal, ms):
            env.flush_all()
            row = env["kam.lead.milestone"].search([("lead_id", "=", deal.id), ("milestone_id", "=", ms)])
            return self.env_of(who)["kam.lead.milestone"].browse(row.ids)

        def pick_row(self, index, salt, kind=None):
            deal = self.pick(index)
            applicable = sorted(
                ms
                for ms in self.applicable(deal.position) & set(deal.rows)
                if kind is None or self.milestones[ms].kind == kind
            )
            if not applicable:
                return deal, None
            return deal, applicable[salt % len(applicable)]

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, salt=INDEX, evidence=st.booleans())
        def tick(self, *, who, index, salt, evidence, deal=None, ms=None):
            if deal is None:
                deal, ms = self.pick_row(index, salt, kind="check" if salt % 3 else None)
            if ms is None:
                return
            who = self.actor(who, deal)
            row = self.row_record(who, deal, ms)
            spec, model = self.milestones[ms], deal.rows[ms]

            def operation():
                if evidence:
                    row.evidence = "Minutes of the meeting"
                row.action_done()

            ok, error = self.run(f"tick({who})", operation)
            # a row of a stage the deal has passed stays as it was, a waived one until a manager lifts the waiver
            legal = (
                self.permitted(who, deal)
                and spec.kind == "check"
                and not model.passed
                and not model.waived
                and (not spec.evidence or evidence or model.evidence)
            )
            self.check(ok == legal, f"tick {spec.kind} by {who}: accepted={ok}, model {legal}: {error}")
            if ok:
                model.ticked, model.waived = True, False
                model.evidence = model.evidence or evidence

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, salt=INDEX)
        def reset(self, *, who, index, salt):
            deal, ms = self.pick_row(index, salt)
            if ms is None:
                return
            who = self.actor(who, deal)
            model = deal.rows[ms]
            ok, error = self.run(f"reset({who})", self.row_record(who, deal, ms).action_reset)
            legal = self.permitted(who, deal) and not model.passed and (who == "M" or not model.waived)
            self.check(ok == legal, f"reset by {who} (passed={model.passed}): accepted={ok}, model {legal}: {error}")
            if ok:
                model.ticked = model.waived = False

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, salt=INDEX, reason=REASONS)
        def waive(self, *, who, index, salt, reason):
            deal, ms = self.pick_row(index, salt)
            if ms is None:
                return
            who = self.actor(who, deal)
            ok, error = self.run(f"waive({who})", lambda: self.row_record(who, deal, ms).action_waive(reason))
            legal = who == "M" and isinstance(reason, str) and bool(reason.strip())
            self.check(ok == legal, f"waive by {who} with {reason!r}: accepted={ok}: {error}")
            if ok:
                deal.rows[ms].waived = True
                deal.rows[ms].ticked = False

        @precondition(lambda self: self.deals)
        @rule(who=USERS, index=INDEX, stage=st.sampled_from(stage_ids), reason=st.sampled_from(["Signed LOI", " "]))
        def force_stage(self, *, who, index, stage, reason):
            deal = self.pick(index)

            def operation():
                wizard = self.env_of(who, {"active_model": "crm.lead", "active_ids": [deal.id]})[
                    "kam.stage.override"
                ].create({"stage_id": stage, "reason": reason})
                wizard.action_confirm()

            ok, error = self.run(f"force({who})", operation)
            legal = who == "M" and bool(reason.strip())
            self.check(ok == legal, f"force by {who}: accepted={ok}: {error}")
            if ok:
                target = Position(deal.position.team, deal.position.company, stage, True)
                for ms in self.unmet(deal, deal.position, target):
                    deal.rows[ms].waived = True
                    deal.rows[ms].ticked = False
                self.observe("force")

        @rule(who=USERS, stage=st.sampled_from(stage_ids), company=st.sampled_from([*companies, False]))
        def add_milestone(self, *, who, stage, company):
            values = {"name": f"Later {self.names}", "stage_id": stage, "company_id": company}
            ok, result = self.run(f"add milestone({who})", lambda: self.env_of(who)["kam.milestone"].create(values).id)
            self.check(ok == (who == "M"), f"{who} added a milestone: accepted={ok}: {result}")
            if ok:
                self.milestones[result] = MilestoneModel(
                    stage=stage, kind="check", company=company or None, teams=frozenset()
                )
                shared = stage == case.sh.id
                team = env["crm.stage"].browse(stage).team_id.id
                for deal in self.deals.values():
                    if shared or deal.position.team == team:
                        self.grandfather(deal, adopting=True)

        # --- the inputs of the other kinds ------------------------------------------------------

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, coach=st.booleans())
        def add_stakeholder(self, *, who, index, coach, deal=None):
            deal = deal or self.pick(index)
            who = self.actor(who, deal)
            person = env["res.partner"].create({"name": f"Person {self.names}"})
            self.names += 1
            values = {
                "lead_id": deal.id,
                "partner_id": person.id,
                "role_ids": [Command.set(case.coach.ids if coach else [])],
            }
            ok, result = self.run(
                f"add stakeholder({who})", lambda: self.env_of(who)["kam.stakeholder"].create(values).id
            )
            self.check(ok == self.permitted(who, deal), f"stakeholder by {who}: accepted={ok}: {result}")
            if ok:
                self.stakeholders[result] = [deal.id, coach]

        @precondition(lambda self: self.stakeholders)
        @rule(who=ACTORS, salt=INDEX, action=st.sampled_from(["coach", "no coach", "remove", "move"]), index=INDEX)
        def edit_stakeholder(self, *, who, salt, action, index):
            stakeholder_id = sorted(self.stakeholders)[salt % len(self.stakeholders)]
            deal = self.deals[self.stakeholders[stakeholder_id][0]]
            who = self.actor(who, deal)
            record = self.env_of(who)["kam.stakeholder"].browse(stakeholder_id)
            target = self.pick(index)
            operations = {
                "coach": lambda: record.write({"role_ids": [Command.set(case.coach.ids)]}),
                "no coach": lambda: record.write({"role_ids": [Command.clear()]}),
                "remove": record.unlink,
                "move": lambda: record.write({"lead_id": target.id}),
            }
            ok, error = self.run(f"stakeholder {action}({who})", operations[action])
            legal = action != "move" and self.permitted(who, deal)
            self.check(ok == legal, f"stakeholder {action} by {who}: accepted={ok}, model {legal}: {error}")
            if ok and action == "remove":
                del self.stakeholders[stakeholder_id]
            elif ok:
                self.stakeholders[stakeholder_id][1] = action == "coach"

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX)
        def call_done(self, *, who, index, deal=None):
            deal = deal or self.pick(index)
            who = self.actor(who, deal)
            record = self.env_of(who)["crm.lead"].with_context(active_test=False).browse(deal.id)

            def operation():
                activity = record.activity_schedule(activity_type_id=case.call.id, user_id=case.users[who].id)
                activity.action_feedback(feedback="Called the plant manager")

            ok, error = self.run(f"call done({who})", operation)
            if self.permitted(who, deal) and deal.position.active:
                self.check(ok, f"{who} could not mark a call done on their deal: {error}")
            if not self.permitted(who, deal):
                self.check(not ok, f"{who} marked a call done on someone else's deal")
            if ok:
                deal.calls += 1

        @precondition(lambda self: self.deals)
        @rule(who=ACTORS, index=INDEX, how=st.sampled_from(["message_post", "message_create"]))
        def forge_call(self, *, who, index, how):
            deal = self.pick(index)
            who = self.actor(who, deal)
            scoped = self.env_of(who)
            if how == "message_post":
                record = scoped["crm.lead"].browse(deal.id)

                def operation():
                    record.message_post(body="Called them", mail_activity_type_id=case.call.id, message_type="comment")
            else:

                def operation():
                    scoped["mail.message"].create(
                        {
                            "model": "crm.lead",
                            "res_id": deal.id,
                            "body": "Called",
                            "mail_activity_type_id": case.call.id,
                        }
                    )

            self.run(f"forged call({who})", operation)  # accepted or not: it must meet nothing

        @precondition(lambda self: self.deals)
        @rule(
            who=ACTORS,
            index=INDEX,
            vals=st.sampled_from(
                [
                    {"kam_qualification_score": 100},
                    {"kam_grade": "A"},
                    {"kam_red_flag_ids": [Command.clear()]},
                    {"kam_gate_open": True},
                    {"kam_unmet_milestone_ids": [Command.clear()]},
                ]
            ),
            stage=st.sampled_from([None, *stage_ids]),
        )
        def write_computed(self, *, who, index, vals, stage):
            deal = self.pick(index)
            who = self.actor(who, deal)
            values = {**vals, **({"stage_id": stage} if stage else {})}
            record = self.env_of(who)["crm.lead"].browse(deal.id)
            ok, _error = self.run(f"write computed({who})", lambda: record.write(values))
            self.check(not ok, f"{who} wrote the addon's computed fields {values}")

        # --- what must hold after every step -------------------------------------------------------

        @invariant()
        def the_database_agrees_with_the_model(self):
            env.flush_all()
            if not self.deals:
                return
            env.cr.execute(
                """SELECT lead_id, milestone_id, state, passed, grandfathered
                     FROM kam_lead_milestone WHERE lead_id = ANY(%s)""",
                [list(self.deals)],
            )
            db_rows = {
                (lead, ms): (state, passed, grandfathered)
                for lead, ms, state, passed, grandfathered in env.cr.fetchall()
            }
            for deal in self.deals.values():
                for ms in self.applicable(deal.position):
                    model = deal.rows.get(ms)
                    self.check(
                        model is not None and (deal.id, ms) in db_rows, f"deal {deal.id}: no row for milestone {ms}"
                    )
                    state, passed, grandfathered = db_rows[(deal.id, ms)]
                    expected = (self.state(deal, ms), model.passed, model.grandfathered)
                    self.check(
                        (state, bool(passed), bool(grandfathered)) == expected,
                        f"deal {deal.id} at {deal.position}, milestone {ms}: "
                        f"database {state, passed, grandfathered}, model {expected}",
                    )
                if deal.position.active and deal.position.stage:
                    pipeline = self.pipeline(deal.position.team)
                    level = dict(pipeline).get(deal.position.stage)
                    past = {stage for stage, seq in pipeline if level is None or seq < level}
                    for ms in self.milestones_of(past, deal.position):
                        state, _passed, grandfathered = db_rows[(deal.id, ms)]
                        self.check(
                            state != "todo" or grandfathered,
                            f"active deal {deal.id} at {deal.position} stands past unmet milestone {ms}",
                        )

        @invariant()
        def nobody_sees_what_their_rules_hide(self):
            ids = list(self.deals)
            if not ids:
                return
            for who in ("A", "B"):
                scoped = self.env_of(who)
                visible = set(scoped["crm.lead"].with_context(active_test=False).search([("id", "in", ids)]).ids)
                own = {deal.id for deal in self.deals.values() if deal.owner == who}
                self.check(visible <= own, f"{who} sees deals of others: {visible - own}")
                active_own = {deal.id for deal in self.deals.values() if deal.owner == who and deal.position.active}
                self.check(active_own <= visible, f"{who} does not see their own deals {active_own - visible}")
                rows = scoped["kam.lead.milestone"].search([("lead_id", "in", ids)])
                self.check(set(rows.lead_id.ids) <= own, f"{who} sees milestone rows of others' deals")
                people = scoped["kam.stakeholder"].search([("lead_id", "in", ids)])
                self.check(set(people.lead_id.ids) <= own, f"{who} sees the buying centres of others' deals")
                # the Gate tab (read first, as a form does: its query sets the badge too) shows the rows of
                # the gate and no row their rules hide, and agrees with the badge read on its own
                deals = scoped["crm.lead"].with_context(active_test=False).browse(sorted(visible))
                deals.invalidate_recordset()
                tabs = {deal.id: deal.kam_gate_rows or [] for deal in deals}
                with_tab = {deal.id: (deal.kam_gate_open, deal.kam_gate_done, deal.kam_gate_total) for deal in deals}
                deals.invalidate_recordset()
                for deal in deals:
                    tab = tabs[deal.id]
                    self.check({row["id"] for row in tab} <= set(rows.ids), f"{who}'s Gate tab shows hidden rows")
                    self.check(
                        {row["id"] for row in tab} == set(deal.kam_current_milestone_ids.ids),
                        f"deal {deal.id}: the Gate tab {tab} is not the gate {deal.kam_current_milestone_ids.ids}",
                    )
                    met = sum(row["met"] for row in tab)
                    badge = (deal.kam_gate_open, deal.kam_gate_done, deal.kam_gate_total)
                    self.check(
                        badge == with_tab[deal.id] == (met == len(tab), met, len(tab)),
                        f"deal {deal.id}: badge {badge}, with the tab {with_tab[deal.id]}, tab {tab}",
                    )
                # the buying centre as a form reads it (the deal's row first, its flag with it) is the model's
                deals.invalidate_recordset()
                deals.mapped("kam_has_stakeholders")
                for deal in deals:
                    model = {sid for sid, (deal_id, _coach) in self.stakeholders.items() if deal_id == deal.id}
                    self.check(
                        set(deal.kam_stakeholder_ids.ids) == model,
                        f"deal {deal.id}: {who} reads the buying centre {deal.kam_stakeholder_ids.ids}, model {model}",
                    )
                env.invalidate_all()  # a request starts with nothing cached: the next step's reads check access

    return GateMachine
