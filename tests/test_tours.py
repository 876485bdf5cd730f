"""The browser tours themselves: a failure leaves a screenshot where the test output says."""

import pathlib

from odoo.tests import HttpCase, get_db_name, tagged
from odoo.tools import config

from .common import KamGateCase, TourMixin


@tagged("post_install", "-at_install")
class TestTourFailureScreenshot(TourMixin, HttpCase):
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
