"""Opportunity grades A-D and the 7+3 qualification scorecard."""

from datetime import timedelta

from freezegun import freeze_time
from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import KamGateCase


@tagged("post_install", "-at_install")
class TestOpportunityGrade(KamGateCase):
    def test_grade_from_probability_and_closing_date(self):
        today = fields.Date.today()
        deal = self._new_deal(stage=self.s1, probability=80, date_deadline=today + timedelta(days=20))
        self.assertEqual(deal.kam_grade, "A")
        deal.date_deadline = today + timedelta(days=60)
        self.assertEqual(deal.kam_grade, "B")
        deal.probability = 30
        self.assertEqual(deal.kam_grade, "C")
        deal.date_deadline = False
        self.assertEqual(deal.kam_grade, "C", "without a closing date a deal is judged on probability, C at best")
        deal.probability = 10
        self.assertEqual(deal.kam_grade, "D")

    def test_won_is_a_lost_is_d(self):
        self.env.ref("kam_sales_process.automation_stage_gate").active = False
        deal = self._new_deal(stage=self.s1, probability=10)
        deal.action_set_won()
        self.assertEqual(deal.kam_grade, "A")
        lost = self._new_deal(stage=self.s1, probability=90, date_deadline=fields.Date.today())
        lost.action_set_lost()
        self.assertEqual(lost.kam_grade, "D")

    def test_daily_cron_regrades_as_the_closing_date_comes_nearer(self):
        today = fields.Date.today()
        deal = self._new_deal(stage=self.s1, probability=80, date_deadline=today + timedelta(days=45))
        self.assertEqual(deal.kam_grade, "B")
        with freeze_time(today + timedelta(days=20)):
            self.env["crm.lead"]._cron_kam_refresh_grades()
            self.assertEqual(deal.kam_grade, "A")

    def test_settings_matrix_regrades_open_deals(self):
        today = fields.Date.today()
        deal = self._new_deal(stage=self.s1, probability=60, date_deadline=today + timedelta(days=10))
        self.assertEqual(deal.kam_grade, "B")
        settings = self.env["res.config.settings"].create({"kam_grade_a_probability": 60})
        settings.execute()
        self.assertEqual(deal.kam_grade, "A")
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"kam_grade_a_probability": 40})  # below B's 50

    def test_grade_group_and_filter(self):
        self._new_deal(stage=self.s1, probability=90, date_deadline=fields.Date.today())
        groups = self.env["crm.lead"].read_group([("team_id", "=", self.team.id)], ["kam_grade"], ["kam_grade"])
        self.assertEqual([g["kam_grade"] for g in groups], ["A"])


@tagged("post_install", "-at_install")
class TestQualificationScore(KamGateCase):
    ITEMS = (
        "kam_q_basic_facts",
        "kam_q_timeline",
        "kam_q_budget",
        "kam_q_need",
        "kam_q_key_person",
        "kam_q_decision_process",
        "kam_q_competition",
        "kam_q_strength",
        "kam_q_product_fit",
        "kam_q_service",
    )

    def test_score_is_the_sum_of_ten_items(self):
        deal = self._new_deal(stage=self.s1)
        with Form(deal) as form:
            for name in self.ITEMS[:6]:
                form[name] = 10
            self.assertEqual(form.kam_qualification_score, 60)
        self.assertEqual(deal.kam_qualification_score, 60)
        deal.write(dict.fromkeys(self.ITEMS, 10))
        self.assertEqual(deal.kam_qualification_score, 100)

    def test_items_are_scored_0_to_10(self):
        deal = self._new_deal(stage=self.s1)
        with self.assertRaises(ValidationError):
            deal.kam_q_budget = 11
        with self.assertRaises(ValidationError):
            deal.kam_q_budget = -1

    def test_condition_milestone_on_the_score_gates_the_first_stage(self):
        self.ms_budget.active = False
        self.env["kam.milestone"].create(
            {
                "name": "Qualified (7+3 at least 60)",
                "stage_id": self.s1.id,
                "kind": "condition",
                "condition_domain": "[('kam_qualification_score', '>=', 60)]",
            }
        )
        deal = self._new_deal(stage=self.s1)
        deal.write(dict.fromkeys(self.ITEMS[:5], 10))
        with self.assertRaises(UserError):
            deal.stage_id = self.s2
        deal.kam_q_competition = 10
        deal.stage_id = self.s2
        self.assertEqual(deal.stage_id, self.s2)
