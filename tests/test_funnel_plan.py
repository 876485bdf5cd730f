"""Funnel plans: the worked example, actuals, history defaults, team split, access."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import KamCase

#: The source method's worked example (300,000 a year): name, target, size, win rate, visits, opportunities.
SEED_LINES = [
    ("Small projects", 120_000, 40_000, 100 / 3, 8, 10),
    ("Large finance", 96_000, 8_000, 100 / 3, 3, 6),
    ("Small finance", 48_000, 2_000, 50, 1.5, 5),
    ("Consumables (boxes)", 20_000, 200, 0, 0, 0),
    ("Services", 10_000, 1_000, 0, 0, 0),
]


@tagged("post_install", "-at_install")
class TestFunnelPlan(KamCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env["crm.team"].create(
            {"name": "Plan Team", "member_ids": [(4, cls.user_salesman.id), (4, cls.user_sales_all.id)]}
        )
        cls.won_stage = cls.env["crm.stage"].create({"name": "Plan Won", "is_won": True, "sequence": 99})

    def _plan(self, **vals):
        return self.env["kam.funnel.plan"].create(
            {
                "name": "2026",
                "user_id": self.user_salesman.id,
                "date_from": "2026-01-01",
                "date_to": "2026-12-31",
                "target_amount": 300_000,
                "line_ids": [
                    (0, 0, {"name": name, "target_amount": target, "average_amount": size, "win_rate": rate,
                            "visits_per_attempt": visits, "opportunities_per_deal": opportunities})
                    for name, target, size, rate, visits, opportunities in SEED_LINES
                ],
                **vals,
            }
        )  # fmt: skip

    def test_the_worked_example_as_the_user_sees_it(self):
        plan = self._plan()
        form = Form(plan.with_user(self.user_sales_manager))
        self.assertEqual(form.deals_needed, 149)  # 3 + 12 + 24 + 100 + 10
        self.assertEqual(form.visits_needed, 252)
        self.assertEqual(form.opportunities_needed, 222)
        self.assertEqual(form.weeks, 48)
        self.assertEqual(round(form.visits_per_week), 5)
        self.assertEqual(round(form.opportunities_per_week), 5)
        small = plan.line_ids.filtered(lambda line: line.name == "Small projects")
        self.assertEqual((small.deals_needed, small.attempts_needed, small.visits_needed), (3, 9, 72))
        # a line edited in the form updates the totals at once
        with form.line_ids.edit(0) as line:
            line.visits_per_attempt = 9
        self.assertEqual(form.visits_needed, 261)

    def test_actuals_count_opportunities_wins_and_visits(self):
        plan = self._plan(
            date_from=fields.Date.today() - timedelta(days=30), date_to=fields.Date.today() + timedelta(days=335)
        )
        Lead = self.env["crm.lead"]
        mine = {"type": "opportunity", "user_id": self.user_salesman.id}
        deals = Lead.create([{**mine, "name": f"New {i}"} for i in range(3)])
        won = Lead.create({**mine, "name": "Won", "expected_revenue": 40_000})
        won.stage_id = self.won_stage
        Lead.create({"type": "opportunity", "name": "A colleague's", "user_id": self.user_sales_all.id})
        self.env["calendar.event"].create(
            {"name": "Plant visit", "start": fields.Datetime.now(), "stop": fields.Datetime.now() + timedelta(hours=1),
             "user_id": self.user_salesman.id, "opportunity_id": deals[0].id}
        )  # fmt: skip
        # a meeting with the people of a key account counts without a deal; one with anybody else does not
        account = self.env["res.partner"].create({"name": "Baosteel", "is_company": True})
        self.env["kam.account"].create({"partner_id": account.id})
        buyer = self.env["res.partner"].create({"name": "Buyer", "parent_id": account.id})
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        self.env["calendar.event"].create(
            [{"name": name, "start": fields.Datetime.now(), "stop": fields.Datetime.now() + timedelta(hours=1),
              "user_id": self.user_salesman.id, "partner_ids": [(6, 0, partner.ids)]}
             for name, partner in (("Lunch with the buyer", buyer), ("Coffee", stranger))]
        )  # fmt: skip
        meeting_type = self.env.ref("mail.mail_activity_data_meeting")
        self.assertTrue(meeting_type.kam_is_visit)
        activity = (
            deals[1]
            .with_user(self.user_salesman)
            .activity_schedule(activity_type_id=meeting_type.id, user_id=self.user_salesman.id)
        )
        activity.with_user(self.user_salesman).action_feedback(feedback="Met the plant manager")
        call = (
            deals[2]
            .with_user(self.user_salesman)
            .activity_schedule("mail.mail_activity_data_call", user_id=self.user_salesman.id)
        )
        call.with_user(self.user_salesman).action_feedback(feedback="Phoned")  # a call is not a visit
        self.env.flush_all()
        plan.invalidate_recordset()
        self.assertEqual(plan.actual_opportunities, 4)
        self.assertEqual(plan.actual_won, 1)
        self.assertEqual(plan.actual_revenue, 40_000)
        self.assertEqual(plan.actual_visits, 3)
        self.assertEqual(plan.revenue_gap, 260_000)
        self.assertGreater(plan.visits_per_week_to_go, 0)

    def test_defaults_from_the_last_twelve_months(self):
        Lead = self.env["crm.lead"]
        mine = {"type": "opportunity", "user_id": self.user_salesman.id}
        for amount in (10_000, 30_000):
            deal = Lead.create({**mine, "name": "Won", "expected_revenue": amount})
            deal.stage_id = self.won_stage
            self.env["calendar.event"].create(
                [{"name": "Visit", "start": fields.Datetime.now(), "stop": fields.Datetime.now() + timedelta(hours=1),
                  "user_id": self.user_salesman.id, "opportunity_id": deal.id} for _visit in range(3)]
            )  # fmt: skip
        for _lost in range(2):
            Lead.create({**mine, "name": "Lost"}).action_set_lost()
        plan = self.env["kam.funnel.plan"].create(
            {"name": "Next", "user_id": self.user_salesman.id, "line_ids": [(0, 0, {"name": "Projects"})]}
        )
        self.assertEqual(plan._kam_history(), (20_000, 50.0, 3.0))
        plan.action_kam_fill_from_history()
        line = plan.line_ids
        self.assertEqual((line.average_amount, line.win_rate, line.visits_per_attempt), (20_000, 50.0, 1.5))

    def test_a_team_plan_split_among_members_by_weights(self):
        plan = self._plan(user_id=False, team_id=self.team.id)
        action = plan.action_kam_split_team({self.user_salesman.id: 1, self.user_sales_all.id: 2})
        parts = self.env["kam.funnel.plan"].search(action["domain"], order="id")
        self.assertEqual(parts.mapped("target_amount"), [100_000, 200_000])
        self.assertEqual(sum(parts.line_ids.mapped("target_amount")), 294_000)
        self.assertEqual(parts.parent_id, plan)
        even = self._plan(user_id=False, team_id=self.team.id).action_kam_split_team()
        self.assertEqual(self.env["kam.funnel.plan"].search(even["domain"]).mapped("target_amount"), [150_000] * 2)

    def test_a_split_with_weights_that_are_no_numbers_is_refused_in_words(self):
        plan = self._plan(user_id=False, team_id=self.team.id)
        for weights in ([1], "abc", {self.user_salesman.id: "abc"}, {self.user_salesman.id: float("nan")},
                        {self.user_salesman.id: 1e308}, {self.user_salesman.id: -1}):  # fmt: skip
            with self.subTest(weights=weights), self.assertRaises(UserError):
                plan.action_kam_split_team(weights)
        self.assertFalse(self.env["kam.funnel.plan"].search([("parent_id", "=", plan.id)]))

    def test_a_plan_belongs_to_someone(self):
        with self.assertRaises(ValidationError):
            self.env["kam.funnel.plan"].create({"name": "Nobody's"})

    def test_a_salesperson_reads_their_own_plan_and_edits_it_only_when_allowed(self):
        mine = self._plan()
        theirs = self._plan(user_id=self.user_sales_all.id)
        team_plan = self._plan(user_id=False, team_id=self.team.id)
        Plan = self.env["kam.funnel.plan"].with_user(self.user_salesman)
        self.assertEqual(Plan.search([("id", "in", (mine | theirs | team_plan).ids)]), mine | team_plan)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_salesman).read(["name"])
        with self.assertRaises(AccessError):
            mine.with_user(self.user_salesman).write({"target_amount": 1})
        with self.assertRaises(AccessError):
            Plan.create({"name": "Self-made", "user_id": self.user_salesman.id})
        mine.owner_can_edit = True
        mine.with_user(self.user_salesman).write({"target_amount": 310_000})
        mine.line_ids[:1].with_user(self.user_salesman).write({"win_rate": 40})
        with self.assertRaises(AccessError):
            theirs.line_ids[:1].with_user(self.user_salesman).write({"win_rate": 40})

    def test_an_owner_edits_the_figures_not_whose_plan_it_is(self):
        mine = self._plan(owner_can_edit=True)
        team_plan = self._plan(user_id=False, team_id=self.team.id)
        mine_as_owner = mine.with_user(self.user_salesman)
        for vals in (
            {"user_id": self.user_sales_all.id},
            {"user_id": False, "team_id": self.team.id},
            {"parent_id": team_plan.id},
            {"owner_can_edit": False},
            {"company_id": self.env["res.company"].create({"name": "Elsewhere"}).id},
            {"team_id": "zz"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                mine_as_owner.write(vals)
        self.assertEqual(
            (mine.user_id, mine.team_id, mine.parent_id), (self.user_salesman, self.team.browse(), mine.browse())
        )
        mine_as_owner.write({"target_amount": 320_000, "name": "2026 (revised)"})
        # a line of their plan stays in it: not moved into the team plan they may only read
        Line = self.env["kam.funnel.plan.line"].with_user(self.user_salesman)
        line = Line.create({"plan_id": mine.id, "name": "Injected", "target_amount": 9e9})
        with self.assertRaises(AccessError):
            line.write({"plan_id": team_plan.id})
        self.assertEqual(line.plan_id, mine)
        self.assertNotIn("Injected", team_plan.line_ids.mapped("name"))
        for value in ("x", [team_plan.id], {"id": 1}):
            with self.subTest(plan_id=value), self.assertRaises(UserError):
                Line.create({"plan_id": value, "name": "Odd"})
        with self.assertRaises(UserError):
            line.write({"plan_id": "x"})
        # a manager still reorganises plans
        mine.with_user(self.user_sales_manager).write({"parent_id": team_plan.id, "owner_can_edit": False})
        self.assertEqual(mine.parent_id, team_plan)

    def test_a_team_plan_shows_the_same_figures_to_every_reader(self):
        team_plan = self._plan(user_id=False, team_id=self.team.id, date_from=fields.Date.today() - timedelta(days=30),
                               date_to=fields.Date.today() + timedelta(days=30))  # fmt: skip
        Lead = self.env["crm.lead"]
        for user, revenue in ((self.user_salesman, 10_000), (self.user_sales_all, 25_000)):
            deal = Lead.create({"name": f"Won by {user.name}", "type": "opportunity", "user_id": user.id,
                                "expected_revenue": revenue})  # fmt: skip
            deal.stage_id = self.won_stage
        for user in (self.user_sales_manager, self.user_salesman):
            plan = team_plan.with_user(user)
            plan.invalidate_recordset()
            self.assertEqual((plan.actual_won, plan.actual_revenue), (2, 35_000), user.name)
            action = plan.action_kam_open_progress()
            actual = self.env["kam.funnel.plan.week"].search(action["domain"]).filtered(lambda w: w.series == "actual")
            self.assertEqual(actual.sorted("week")[-1].revenue, 35_000, user.name)

    def test_progress_week_by_week_beside_the_cumulative_target(self):
        today = fields.Date.today()
        sunday = today - timedelta(days=today.isoweekday() % 7)  # en_US weeks start on Sunday, as read_group's
        plan = self._plan(date_from=sunday - timedelta(weeks=3), date_to=sunday + timedelta(weeks=4, days=6))
        Lead = self.env["crm.lead"]
        mine = {"type": "opportunity", "user_id": self.user_salesman.id}
        won = Lead.create({**mine, "name": "Won two weeks ago", "expected_revenue": 40_000})
        won.stage_id = self.won_stage
        won.date_closed = fields.Datetime.to_datetime(sunday - timedelta(weeks=2)) + timedelta(hours=10)
        Lead.create({**mine, "name": "New this week"})
        start = fields.Datetime.to_datetime(sunday - timedelta(weeks=3)) + timedelta(hours=9)
        self.env["calendar.event"].create(
            {"name": "Plant visit", "start": start, "stop": start + timedelta(hours=1),
             "user_id": self.user_salesman.id, "opportunity_id": won.id}
        )  # fmt: skip
        action = plan.with_user(self.user_salesman).action_kam_open_progress()
        self.assertEqual(action["res_model"], "kam.funnel.plan.week")
        weeks = self.env["kam.funnel.plan.week"].with_user(self.user_salesman).search(action["domain"])
        target = weeks.filtered(lambda week: week.series == "target")
        actual = weeks.filtered(lambda week: week.series == "actual")
        self.assertEqual(len(target), 8)
        self.assertEqual(target[-1].revenue, 300_000)
        self.assertEqual(target[-1].visits, 252)
        self.assertEqual(target[0].revenue, 37_500)  # one eighth
        self.assertEqual(len(actual), 4, "actuals stop at the current week")
        self.assertEqual(actual.mapped("revenue"), [0, 40_000, 40_000, 40_000])
        self.assertEqual(actual.mapped("visits"), [1, 1, 1, 1])
        self.assertEqual(actual.mapped("opportunities"), [0, 0, 0, 2])
        self.assertEqual(actual[-1].week, sunday)
        # opened again, the rows are rebuilt, not doubled
        plan.action_kam_open_progress()
        self.assertEqual(self.env["kam.funnel.plan.week"].search_count(action["domain"]), 12)
