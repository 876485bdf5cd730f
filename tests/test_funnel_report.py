"""Funnel report, what holds deals back, and the dashboard, on a hand-computed fixture."""

from datetime import timedelta

from freezegun import freeze_time
from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import KamGateCase, TourMixin
from .test_funnel_history import FunnelCase


class FunnelFixture(FunnelCase):
    """Five deals whose stays are set by hand (days in brackets):

    ====  ====================================  ============
    deal  stays                                 today
    ====  ====================================  ============
    d1    F1 (2) forward, F2 open               open in F2
    d2    F1 (4) forward, F2 (3) forward,       won
          F3 (1) won
    d3    F1 (6) forward, F2 (5) lost           lost
    d4    F1 (8) lost                           lost
    d5    F1 open                               open in F1 (another salesperson's)
    ====  ====================================  ============
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Lead = cls.env["crm.lead"]
        mine = {"type": "opportunity", "team_id": cls.team.id, "user_id": cls.user_salesman.id}
        cls.d1 = Lead.create({**mine, "name": "d1", "stage_id": cls.s2.id, "expected_revenue": 1000, "probability": 50})
        cls.d2 = Lead.create({**mine, "name": "d2", "stage_id": cls.won.id})
        cls.d3 = Lead.create({**mine, "name": "d3", "stage_id": cls.s2.id})
        cls.d4 = Lead.create({**mine, "name": "d4", "stage_id": cls.s1.id})
        cls.d5 = Lead.create(
            {**mine, "name": "d5", "stage_id": cls.s1.id, "user_id": cls.user_sales_all.id, "expected_revenue": 400}
        )
        (cls.d3 | cls.d4).action_set_lost()
        deals = cls.d1 | cls.d2 | cls.d3 | cls.d4 | cls.d5
        History = cls.env["kam.stage.history"]
        History.search([("lead_id", "in", deals.ids)]).unlink()
        start = fields.Datetime.now() - timedelta(days=60)
        rows = []
        for deal, stays in (
            (cls.d1, [(cls.s1, 2, "forward"), (cls.s2, None, None)]),
            (cls.d2, [(cls.s1, 4, "forward"), (cls.s2, 3, "forward"), (cls.s3, 1, "won")]),
            (cls.d3, [(cls.s1, 6, "forward"), (cls.s2, 5, "lost")]),
            (cls.d4, [(cls.s1, 8, "lost")]),
            (cls.d5, [(cls.s1, None, None)]),
        ):
            date_in = start
            for stage, days, kind in stays:
                date_out = date_in + timedelta(days=days) if days is not None else False
                rows.append(
                    {
                        "lead_id": deal.id,
                        "stage_id": stage.id,
                        "team_id": cls.team.id,
                        "user_id": deal.user_id.id,
                        "date_in": date_in,
                        "date_out": date_out,
                        "days": days or 0,
                        "exit_kind": kind,
                    }
                )
                date_in = date_out or date_in
        History.create(rows)

    def _jam_the_second_stage(self):
        """Ten finished deals: F1 passed 9 of 10 on in 2 days, F2 passed 1 of 10 on in 2 days; and, today,
        eight more deals sitting in F2 (returned)."""
        History = self.env["kam.stage.history"]
        start = fields.Datetime.now() - timedelta(days=200)
        done = self.env["crm.lead"].create(
            [{"name": f"old {i}", "type": "opportunity", "team_id": self.team.id} for i in range(10)]
        )
        History.search([("lead_id", "in", done.ids)]).unlink()
        rows = []
        for i, deal in enumerate(done):
            for stage, kind in ((self.s1, "forward" if i else "lost"), (self.s2, "lost" if i else "forward")):
                rows.append(
                    {"lead_id": deal.id, "stage_id": stage.id, "team_id": self.team.id, "date_in": start,
                     "date_out": start + timedelta(days=2), "days": 2, "exit_kind": kind}
                )  # fmt: skip
        History.create(rows)
        (done - done[:1]).action_archive()
        return self.env["crm.lead"].create(
            [
                {"name": f"Piled deal {i}", "type": "opportunity", "team_id": self.team.id, "stage_id": self.s2.id}
                for i in range(8)
            ]
        )


@tagged("post_install", "-at_install")
class TestFunnelReport(FunnelFixture):
    def _by_stage(self, user=None):
        Report = self.env["kam.funnel.report"]
        if user:
            Report = Report.with_user(user)
        stages, bottleneck = Report._kam_stage_figures(self.team.id)
        return {line["stage"]: line for line in stages}, bottleneck

    def test_conversion_and_days_per_stage_as_computed_by_hand(self):
        stages, bottleneck = self._by_stage()
        self.assertEqual(list(stages), ["F1", "F2", "F3"])
        f1, f2, f3 = stages["F1"], stages["F2"], stages["F3"]
        self.assertEqual((f1["entered"], f1["moved_forward"], f1["lost"], f1["open_now"]), (5, 3, 1, 1))
        self.assertEqual(f1["conversion_next"], 75.0)  # 3 of the 4 finished stays
        self.assertEqual(f1["conversion_won"], 33.3)  # d2 won, d3 and d4 lost; d1 and d5 undecided
        self.assertEqual((f1["median_days"], f1["p90_days"]), (5.0, 7.4))  # of 2, 4, 6, 8
        self.assertEqual((f2["entered"], f2["moved_forward"], f2["lost"], f2["open_now"]), (3, 1, 1, 1))
        self.assertEqual((f2["conversion_next"], f2["conversion_won"]), (50.0, 50.0))
        self.assertEqual((f2["median_days"], f2["p90_days"]), (4.0, 4.8))  # of 3, 5
        self.assertEqual((f3["entered"], f3["conversion_next"], f3["conversion_won"]), (1, 100.0, 100.0))
        self.assertEqual(f2["open_value"], 1000)
        self.assertEqual(f2["weighted_value"], 500)
        self.assertEqual(f1["open_value"], 400)
        # too little history (fewer than 5 finished stays a stage) names no bottleneck
        self.assertIsNone(bottleneck)
        # the balanced funnel shares today's 2 open deals by average days: 5, 4, 1
        self.assertEqual([line["expected_open"] for line in stages.values()], [1.0, 0.8, 0.2])

    def test_the_pivot_adds_up_the_same(self):
        groups = self.env["kam.funnel.report"].read_group(
            [("team_id", "=", self.team.id)],
            ["entered:sum", "moved_forward:sum", "conversion_next:avg", "days:avg"],
            ["stage_id"],
        )
        f1 = next(g for g in groups if g["stage_id"][0] == self.s1.id)
        self.assertEqual((f1["entered"], f1["moved_forward"], f1["conversion_next"]), (5, 3, 75.0))

    def test_a_salesperson_sees_the_figures_of_their_own_deals_only(self):
        stages, _bottleneck = self._by_stage(self.user_salesman)
        self.assertEqual(stages["F1"]["entered"], 4)  # d5 belongs to someone else
        self.assertEqual(stages["F1"]["open_now"], 0)
        stages, _bottleneck = self._by_stage(self.user_sales_all)
        self.assertEqual(stages["F1"]["entered"], 5)
        stages, _bottleneck = self._by_stage(self.user_sales_manager)
        self.assertEqual(stages["F1"]["entered"], 5)
        seen = self.env["kam.funnel.report"].with_user(self.user_salesman).search([("team_id", "=", self.team.id)])
        self.assertNotIn(self.d5, seen.lead_id)
        # a deal handed to someone else leaves its former salesperson's figures, as its stage history does
        handed = self.env["crm.lead"].browse(seen.lead_id.filtered("active")[:1].ids)
        handed.user_id = self.user_sales_all
        seen = self.env["kam.funnel.report"].with_user(self.user_salesman).search([("team_id", "=", self.team.id)])
        self.assertNotIn(handed, seen.lead_id)
        self.assertFalse(
            self.env["kam.stage.history"].with_user(self.user_salesman).search([("lead_id", "=", handed.id)])
        )

    def test_filters_by_tier_grade_and_period_apply_before_adding_up(self):
        Report = self.env["kam.funnel.report"]
        self.assertEqual(Report.search_count([("team_id", "=", self.team.id), ("grade", "!=", False)]), 9)
        old = fields.Datetime.now() - timedelta(days=30)
        self.assertEqual(
            Report.search_count([("team_id", "=", self.team.id), ("date_in", ">=", old)]), 0
        )  # every stay of the fixture began two months ago

    def test_a_bottleneck_is_named_where_deals_pile_up(self):
        piled = self._jam_the_second_stage()
        self.assertEqual(len(piled.kam_stage_history_ids), 8)
        stages, bottleneck = self._by_stage()
        self.assertEqual(bottleneck, self.s2.id)
        self.assertGreater(stages["F2"]["open_now"], stages["F2"]["expected_open"])


@tagged("post_install", "-at_install")
class TestWhatHoldsDealsBack(KamGateCase):
    def test_per_milestone_deals_waiting_and_waivers_by_manager(self):
        waiting = self._new_deal(stage=self.s1) | self._new_deal(stage=self.s1)
        passed = self._new_deal(stage=self.s1)
        self._meet(passed, self.ms_budget)
        forced = self._new_deal(stage=self.s1)
        self._row(forced, self.ms_budget).with_user(self.user_sales_manager).action_waive("Known from the tender")
        Report = self.env["kam.milestone.report"]
        rows = Report.search([("milestone_id", "=", self.ms_budget.id)])
        self.assertEqual(sum(rows.mapped("waiting")), 2)
        self.assertEqual(rows.filtered("waiting").lead_id, waiting)
        self.assertEqual(sum(rows.mapped("met")), 1)
        waived = rows.filtered("waived")
        self.assertEqual((waived.lead_id, waived.waived_by_id), (forced, self.user_sales_manager))
        self.assertEqual(waived.waive_reason, "Known from the tender")
        blocking = Report._kam_blocking(self.team.id)
        self.assertEqual(blocking[0]["milestone_id"], self.ms_budget.id)
        self.assertEqual(blocking[0]["waiting"], 2)
        # a salesperson sees their own deals' rows only
        other = self._new_deal(stage=self.s1, user_id=self.user_sales_all.id)
        seen = Report.with_user(self.user_salesman).search([("milestone_id", "=", self.ms_budget.id)])
        self.assertNotIn(other, seen.lead_id)


@tagged("post_install", "-at_install")
class TestFunnelDashboard(FunnelFixture):
    def test_the_dashboard_gathers_funnel_stuck_blocking_and_overrides(self):
        self.s2.kam_max_days = 10
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_last_stage_update = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=30), self.d1.id],
        )
        self.d1.invalidate_recordset()
        self.env["crm.lead"]._kam_cron_flag_stuck()
        data = self.env["kam.funnel.report"].with_user(self.user_sales_manager).get_kam_dashboard(self.team.id)
        self.assertEqual(data["team_id"], self.team.id)
        self.assertEqual([line["stage"] for line in data["stages"]], ["F1", "F2", "F3"])
        self.assertEqual(data["stuck"]["count"], 1)
        self.assertEqual(data["stuck"]["deals"][0]["id"], self.d1.id)
        self.assertEqual(data["overrides"]["count"], 0)
        # a leap day looks back to the 28th of February
        with freeze_time("2028-02-29"):
            self.assertTrue(self.env["kam.funnel.report"].get_kam_dashboard(self.team.id)["stages"])
        # an employee without sales rights gets nothing
        with self.assertRaises(AccessError):
            self.env["kam.funnel.report"].with_user(self.user_employee).get_kam_dashboard(self.team.id)
        # an unknown or inaccessible team falls back to one the user can see
        data = self.env["kam.funnel.report"].with_user(self.user_salesman).get_kam_dashboard(999999)
        self.assertIn(data["team_id"], [team["id"] for team in data["teams"]])


@tagged("post_install", "-at_install")
class TestFunnelDashboardTour(TourMixin, FunnelFixture, HttpCase):
    def test_a_director_opens_the_dashboard_and_drills_into_the_stuck_deals_of_the_bottleneck(self):
        piled = self._jam_the_second_stage()
        self.s2.kam_max_days = 10
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_last_stage_update = %s WHERE id = ANY(%s)",
            [fields.Datetime.now() - timedelta(days=30), piled[:3].ids],
        )
        self.env["crm.lead"].invalidate_model()
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.team.member_ids |= self.user_sales_manager
        self.start_tour(
            "/odoo/action-kam_sales_process.kam_funnel_dashboard_action",
            "kam_funnel_dashboard_tour",
            login=self.user_sales_manager.login,
        )
