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
            env["kam.milestone"].browse(ids["milestones"]).unlink()
            env["crm.stage"].browse([ids["s1"], ids["s2"]]).unlink()
            env["crm.team"].browse(ids["team"]).unlink()
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

    def _race(self, first, second):
        """``second`` starts (takes its snapshot) before ``first`` commits, then does its work: the two
        overlap as two workers serving two users at the same moment would. (``second`` writing while
        ``first`` has not committed yet would wait for ``first``'s locks and end the same way.)
        ``second`` is then retried as Odoo retries a call. Returns what ``second`` raised first (the
        conflict) and finally (after the retries)."""
        outcome = {}
        with (
            mute_logger("odoo.sql_db"),  # the serialization failure is logged as a bad query
            closing(self.registry.cursor()) as cr1,
            closing(self.registry.cursor()) as cr2,
        ):
            env1 = api.Environment(cr1, self.ids["admin"], {})
            env2 = api.Environment(cr2, self.ids["admin"], {})
            env2["crm.lead"].browse(self.ids["deal"]).read(["stage_id"])  # the second one's snapshot
            first(env1)
            env1.flush_all()
            cr1.commit()
            try:
                second(env2)
                env2.flush_all()
                cr2.commit()
            except Exception as error:
                outcome["conflict"] = error
                cr2.rollback()
                env2.transaction.reset()
                try:
                    retrying(lambda: second(env2), env2)
                except Exception as final:
                    outcome["final"] = final
                    cr2.rollback()
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
