"""The gate under concurrency: a move and a concurrent change of the same deal's milestone inputs.

Two real transactions on two cursors (data committed, cleaned up after; no thread, so it runs under
pytest-odoo and Odoo's own test runner alike): one moves the deal
past S1, the other spoils S1's milestone at the same moment — unticks the checklist item,
removes the decision maker from the buying centre, or sets the revenue a condition needs to 0.
They touch different tables, yet both write what the other's check read (the move latches the
rows it cleared, every change of a milestone's input writes its row or the deal's), so under
Odoo's REPEATABLE READ isolation the second to write fails with a serialization error; Odoo
retries it (``odoo.service.model.retrying``, as for an RPC call) and the retry sees the
first one's result: the deal never stands past an unmet milestone. Both orders are tested.
"""

# This test's subject is two committed transactions, each on its own cursor (never the test's
# cursor): its set-up, the two sides and the clean-up must commit.
# pylint: disable=invalid-commit
import time
from contextlib import closing
from types import SimpleNamespace
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError, ValidationError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger
from psycopg2.errors import SerializationFailure


@tagged("post_install", "-at_install")
class TestGateConcurrency(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())

    def setUp(self):
        super().setUp()
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            suffix = str(time.time_ns())
            team = env["crm.team"].create({"name": f"Race team {suffix}"})
            s1, s2 = (
                env["crm.stage"].create({"name": f"Race S{i}", "sequence": 1000 + i, "team_id": team.id})
                for i in (1, 2)
            )
            decision = env.ref("kam_sales_process.role_decision_maker")
            check = env["kam.milestone"].create({"name": "Budget known", "stage_id": s1.id, "kind": "check"})
            roles = env["kam.milestone"].create(
                {"name": "Decision maker", "stage_id": s1.id, "kind": "roles", "role_ids": [(6, 0, decision.ids)]}
            )
            condition = env["kam.milestone"].create(
                {"name": "Revenue", "stage_id": s1.id, "kind": "condition",
                 "condition_domain": "[('expected_revenue', '>', 0)]"}
            )  # fmt: skip
            admin = env.ref("base.user_admin")
            team.member_ids |= admin
            deal = env["crm.lead"].create(
                {"name": f"Race deal {suffix}", "type": "opportunity", "team_id": team.id, "stage_id": s1.id,
                 "user_id": admin.id, "expected_revenue": 1000}
            )  # fmt: skip
            boss = env["res.partner"].create({"name": f"Race boss {suffix}"})
            stakeholder = env["kam.stakeholder"].create(
                {"lead_id": deal.id, "partner_id": boss.id, "role_ids": [(6, 0, decision.ids)]}
            )
            deal.kam_milestone_ids.filtered(lambda row: row.milestone_id == check).with_user(admin).action_done()
            self.assertTrue(all(row.state == "done" for row in deal.kam_milestone_ids), "the deal may move")
            cr.commit()
            self.ids = {
                "team": team.id, "s1": s1.id, "s2": s2.id, "deal": deal.id, "admin": admin.id, "boss": boss.id,
                "stakeholder": stakeholder.id, "check": check.id, "milestones": (check | roles | condition).ids,
            }  # fmt: skip
        self.addCleanup(self._clean)

    def _clean(self):
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            ids = self.ids
            deal = env["crm.lead"].browse(ids["deal"]).with_context(active_test=False)
            deal.kam_stakeholder_ids.unlink()
            deal.kam_milestone_ids.unlink()
            deal.unlink()
            env["kam.milestone"].browse([*ids["milestones"], *([ids["added"]] if "added" in ids else [])]).unlink()
            env["crm.stage"].browse([ids["s1"], ids["s2"]]).unlink()
            env["crm.team"].browse(ids["team"]).unlink()
            # the second passes of the milestones added here (their deals are gone)
            env["kam.recompute.job"].search([("kind", "=", "gate_settling"), ("state", "=", "todo")]).unlink()
            env["res.partner"].browse(ids["boss"]).unlink()
            cr.commit()

    # The moves and the spoilers, each run as the admin (not superuser: the gate applies).
    def _move(self, env):
        env["crm.lead"].browse(self.ids["deal"]).write({"stage_id": self.ids["s2"]})

    def _untick(self, env):
        row = (
            env["crm.lead"]
            .browse(self.ids["deal"])
            .kam_milestone_ids.filtered(lambda row: row.milestone_id.id == self.ids["check"])
        )
        row.action_reset()

    def _remove_decision_maker(self, env):
        env["kam.stakeholder"].browse(self.ids["stakeholder"]).unlink()

    def _zero_revenue(self, env):
        env["crm.lead"].browse(self.ids["deal"]).write({"expected_revenue": 0})

    def _race(self, first, second, served=False):
        """``second`` starts (takes its snapshot) before ``first`` commits, then does its work: the two
        overlap as two workers serving two users at the same moment would. (``second`` writing while
        ``first`` has not committed yet would wait for ``first``'s locks and end the same way.)
        ``second`` is then retried as Odoo retries a call. Returns what ``second`` raised first (the
        conflict) and finally (after the retries).

        With ``served``, ``second`` runs from its first try inside Odoo's ``retrying``, as an RPC call is
        served: the outcome then says what the user finally sees (``final``) and how many times Odoo
        retried (``retries``; its waits between tries are skipped)."""
        outcome, waits = {}, []
        with (
            # the serialization failure is logged as a bad query, Odoo's retries as they happen
            mute_logger("odoo.sql_db", "odoo.service.model"),
            closing(self.registry.cursor()) as cr1,
            closing(self.registry.cursor()) as cr2,
            # the waits of retrying() alone (not the time module every thread shares)
            patch("odoo.service.model.time", SimpleNamespace(sleep=waits.append)),
        ):
            env1 = api.Environment(cr1, self.ids["admin"], {})
            env2 = api.Environment(cr2, self.ids["admin"], {})
            env2["crm.lead"].browse(self.ids["deal"]).read(["stage_id"])  # the second one's snapshot
            first(env1)
            env1.flush_all()
            cr1.commit()
            try:
                if served:
                    retrying(lambda: second(env2), env2)
                else:
                    try:
                        second(env2)
                        env2.flush_all()
                        cr2.commit()
                    except Exception as error:
                        outcome["conflict"] = error
                        cr2.rollback()
                        env2.transaction.reset()
                        retrying(lambda: second(env2), env2)
            except Exception as final:
                outcome["final"] = final
                cr2.rollback()
        if served:
            outcome["retries"] = len(waits)
        return outcome

    def _state(self):
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            deal = env["crm.lead"].browse(self.ids["deal"])
            return deal.stage_id.id, {row.milestone_id.name: row.state for row in deal.kam_milestone_ids}

    def test_move_first_then_a_spoiler_is_retried_and_finds_the_deal_moved(self):
        for spoiler, refused in (
            (self._untick, UserError),
            (self._remove_decision_maker, None),
            (self._zero_revenue, None),
        ):
            with self.subTest(spoiler=spoiler.__name__):
                outcome = self._race(self._move, spoiler)
                self.assertIsInstance(outcome.get("conflict"), SerializationFailure, outcome)
                stage, states = self._state()
                self.assertEqual(stage, self.ids["s2"], "the move committed first")
                if refused:
                    self.assertIsInstance(outcome.get("final"), refused, "a passed milestone cannot be unticked")
                    self.assertEqual(states["Budget known"], "done")
                # the spoiler may then commit: the stage is history, its rows are passed and stay as they were
                self.assertTrue(all(state == "done" for state in states.values()), states)
                self._reset_to_s1()

    def test_spoiler_first_then_the_move_is_retried_and_refused(self):
        for spoiler, milestone in (
            (self._untick, "Budget known"),
            (self._remove_decision_maker, "Decision maker"),
            (self._zero_revenue, "Revenue"),
        ):
            with self.subTest(spoiler=spoiler.__name__):
                outcome = self._race(spoiler, self._move)
                self.assertIsInstance(outcome.get("conflict"), SerializationFailure, outcome)
                self.assertIsInstance(outcome.get("final"), (UserError, ValidationError), outcome)
                self.assertIn(milestone, str(outcome["final"]))
                stage, states = self._state()
                self.assertEqual(stage, self.ids["s1"], "the deal never passed the unmet milestone")
                self.assertEqual(states[milestone], "todo")
                self._restore_s1()

    def _reset_to_s1(self):
        """Back to the start: the deal in S1 with every milestone met (moving back is free)."""
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, self.ids["admin"], {})
            env["crm.lead"].browse(self.ids["deal"]).write({"stage_id": self.ids["s1"]})
            cr.commit()
        self._restore_s1()

    def _restore_s1(self):
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, self.ids["admin"], {})
            deal = env["crm.lead"].browse(self.ids["deal"])
            deal.write({"expected_revenue": 1000})
            if not deal.kam_stakeholder_ids:
                decision = env.ref("kam_sales_process.role_decision_maker")
                stakeholder = env["kam.stakeholder"].create(
                    {"lead_id": deal.id, "partner_id": self.ids["boss"], "role_ids": [(6, 0, decision.ids)]}
                )
                self.ids["stakeholder"] = stakeholder.id
            row = deal.kam_milestone_ids.filtered(lambda row: row.milestone_id.id == self.ids["check"])
            if row.state != "done":
                row.action_done()
            cr.commit()

    # A manager adding a milestone to the deal's stage while the deal moves or is restored. The milestone's
    # rows are new rows (an insert meets no write of the move): the manager's change locks the deals it
    # settles, so that one moved since its snapshot makes it retry, and the retry settles the deal where it
    # stands. The change first: the move, knowing the milestone, creates the deal's row too, which fails to
    # serialize (not a unique violation, which Odoo would not retry). A worker serving the move may still gate
    # with the milestones it read before the change (Odoo's caches follow a change at each worker's next
    # request): the change settles its deals again later.
    def _add_milestone(self, env):
        milestone = env["kam.milestone"].create({"name": "Site visit", "stage_id": self.ids["s1"], "kind": "check"})
        self.ids["added"] = milestone.id

    def _drop_added_milestone(self):
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            added = env["kam.milestone"].browse(self.ids.pop("added"))
            env["kam.lead.milestone"].search([("milestone_id", "=", added.id)]).unlink()
            added.unlink()
            env["kam.recompute.job"].search([("state", "=", "todo"), ("start_after", "!=", False)]).unlink()
            cr.commit()

    def _added_row(self):
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            deal = env["crm.lead"].with_context(active_test=False).browse(self.ids["deal"])
            row = deal.kam_milestone_ids.filtered(lambda row: row.milestone_id.id == self.ids["added"])
            return deal.stage_id.id, deal.active, (row.state, row.passed, row.grandfathered)

    def _settle_again(self):
        """The second settling of the manager's change, run as the scheduled action runs it once due."""
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            Job = env["kam.recompute.job"]
            job = Job.search([("kind", "=", "gate_settling"), ("state", "=", "todo")]).filtered(
                lambda job: self.ids["added"] in job.res_ids
            )
            self.assertEqual((len(job), job.state), (1, "todo"), "the change is settled again later")
            Job._cron_kam_run_jobs()
            self.assertEqual(job.state, "todo", "not before every request running at the change has ended")
            job.start_after = "2000-01-01 00:00:00"
            Job._cron_kam_run_jobs()
            self.assertEqual(job.state, "done")
            cr.commit()

    def _with_stale_milestones(self, action, stale=None):
        """``action`` as a worker runs it that read the milestones before the manager's change (or, with
        ``stale``, that knows only these)."""
        Milestone = self.registry["kam.milestone"]
        if stale is None:
            with closing(self.registry.cursor()) as cr:
                stale = api.Environment(cr, SUPERUSER_ID, {})["kam.milestone"]._kam_get_specs()

        def run(env):
            with patch.object(Milestone, "_kam_get_specs", lambda self: stale):
                action(env)

        return run

    def _check_added_race(self, action, active):
        """``action`` (a move or a restore to S2) racing the manager adding a milestone to S1, in both orders."""
        # the milestone first: the action fails to serialize (the milestone's row for the deal, created by the
        # manager's change, is one the action's snapshot cannot see, and would create too), Odoo retries it,
        # and the retry finds the milestone unmet
        outcome = self._race(self._add_milestone, action)
        self.assertIsInstance(outcome.get("conflict"), SerializationFailure, outcome)
        self.assertIsInstance(outcome.get("final"), UserError, outcome)
        self.assertIn("Site visit", str(outcome["final"]))
        self.assertEqual(self._added_row(), (self.ids["s2"] if not active else self.ids["s1"], active,
                                             ("todo", False, False)))  # fmt: skip
        self._drop_added_milestone()
        # the same, served as Odoo serves a call: the user sees the gate's refusal after one retry, not an
        # error about the row the two changes both created
        outcome = self._race(self._add_milestone, action, served=True)
        self.assertEqual(outcome.get("retries"), 1, outcome)
        self.assertNotIsInstance(outcome.get("final"), ValidationError, outcome)
        self.assertIsInstance(outcome.get("final"), UserError, outcome)
        self.assertIn("Site visit", str(outcome["final"]))
        self.assertEqual(self._added_row(), (self.ids["s2"] if not active else self.ids["s1"], active,
                                             ("todo", False, False)))  # fmt: skip
        self._drop_added_milestone()
        # the action first: the manager's change is retried and finds the deal past the stage (grandfathered)
        outcome = self._race(action, self._add_milestone)
        self.assertIsInstance(outcome.get("conflict"), SerializationFailure, outcome)
        self.assertNotIn("final", outcome)
        self.assertEqual(self._added_row(), (self.ids["s2"], True, ("todo", True, True)))
        self._drop_added_milestone()

    def _check_added_race_stale(self, action):
        """The milestone first, the action in a worker that does not know it yet: it passes; the deal is
        grandfathered for it when the change is settled again."""
        outcome = self._race(self._add_milestone, self._with_stale_milestones(action))
        self.assertEqual(outcome, {})
        self.assertEqual(self._added_row(), (self.ids["s2"], True, ("todo", False, False)))
        self._settle_again()
        self.assertEqual(self._added_row(), (self.ids["s2"], True, ("todo", True, True)))
        self._drop_added_milestone()

    def test_a_milestone_added_while_the_deal_moves_past_its_stage(self):
        self._check_added_race(self._move, active=True)
        self._reset_to_s1()
        self._check_added_race_stale(self._move)

    def test_a_deal_created_past_a_stage_while_it_gets_its_milestone(self):
        """A deal created in S2 by a worker that knows no milestone yet (S1's first ones added meanwhile): it
        was not among the change's deals; the second pass finds it and grandfathers it there."""
        created = {}

        def create_in_s2(env):
            created["deal"] = env["crm.lead"].create(
                {"name": "Race newcomer", "type": "opportunity", "team_id": self.ids["team"],
                 "stage_id": self.ids["s2"], "user_id": self.ids["admin"]}
            ).id  # fmt: skip

        try:
            outcome = self._race(self._add_milestone, self._with_stale_milestones(create_in_s2, stale={}))
            self.assertEqual(outcome, {})
            with closing(self.registry.cursor()) as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                self.assertFalse(env["crm.lead"].browse(created["deal"]).kam_milestone_ids, "unknown to its worker")
            self._settle_again()
            with closing(self.registry.cursor()) as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                row = (
                    env["crm.lead"]
                    .browse(created["deal"])
                    .kam_milestone_ids.filtered(lambda row: row.milestone_id.id == self.ids["added"])
                )
                self.assertEqual((row.state, row.passed, row.grandfathered), ("todo", True, True))
        finally:
            with closing(self.registry.cursor()) as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                deal = env["crm.lead"].browse(created.get("deal", [])).exists()
                deal.kam_milestone_ids.unlink()
                deal.unlink()
                cr.commit()
            self._drop_added_milestone()

    def _archived_in_s1_then_moved_to_s2(self):
        with closing(self.registry.cursor()) as cr:
            env = api.Environment(cr, self.ids["admin"], {})
            deal = env["crm.lead"].with_context(active_test=False).browse(self.ids["deal"])
            deal.write({"stage_id": self.ids["s1"]})
            deal.action_archive()
            deal.write({"stage_id": self.ids["s2"]})  # an archived deal's move is checked when it is restored
            cr.commit()

    def _restore(self, env):
        env["crm.lead"].with_context(active_test=False).browse(self.ids["deal"]).action_unarchive()

    def test_a_milestone_added_while_an_archived_deal_is_restored_past_its_stage(self):
        self._archived_in_s1_then_moved_to_s2()
        self._check_added_race(self._restore, active=False)
        self._archived_in_s1_then_moved_to_s2()
        self._check_added_race_stale(self._restore)
