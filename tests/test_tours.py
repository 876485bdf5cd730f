"""The browser tours themselves: a failure leaves a screenshot where the test output says."""

import pathlib
import unittest
from unittest.mock import patch

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tests import common as odoo_test_common
from odoo.tools import config

from .common import KamAccountCase, KamGateCase, TourMixin


@tagged("post_install", "-at_install")
class TestTourFailureScreenshot(TourMixin, HttpCase):
    def test_a_tour_fails_instead_of_skipping_without_websocket_client(self):
        with (
            patch.object(odoo_test_common, "websocket", None),
            self.assertRaisesRegex(AssertionError, "websocket-client"),
        ):
            self.start_tour("/odoo", "kam_failing_tour", login="admin")

    def test_a_tour_fails_instead_of_skipping_without_chromium(self):
        def no_browser():
            raise unittest.SkipTest("Chrome executable not found")

        with (
            patch.object(odoo_test_common, "_find_executable", no_browser),
            self.assertRaisesRegex(AssertionError, "Chromium"),
        ):
            self.start_tour("/odoo", "kam_failing_tour", login="admin")

    def test_a_failing_tour_saves_a_screenshot(self):
        folder = pathlib.Path(config["screenshots"]) / get_db_name() / "screenshots"
        before = set(folder.glob("*TestTourFailureScreenshot*.png")) if folder.exists() else set()
        with self.assertRaises(AssertionError), self.assertLogs("odoo.tests.common", level="ERROR"):
            self.start_tour("/odoo", "kam_failing_tour", login="admin")
        shots = set(folder.glob("*TestTourFailureScreenshot*.png")) - before
        self.assertTrue(shots, f"no screenshot in {folder}")
        for shot in shots:
            self.assertGreater(shot.stat().st_size, 1000)
            shot.unlink()


@tagged("post_install", "-at_install")
class TestGateKanbanTour(TourMixin, KamGateCase, HttpCase):
    def test_drag_refused_then_milestone_met_then_moved(self):
        deal = self._new_deal(stage=self.s1)
        # /odoo/crm opens "My Pipeline" for the salesperson's team
        self.start_tour("/odoo/crm", "kam_gate_kanban_tour", login=self.user_salesman.login)
        self.assertEqual(deal.stage_id, self.s2)
        self.assertEqual(self._row(deal, self.ms_budget).state, "done")
        # kept from the milestone's own form, opened from the Gate tab
        self.assertEqual(self._row(deal, self.ms_budget).evidence, "The CFO confirmed the budget by e-mail.")


@tagged("post_install", "-at_install")
class TestDomainMilestoneTour(TourMixin, KamGateCase, HttpCase):
    def test_admin_builds_a_condition_milestone_and_badges_follow(self):
        admin = self.env.ref("base.user_admin")
        self.team.member_ids |= admin
        big = self._new_deal(name="Big retrofit", stage=self.s1, expected_revenue=250_000, user_id=admin.id)
        small = self._new_deal(name="Small retrofit", stage=self.s1, expected_revenue=20_000, user_id=admin.id)
        self.assertEqual((big.kam_gate_done, big.kam_gate_total), (0, 1))
        self.start_tour(f"/odoo/action-crm.crm_stage_action/{self.s1.id}", "kam_domain_milestone_tour", login="admin")
        milestone = self.s1.kam_milestone_ids.filtered(lambda m: m.name == "Large deal")
        self.assertEqual(milestone.kind, "condition")
        self.assertEqual(milestone._get_domain(), [("expected_revenue", ">", 100000)])
        self.start_tour("/odoo/crm", "kam_domain_milestone_badge_tour", login="admin")
        self.assertEqual((big.kam_gate_done, big.kam_gate_total), (1, 2))
        # opened from the pipeline, grown past the condition and saved: its Gate tab followed
        self.assertEqual(small.expected_revenue, 250_000)
        self.assertEqual((small.kam_gate_done, small.kam_gate_total), (1, 2))


@tagged("post_install", "-at_install")
class TestDealReviewTour(TourMixin, KamGateCase, HttpCase):
    def test_a_sales_lead_goes_through_a_review(self):
        zhang = new_test_user(self.env, login="kam_tour_zhang", groups="sales_team.group_sale_salesman", name="小张")
        self.team.member_ids |= zhang
        mill = self._new_deal(name="Rolling mill", user_id=zhang.id, expected_revenue=900000)
        racks = self._new_deal(name="Warehouse racks", user_id=zhang.id, expected_revenue=50000)
        self.start_tour(
            "/odoo/action-kam_sales_process.kam_deal_review_action",
            "kam_deal_review_tour",
            login=self.user_sales_manager.login,
        )
        review = self.env["kam.deal.review"].search([("team_id", "=", self.team.id)])
        self.assertEqual(review.state, "done")
        lines = {line.lead_id: line for line in review.line_ids}
        self.assertEqual((lines[mill].verdict, lines[mill].score), ("push", 75))
        self.assertEqual(lines[racks].verdict, "hold")
        self.assertEqual(mill.activity_ids.user_id, zhang)
        self.assertIn("Meet the CFO", str(mill.activity_ids.note))
        self.assertIn("Cut the downtime", mill.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestAccountPlanTour(TourMixin, KamAccountCase, HttpCase):
    def test_an_account_manager_fills_a_plan(self):
        plan = self.plan
        plan.write({"revenue_target": 0})
        self.start_tour(
            f"/odoo/action-kam_sales_process.kam_account_plan_action/{plan.id}",
            "kam_account_plan_tour",
            login=self.user_salesman.login,
        )
        self.assertEqual(plan.revenue_target, 1000000)
        self.assertEqual(plan.objective_ids.mapped("name"), ["Win the rolling mill"])
        self.assertEqual(plan.objective_ids.kind, "revenue")
        self.assertEqual(plan.action_ids.objective_id, plan.objective_ids)
        self.assertEqual(plan.action_ids.user_id, self.user_salesman)
        self.assertEqual(plan.revenue_progress, 30.0)
