"""Account plans, competitors, relationship coverage, lifetime value and account health."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger
from psycopg2 import IntegrityError

from .common import KamAccountCase


@tagged("post_install", "-at_install")
class TestAccountPlan(KamAccountCase):
    def test_progress_on_a_hand_computed_fixture(self):
        plan = self.plan
        # won in the period: 300,000 (the 100,000 of 200 days ago is before it)
        self.assertEqual(plan.won_revenue, 300000)
        self.assertAlmostEqual(plan.revenue_progress, 30.0)
        # pipeline closing by the period's end: 500,000 (the 200,000 closes after it)
        self.assertEqual(plan.pipeline_revenue, 500000)
        # 700,000 still to win, 500,000 in play: 0.71x
        self.assertEqual(plan.pipeline_coverage, 0.7, "shown to one decimal")
        # share of wallet: 300,000 / 2,000,000
        self.assertAlmostEqual(plan.share_actual, 15.0)
        self.assertFalse(plan.phase_reached)
        self.account.phase = "interdependent"
        self.account.company_relationship = "value"
        self.assertTrue(plan.phase_reached, "interdependent is beyond cooperative")
        self.assertTrue(plan.depth_reached, "value is deeper than solution")
        self.account.phase = "disintegrating"
        self.assertFalse(plan.phase_reached, "a disintegrating relationship reaches no phase")

    def test_actions_done_due_and_overdue(self):
        objective = self.env["kam.account.plan.objective"].create(
            {"plan_id": self.plan.id, "name": "Win the rolling mill", "kind": "revenue"}
        )
        Action = self.env["kam.account.plan.action"]
        base = {"plan_id": self.plan.id, "objective_id": objective.id, "user_id": self.user_salesman.id}
        done = Action.create({**base, "name": "Site visit", "date_deadline": self.today - timedelta(days=5)})
        done.done = True
        Action.create({**base, "name": "Workshop", "date_deadline": self.today - timedelta(days=1)})
        Action.create({**base, "name": "Proposal", "date_deadline": self.today + timedelta(days=10)})
        self.assertEqual(done.date_done, self.today)
        self.plan.invalidate_recordset()
        self.assertEqual((self.plan.actions_done, self.plan.actions_due, self.plan.actions_overdue), (1, 2, 1))
        self.assertEqual(self.account.plan_actions_overdue, 1)

    def test_objectives_reached(self):
        Objective = self.env["kam.account.plan.objective"]
        revenue = Objective.create({"plan_id": self.plan.id, "name": "Revenue", "kind": "revenue"})
        person = Objective.create(
            {
                "plan_id": self.plan.id,
                "name": "Know the chief engineer",
                "kind": "person",
                "partner_id": self.engineer.id,
                "target_level": "opinions",
            }
        )
        other = Objective.create({"plan_id": self.plan.id, "name": "Join the supplier day", "kind": "other"})
        self.assertFalse(revenue.achieved)
        self.assertFalse(person.achieved)
        self.assertFalse(person.current_level)
        stakeholder = self.env["kam.stakeholder"].create(
            {"lead_id": self.open_in.id, "partner_id": self.engineer.id, "relationship_level": "facts"}
        )
        person.invalidate_recordset()
        self.assertEqual(person.current_level, "facts")
        self.assertFalse(person.achieved)
        stakeholder.relationship_level = "behaviour"
        person.invalidate_recordset()
        self.assertTrue(person.achieved)
        other.done = True
        self.assertTrue(other.achieved)
        self.plan.revenue_target = 300000
        self.assertTrue(revenue.achieved)
        with self.assertRaises(ValidationError):
            Objective.create({"plan_id": self.plan.id, "name": "Nobody", "kind": "person"})

    def test_one_plan_per_account_and_period_history_kept(self):
        with self.assertRaises(ValidationError):
            self.env["kam.account.plan"].create(
                {"account_id": self.account.id, "date_from": self.today, "date_to": self.today + timedelta(days=300)}
            )
        earlier = self.env["kam.account.plan"].create(
            {
                "account_id": self.account.id,
                "date_from": self.today - timedelta(days=465),
                "date_to": self.today - timedelta(days=101),
                "revenue_target": 50000,
            }
        )
        self.assertEqual(earlier.won_revenue, 100000, "the earlier period holds the older win")
        self.assertEqual(self.account.current_plan_id, self.plan)
        self.assertEqual(self.account.plan_ids, self.plan | earlier)
        current = self.env["kam.account.plan"].search([("account_id", "=", self.account.id), ("is_current", "=", True)])
        self.assertEqual(current, self.plan)
        past = self.env["kam.account.plan"].search([("account_id", "=", self.account.id), ("is_current", "=", False)])
        self.assertEqual(past, earlier)
        with self.assertRaises(ValidationError):
            self.plan.write({"date_to": self.today - timedelta(days=200)})
        with self.assertRaises(ValidationError):
            self.plan.share_target = 140

    def test_review_cadence_reminds_the_account_manager_once(self):
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.kam_plan_review_days, 90)
        self.assertEqual(self.plan.next_review_date, self.today - timedelta(days=10))
        settings.kam_plan_review_days = 30
        settings.execute()
        self.assertEqual(self.plan.next_review_date, self.today - timedelta(days=70))
        Plan = self.env["kam.account.plan"]
        self.assertEqual(Plan._cron_kam_plan_review_reminders(), 1)
        activity = self.plan.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_salesman)
        self.assertEqual(Plan._cron_kam_plan_review_reminders(), 0, "one reminder per due review")
        self.plan.with_user(self.user_salesman).action_mark_reviewed()
        self.assertEqual(self.plan.review_date, self.today)
        self.assertFalse(self.plan.activity_ids, "the review closes the reminder")
        self.assertEqual(self.plan.next_review_date, self.today + timedelta(days=30))

    def test_access_salespeople_read_plans_of_accounts_they_manage_or_work_on(self):
        Plan = self.env["kam.account.plan"]
        other = self.user_sales_all  # all-documents salesperson, no deal on the account
        outsider = self.env["res.users"].create(
            {
                "name": "Olga Outsider",
                "login": "kam_outsider",
                "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        self.assertEqual(Plan.with_user(self.user_salesman).search([("id", "=", self.plan.id)]), self.plan)
        self.assertFalse(Plan.with_user(outsider).search([("id", "=", self.plan.id)]))
        with self.assertRaises(AccessError):
            self.plan.with_user(outsider).read(["revenue_target"])
        # a deal on the account opens the plan to its salesperson (read only)
        self.open_late.user_id = outsider
        self.assertEqual(Plan.with_user(outsider).search([("id", "=", self.plan.id)]), self.plan)
        with self.assertRaises(AccessError):
            self.plan.with_user(outsider).write({"revenue_target": 1})
        with self.assertRaises(AccessError):
            self.env["kam.account.plan.objective"].with_user(outsider).create(
                {"plan_id": self.plan.id, "name": "Forged", "kind": "other"}
            )
        # the plan given as the context's default is checked as one given in the values
        aim = self.env["kam.account.plan.objective"].create({"plan_id": self.plan.id, "name": "Aim", "kind": "other"})
        for model, vals in (
            ("kam.account.plan.objective", {"name": "Forged", "kind": "other"}),
            ("kam.account.plan.action", {"name": "Forged", "date_deadline": self.today, "objective_id": aim.id}),
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(outsider).with_context(default_plan_id=self.plan.id).create(vals)
            with self.subTest(model=model), self.assertRaisesRegex(UserError, "record id"):
                self.env[model].with_user(outsider).create({**vals, "plan_id": [self.plan.id]})
        self.assertFalse(self.plan.objective_ids.filtered(lambda o: o.name == "Forged"))
        self.assertFalse(self.plan.action_ids.filtered(lambda a: a.name == "Forged"))
        # the account manager edits; a manager sees all
        self.plan.with_user(self.user_salesman).write({"strategy": "<p>Land the rolling mill first.</p>"})
        self.assertEqual(Plan.with_user(self.user_sales_manager).search([("id", "=", self.plan.id)]), self.plan)
        self.assertFalse(Plan.with_user(other).search([("id", "=", self.plan.id)]))
        # an action's owner may tick it, not rename it
        objective = self.env["kam.account.plan.objective"].create(
            {"plan_id": self.plan.id, "name": "Know the buyer", "kind": "other"}
        )
        action = self.env["kam.account.plan.action"].create(
            {
                "plan_id": self.plan.id,
                "objective_id": objective.id,
                "name": "Dinner",
                "user_id": outsider.id,
                "date_deadline": self.today,
            }
        )
        action.with_user(outsider).write({"done": True})
        self.assertTrue(action.done)
        with self.assertRaises(AccessError):
            action.with_user(outsider).write({"name": "Renamed"})

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create({"name": "Other Steel Trading"})
        account = self.env["kam.account"].create({"partner_id": self.customer.id, "company_id": other_company.id})
        plan = self.env["kam.account.plan"].create(
            {"account_id": account.id, "date_from": self.today, "date_to": self.today + timedelta(days=10)}
        )
        self.assertEqual(plan.won_revenue, 0, "the deals of our company do not count for the other company")
        manager = self.user_sales_manager
        self.assertFalse(self.env["kam.account.plan"].with_user(manager).search([("id", "=", plan.id)]))


@tagged("post_install", "-at_install")
class TestCompetitors(KamAccountCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Competitor = cls.env["kam.competitor"]
        cls.northern = Competitor.create({"name": "Northern Steel Systems"})
        cls.eastern = Competitor.create({"name": "Eastern Automation"})

    def _lose(self, deal, competitor):
        wizard = self.env["crm.lead.lost"].create({"lead_ids": [(6, 0, deal.ids)], "kam_lost_to_id": competitor.id})
        wizard.action_lost_reason_apply()

    def test_merging_deals_merges_their_competitors(self):
        Line = self.env["kam.lead.competitor"]
        Line.create({"lead_id": self.open_in.id, "competitor_id": self.northern.id, "status": "shortlisted"})
        Line.create({"lead_id": self.open_late.id, "competitor_id": self.northern.id, "status": "incumbent"})
        eastern = Line.create({"lead_id": self.open_late.id, "competitor_id": self.eastern.id, "status": "shortlisted"})
        wizard = (
            self.env["crm.merge.opportunity"]
            .with_user(self.user_salesman)
            .create(
                {"opportunity_ids": [(6, 0, (self.open_in | self.open_late).ids)], "user_id": self.user_salesman.id}
            )
        )
        survivor = self.env["crm.lead"].browse(wizard.action_merge()["res_id"])
        gone = (self.open_in | self.open_late) - survivor
        self.assertFalse(gone.exists())
        self.assertEqual(survivor.kam_competitor_ids.competitor_id, self.northern | self.eastern, "one line each")
        self.assertEqual(eastern.lead_id, survivor)

    def test_statuses_lost_to_and_reports(self):
        Line = self.env["kam.lead.competitor"]
        Line.create({"lead_id": self.won_recent.id, "competitor_id": self.northern.id, "status": "incumbent"})
        Line.create({"lead_id": self.open_late.id, "competitor_id": self.northern.id, "status": "shortlisted"})
        self._lose(self.open_in, self.northern)  # 500,000 lost to Northern (added, preferred)
        self._lose(self.open_late, self.eastern)  # 200,000 lost to Eastern, Northern was in play
        self.assertEqual(self.open_in.kam_lost_to_id, self.northern)
        line = self.open_in.kam_competitor_ids
        self.assertEqual((line.competitor_id, line.status), (self.northern, "preferred"))
        self.assertEqual(self.open_late.kam_competitor_ids.competitor_id, self.northern | self.eastern)
        competitors = self.northern | self.eastern
        competitors.invalidate_recordset()
        # Northern: met on 3 deals, 1 won against it, 3 decided, lost 1 to it (500,000)
        self.assertEqual((self.northern.deal_count, self.northern.won_count, self.northern.lost_count), (3, 1, 1))
        self.assertEqual(self.northern.win_rate, 33.3, "one won of three decided, to one decimal")
        self.assertEqual(self.northern.lost_revenue, 500000)
        self.assertEqual((self.eastern.deal_count, self.eastern.won_count, self.eastern.lost_count), (1, 0, 1))
        self.assertEqual(self.eastern.win_rate, 0.0)
        self.assertEqual(self.eastern.lost_revenue, 200000)
        # head-to-head per stage
        Report = self.env["kam.competitor.report"]
        rows = {
            (competitor.id, stage.id): (won, lost)
            for competitor, stage, won, lost in Report._read_group(
                [], ["competitor_id", "stage_id"], ["won_count:sum", "lost_to_count:sum"]
            )
        }
        self.assertEqual(rows[(self.northern.id, self.stage_won.id)], (1, 0))
        self.assertEqual(rows[(self.northern.id, self.stage_open.id)], (0, 1))
        self.assertEqual(rows[(self.eastern.id, self.stage_open.id)], (0, 1))

    def test_the_7_3_competition_item_reads_the_competitors(self):
        self.assertEqual(self.open_in.kam_competition_known, "None recorded")
        self.env["kam.lead.competitor"].create(
            {"lead_id": self.open_in.id, "competitor_id": self.northern.id, "status": "preferred"}
        )
        self.assertEqual(self.open_in.kam_competition_known, "Northern Steel Systems (Preferred)")
        with self.assertRaises(UserError):
            self.open_in.with_user(self.user_salesman).write({"kam_competition_known": "Nobody"})

    def test_a_lost_to_line_stays_and_lines_follow_their_deal(self):
        self._lose(self.open_in, self.northern)
        with self.assertRaises(UserError):
            self.open_in.kam_competitor_ids.unlink()
        line = self.env["kam.lead.competitor"].create({"lead_id": self.open_late.id, "competitor_id": self.eastern.id})
        with self.assertRaises(UserError):
            line.with_user(self.user_salesman).write({"lead_id": self.won_recent.id})
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["kam.lead.competitor"].create({"lead_id": self.open_late.id, "competitor_id": self.eastern.id})

    def test_salespeople_edit_competitors_of_their_own_deals_only(self):
        someone_elses = self.env["crm.lead"].create(
            {"name": "Other's deal", "type": "opportunity", "user_id": self.user_sales_all.id}
        )
        Line = self.env["kam.lead.competitor"].with_user(self.user_salesman)
        Line.create({"lead_id": self.open_in.id, "competitor_id": self.eastern.id})
        with self.assertRaises(AccessError):
            Line.create({"lead_id": someone_elses.id, "competitor_id": self.eastern.id})
        new = self.env["kam.competitor"].with_user(self.user_salesman).create({"name": "Western Robotics"})
        self.assertTrue(new)
        with self.assertRaises(AccessError):
            new.with_user(self.user_salesman).unlink()

    def test_lost_wizard_form_offers_the_competitor(self):
        form = Form(self.env["crm.lead.lost"].with_context(active_ids=self.open_in.ids))
        form.kam_lost_to_id = self.eastern
        wizard = form.save()
        wizard.lead_ids = self.open_in
        wizard.action_lost_reason_apply()
        self.assertFalse(self.open_in.active)
        self.assertEqual(self.open_in.kam_lost_to_id, self.eastern)


@tagged("post_install", "-at_install")
class TestCoverageValueHealth(KamAccountCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Role = cls.env["kam.buying.role"]
        cls.role = {
            code: Role.search([("code", "=", code)]) for code in ("decision_maker", "technical", "user", "coach")
        }

    def _person(self, deal, partner, roles, level, contact_days=None):
        return self.env["kam.stakeholder"].create(
            {
                "lead_id": deal.id,
                "partner_id": partner.id,
                "role_ids": [(6, 0, [self.role[r].id for r in roles])],
                "relationship_level": level,
                "last_contact_date": self.today - timedelta(days=contact_days) if contact_days is not None else False,
            }
        )

    def test_coverage_score_and_gaps(self):
        account = self.account
        self.assertEqual(account.coverage_score, 0)
        self.assertIn("Single-threaded", account.coverage_gaps)
        user = self.env["res.partner"].create({"name": "Operator Zhao", "parent_id": self.customer.id})
        self._person(self.open_in, self.engineer, ["decision_maker"], "opinions", contact_days=3)
        self._person(self.open_in, self.buyer, ["technical", "coach"], "greeting")
        self._person(self.open_late, user, ["user"], "values", contact_days=20)
        account.invalidate_recordset()
        # core roles known at depth: decision maker and user (technical only at greeting) = 2/3 of 50;
        # a coach = 25; one deal of two single-threaded = 12.5
        self.assertEqual(account.coverage_score, round(50 * 2 / 3 + 25 + 12.5))
        self.assertIn(self.role["technical"].name, account.coverage_gaps)
        self.assertIn("Coke oven sensors", account.coverage_gaps)
        self.assertNotIn("No coach", account.coverage_gaps)
        self.assertEqual(account.last_contact_date, self.today - timedelta(days=3))
        action = account.action_open_coverage()
        people = self.env["kam.stakeholder"].search(action["domain"])
        self.assertEqual(people.partner_id, self.engineer | self.buyer | user, "the buying centres themselves")

    def test_lifetime_value_with_its_method(self):
        account = self.account
        # 400,000 won over the last 3 years, the first 200 days ago (counted as one year): 400,000 x 3 years
        self.assertAlmostEqual(account.ltv_estimate, 1200000)
        self.assertIn("3 years", account.ltv_method)
        self.env["ir.config_parameter"].sudo().set_param("kam_sales_process.ltv_years", "5")
        account.invalidate_recordset()
        self.assertAlmostEqual(account.ltv_estimate, 2000000)
        # no win: the weighted pipeline, said so
        newcomer = self.env["res.partner"].create({"name": "New Mill", "is_company": True})
        fresh = self.env["kam.account"].create({"partner_id": newcomer.id, "company_id": self.env.company.id})
        self.env["crm.lead"].create(
            {"name": "First order", "type": "opportunity", "partner_id": newcomer.id, "expected_revenue": 80000,
             "probability": 25}
        )  # fmt: skip
        self.assertAlmostEqual(fresh.ltv_estimate, 20000)
        self.assertIn("weighted pipeline", fresh.ltv_method)

    def test_health_components_weakest_and_trend(self):
        account = self.account
        params = self.env["ir.config_parameter"].sudo()
        for code, weight in (("profile", 10), ("players", 30), ("plan", 20), ("freshness", 20), ("review", 20)):
            params.set_param(f"kam_sales_process.health_weight_{code}", str(weight))
        account._kam_refresh_health()
        first = account.health_score
        parts = account._kam_health_components()[account.id]
        expected = round(
            (parts["profile"] * 10 + parts["players"] * 30 + parts["plan"] * 20 + parts["freshness"] * 20
             + parts["review"] * 20) / 100
        )  # fmt: skip
        self.assertEqual(first, expected)
        self.assertEqual(parts["plan"], 40.0, "a current plan without actions")
        self.assertEqual(parts["freshness"], 0.0, "nobody contacted")
        self.assertEqual(account.health_trend, "steady", "the first score has no trend")
        self.assertEqual(account.health_weakest, "players", "no one covered costs the most points")
        # contact someone, rate the review: the score rises
        self._person(self.open_in, self.engineer, ["decision_maker", "coach"], "opinions", contact_days=1)
        self._person(self.open_late, self.buyer, ["technical", "user"], "behaviour", contact_days=1)
        self.plan.review_rating = "5"
        account.invalidate_recordset()
        account._kam_refresh_health()
        self.assertGreater(account.health_score, first)
        self.assertEqual(account.health_previous, first)
        self.assertEqual(account.health_trend, "up")
        self.assertEqual(self.env["kam.account"]._cron_kam_refresh_health(), self.env["kam.account"].search_count([]))

    def test_health_is_the_same_whoever_refreshes_it_and_keeps_its_trend(self):
        account = self.account
        self._person(self.open_in, self.engineer, ["decision_maker", "coach"], "opinions", contact_days=1)
        self.plan.review_rating = "4"
        account._kam_refresh_health()
        score, details = account.health_score, account.health_details
        self.assertGreater(account._kam_health_components()[account.id]["plan"], 0)
        # a reader who sees neither the plan nor the deals refreshes: the same figures, not a plan-less account
        self.assertFalse(
            self.env["kam.account.plan"].with_user(self.user_sales_all).search([("id", "=", self.plan.id)])
        )
        account.with_user(self.user_sales_all).action_refresh_health()
        self.assertEqual((account.health_score, account.health_details), (score, details))
        # the trend is against an earlier day: refreshing again today does not wipe it
        yesterday = fields.Datetime.now() - timedelta(days=1)
        account.sudo().write({"health_score": score - 10, "health_date": yesterday})
        account.with_user(self.user_salesman).action_refresh_health()
        self.assertEqual((account.health_previous, account.health_trend), (score - 10, "up"))
        account.with_user(self.user_sales_all).action_refresh_health()
        self.assertEqual((account.health_previous, account.health_trend), (score - 10, "up"))

    def test_key_accounts_list_costs_the_same_queries_for_10_and_80_accounts(self):
        Account = self.env["kam.account"]
        partners = self.env["res.partner"].create([{"name": f"Mill {i}", "is_company": True} for i in range(80)])
        accounts = Account.create([{"partner_id": p.id, "company_id": self.env.company.id} for p in partners])
        self.env["crm.lead"].create(
            [{"name": f"Deal {i}", "type": "opportunity", "partner_id": p.id, "expected_revenue": 1000}
             for i, p in enumerate(partners)]
        )  # fmt: skip
        spec = {
            name: {}
            for name in ("health_score", "plan_revenue_progress", "plan_pipeline_coverage", "coverage_score",
                         "ltv_estimate", "plan_actions_overdue")
        }  # fmt: skip
        Account.browse(accounts[:5].ids).web_read(spec)  # fills the caches of configuration
        counts = []
        for size in (10, 80):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            Account.browse(accounts[:size].ids).web_read(spec)
            counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1], f"queries for 10 and 80 accounts: {counts}")


@tagged("post_install", "-at_install")
class TestAccountPlanReport(KamAccountCase):
    def test_the_plan_prints_with_its_coverage_and_competitors(self):
        northern = self.env["kam.competitor"].create({"name": "Northern Steel Systems"})
        self.env["kam.lead.competitor"].create(
            {"lead_id": self.open_in.id, "competitor_id": northern.id, "status": "incumbent", "strengths": "Cheap"}
        )
        self.env["kam.stakeholder"].create({"lead_id": self.open_in.id, "partner_id": self.engineer.id})
        objective = self.env["kam.account.plan.objective"].create(
            {"plan_id": self.plan.id, "name": "Win the rolling mill", "kind": "revenue"}
        )
        self.env["kam.account.plan.action"].create(
            {"plan_id": self.plan.id, "objective_id": objective.id, "name": "Plant tour", "date_deadline": self.today}
        )
        self.plan.strengths = "Ten years of service"
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "kam_sales_process.report_kam_account_plan", self.plan.ids
        )
        text = html.decode()
        for expected in ("Baotou Steel Plant", "Win the rolling mill", "Plant tour", "Ten years of service",
                         "Chief Engineer Wang", "Northern Steel Systems", "Relationship Coverage"):  # fmt: skip
            self.assertIn(expected, text)
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("kam_sales_process.report_kam_account_plan", self.plan.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), "wkhtmltopdf printed the plan")

    def test_the_plan_prints_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kam_sales_process"], ["zh_CN"], overwrite=True)
        html, _kind = (
            self.env["ir.actions.report"]
            .with_context(lang="zh_CN")
            ._render_qweb_html("kam_sales_process.report_kam_account_plan", self.plan.ids)
        )
        self.assertIn("客户计划", html.decode())


@tagged("post_install", "-at_install")
class TestWhitespace(KamAccountCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tag = cls.env["crm.tag"]
        cls.tag_drives, cls.tag_sensors, cls.tag_service = (
            Tag.create({"name": name}) for name in ("Drives", "Sensors", "Service")
        )
        Line = cls.env["kam.offer.line"]
        cls.env["kam.offer.line"].search([]).active = False
        cls.line_drives = Line.create({"name": "Drives", "tag_ids": [(6, 0, cls.tag_drives.ids)]})
        cls.line_sensors = Line.create({"name": "Sensors", "tag_ids": [(6, 0, cls.tag_sensors.ids)]})
        cls.line_service = Line.create({"name": "Service", "tag_ids": [(6, 0, cls.tag_service.ids)]})
        Unit = cls.env["kam.account.unit"]
        cls.mill = Unit.create({"account_id": cls.account.id, "name": "Rolling mill"})
        cls.ovens = Unit.create({"account_id": cls.account.id, "name": "Coke ovens"})
        cls.competitor = cls.env["kam.competitor"].create({"name": "Northern Steel Systems"})

    def _cell(self, unit, line):
        return self.account.whitespace_ids.filtered(lambda c: c.unit_id == unit and c.offer_line_id == line)

    def test_cells_filled_from_deals_and_kept_by_hand(self):
        self.won_recent.write({"kam_unit_id": self.mill.id, "tag_ids": [(6, 0, self.tag_drives.ids)]})
        self.open_in.write({"kam_unit_id": self.mill.id, "tag_ids": [(6, 0, self.tag_sensors.ids)]})
        self.open_late.write({"kam_unit_id": self.ovens.id, "tag_ids": [(6, 0, self.tag_sensors.ids)]})
        self.open_late.action_set_lost(kam_lost_to_id=self.competitor.id)
        self.account._kam_fill_whitespace()
        self.assertEqual(len(self.account.whitespace_ids), 6, "2 units x 3 offer lines")
        self.assertEqual(self._cell(self.mill, self.line_drives).status, "won")
        self.assertEqual(self._cell(self.mill, self.line_drives).estimated_value, 300000)
        self.assertEqual(self._cell(self.mill, self.line_sensors).status, "pipeline")
        held = self._cell(self.ovens, self.line_sensors)
        self.assertEqual((held.status, held.competitor_id), ("competitor", self.competitor))
        service = self._cell(self.mill, self.line_service)
        self.assertEqual(service.status, "open")
        service.write({"status": "na", "note": "They service in-house"})
        ovens_service = self._cell(self.ovens, self.line_service)
        ovens_service.estimated_value = 90000
        self.account._kam_fill_whitespace()
        self.assertEqual(service.status, "na", "what the deals do not decide stays as set by hand")
        self.assertEqual(ovens_service.estimated_value, 90000)
        # the biggest open cell becomes a suggested deal
        action = self.account.action_open_suggested_deals()
        self.assertEqual(self.env["kam.whitespace.cell"].search(action["domain"]), ovens_service)
        result = ovens_service.action_create_deal()
        deal = self.env["crm.lead"].browse(result["res_id"])
        self.assertEqual((deal.kam_unit_id, deal.tag_ids, deal.expected_revenue), (self.ovens, self.tag_service, 90000))
        self.assertEqual(ovens_service.status, "pipeline", "the new deal fills its cell")
        # a deal that is gone frees its cell
        self.open_in.unlink()
        self.account._kam_fill_whitespace()
        self.assertEqual(self._cell(self.mill, self.line_sensors).status, "open")

    def test_a_deal_of_another_customer_naming_a_unit_decides_nothing(self):
        rival_customer = self.env["res.partner"].create({"name": "Other Works", "is_company": True})
        self.won_recent.write(
            {"partner_id": rival_customer.id, "kam_unit_id": self.mill.id, "tag_ids": [(6, 0, self.tag_drives.ids)]}
        )
        self.account._kam_fill_whitespace()
        drives = self._cell(self.mill, self.line_drives)
        self.assertEqual((drives.status, drives.lead_id), ("open", self.env["crm.lead"]))

    def test_offer_lines_from_deal_tags_by_default(self):
        self.env["kam.offer.line"].search([]).unlink()
        self.env["kam.offer.line"].action_create_from_tags()
        lines = self.env["kam.offer.line"].search([])
        self.assertEqual(set(lines.mapped("name")) & {"Drives", "Sensors", "Service"}, {"Drives", "Sensors", "Service"})
        self.assertTrue(all(len(line.tag_ids) == 1 for line in lines))

    def test_without_the_sales_app_nothing_of_it_shows(self):
        """The main test database has no Sales app: the category, the address, the order and the button are not
        shown, nothing can name a product category, filling reads deals only (tests/test_whitespace_sales.py runs
        the other side on a database with the Sales app)."""
        self.assertNotIn("sale.order.line", self.env, "this suite's database has no Sales app")
        OfferLine = self.env["kam.offer.line"]
        self.assertEqual(OfferLine._fields["product_category_ref"].get_values(self.env), [])
        arch = OfferLine.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn("action_create_from_tags", arch)
        for name in ("product_category_ref", "product_category_model_id", "action_create_from_categories"):
            self.assertNotIn(name, arch)
        cell_arch = self.env["kam.whitespace.cell"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="lead_id"', cell_arch)
        self.assertNotIn("order_ref", cell_arch)
        form = self.env["kam.account"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="unit_ids"', form)
        self.assertNotIn("commercial_partner_id', '=', parent.partner_id", form, "no address column on units")
        with self.assertRaises(UserError):
            OfferLine.action_create_from_categories()
        with self.assertRaises(ValueError):
            OfferLine.create({"name": "Motors", "product_category_ref": f"res.partner,{self.customer.id}"})
        self.mill.partner_id = self.customer
        self.line_drives.invalidate_recordset()
        self.assertEqual(self.account._kam_whitespace_from_orders(self.line_drives | self.line_sensors), {})

    def test_only_the_account_manager_edits_units_and_cells(self):
        self.account._kam_fill_whitespace()
        cell = self._cell(self.mill, self.line_service)
        cell.with_user(self.user_salesman).write({"estimated_value": 1000})
        with self.assertRaises(AccessError):
            cell.with_user(self.user_sales_all).write({"estimated_value": 2})
        self.assertEqual(cell.with_user(self.user_sales_all).estimated_value, 1000, "others read it")
        other = self.env["kam.account"].create(
            {"partner_id": self.env["res.partner"].create({"name": "Other", "is_company": True}).id,
             "company_id": self.env.company.id, "user_id": self.user_sales_all.id}
        )  # fmt: skip
        with self.assertRaises(UserError):
            self.mill.with_user(self.user_salesman).write({"account_id": other.id})
        with self.assertRaises(AccessError):
            self.env["kam.account.unit"].with_user(self.user_salesman).create({"account_id": other.id, "name": "X"})

    def test_cells_by_hand_say_only_what_a_hand_knows(self):
        Cell = self.env["kam.whitespace.cell"].with_user(self.user_salesman)
        other = self.env["kam.account"].create(
            {"partner_id": self.env["res.partner"].create({"name": "Other Works", "is_company": True}).id,
             "company_id": self.env.company.id, "user_id": self.user_salesman.id}
        )  # fmt: skip
        theirs = self.env["kam.account.unit"].create({"account_id": other.id, "name": "Their plant"})
        base = {"account_id": self.account.id, "offer_line_id": self.line_drives.id}
        # a unit of another customer's account: the cell would say something of the wrong customer
        with self.assertRaises(ValidationError):
            Cell.create({**base, "unit_id": theirs.id})
        # won and in pipeline are the deals' to say; a negative worth is no worth
        for vals in ({"status": "won"}, {"status": "pipeline"}, {"estimated_value": -100}):
            with self.subTest(vals=vals), self.assertRaises(UserError):  # a ValidationError is one
                Cell.create({**base, "unit_id": self.mill.id, **vals})
        with self.assertRaises(UserError):  # nor through the context's default
            Cell.with_context(default_status="won").create({**base, "unit_id": self.mill.id})
        for value in ("x", [self.mill.id], {"id": 1}):
            with self.subTest(unit_id=value), self.assertRaises(UserError):
                Cell.create({**base, "unit_id": value})
            with self.subTest(account_id=value), self.assertRaises(UserError):
                self.env["kam.account.unit"].with_user(self.user_salesman).create({"account_id": value, "name": "X"})
        cell = Cell.create(
            {**base, "unit_id": self.mill.id, "status": "competitor", "competitor_id": self.competitor.id,
             "estimated_value": 50000}
        )  # fmt: skip
        with self.assertRaises(UserError):
            cell.write({"status": "won"})
        cell.write({"status": "na"})
        self.assertEqual(cell.status, "na")

    def test_the_account_manager_fills_the_whitespace(self):
        action = self.account.with_user(self.user_salesman).action_fill_whitespace()
        self.assertEqual(action["res_model"], "kam.whitespace.cell")
        self.assertEqual(len(self.account.whitespace_ids), 6)
        with self.assertRaises(AccessError):
            self.account.with_user(self.user_sales_all).action_fill_whitespace()
        self.account.with_user(self.user_sales_manager).action_fill_whitespace()


@tagged("post_install", "-at_install")
class TestAccountPlanAttacks(KamAccountCase):
    """What a salesperson could try over JSON-RPC: every write below is refused."""

    def test_a_plan_keeps_its_account_and_its_filled_in_fields(self):
        plan = self.plan.with_user(self.user_salesman)
        other = self.env["kam.account"].create(
            {"partner_id": self.env["res.partner"].create({"name": "Elsewhere", "is_company": True}).id,
             "company_id": self.env.company.id, "user_id": self.user_salesman.id}
        )  # fmt: skip
        other_company = self.env["res.company"].create({"name": "Hidden Co"})
        for vals in (
            {"account_id": other.id},
            {"user_id": self.user_sales_all.id},
            {"company_id": other_company.id},
            {"partner_id": other.partner_id.id},
            {"name": "Forged"},
            {"next_review_date": "2099-01-01"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                plan.write(vals)
        self.assertEqual(self.plan.account_id, self.account)
        self.assertEqual(self.account.user_id, self.user_salesman, "the account manager is untouched")

    def test_objectives_and_actions_keep_their_company_and_done_date(self):
        objective = self.env["kam.account.plan.objective"].create(
            {"plan_id": self.plan.id, "name": "Grow", "kind": "other"}
        )
        action = self.env["kam.account.plan.action"].create(
            {"plan_id": self.plan.id, "objective_id": objective.id, "name": "Call", "date_deadline": self.today}
        )
        other_company = self.env["res.company"].create({"name": "Hidden Co"})
        with self.assertRaises(UserError):
            objective.with_user(self.user_salesman).write({"company_id": other_company.id})
        with self.assertRaises(UserError):
            action.with_user(self.user_salesman).write({"company_id": other_company.id})
        action.with_user(self.user_salesman).write({"date_done": "2020-01-01", "name": "Call the buyer"})
        self.assertFalse(action.date_done, "the done date is the addon's")
        with self.assertRaises(UserError):
            self.env["kam.account.plan.objective"].with_user(self.user_salesman).create(
                {"plan_id": self.plan.id, "name": "Win the engineer", "kind": "person", "partner_id": "x"}
            )

    def test_objectives_and_actions_are_read_as_their_plan(self):
        Objective, Action = self.env["kam.account.plan.objective"], self.env["kam.account.plan.action"]
        objective = Objective.create({"plan_id": self.plan.id, "name": "Grow", "kind": "other"})
        action = Action.create({"plan_id": self.plan.id, "objective_id": objective.id, "name": "Call"})
        assigned = Action.create(
            {"plan_id": self.plan.id, "objective_id": objective.id, "name": "Visit", "user_id": self.user_sales_all.id}
        )
        # the account manager and a manager see the plan and all of it
        for user in (self.user_salesman, self.user_sales_manager):
            self.assertEqual(Objective.with_user(user).search([("plan_id", "=", self.plan.id)]), objective)
            self.assertEqual(Action.with_user(user).search([("plan_id", "=", self.plan.id)]), action | assigned)
        # a salesperson who neither manages the account nor works a deal of it: the plan is hidden, so is its
        # content, but for an action given to them
        stranger = self.user_sales_all
        self.assertFalse(self.plan.with_user(stranger).search([("id", "=", self.plan.id)]))
        self.assertFalse(Objective.with_user(stranger).search([]))
        self.assertEqual(Action.with_user(stranger).search([]), assigned)
        self.assertFalse(Objective.with_user(stranger).read_group([], ["plan_id"], ["plan_id"]))
        with self.assertRaises(AccessError):
            Action.with_user(stranger).browse(action.id).read(["name"])
        with self.assertRaises(AccessError):
            Objective.with_user(stranger).browse(objective.id).read(["name"])
        # working a deal of the account opens the plan, and its content, for reading
        self.open_late.user_id = stranger
        self.assertEqual(Objective.with_user(stranger).search([]), objective)

    def test_our_own_company_has_no_key_account(self):
        Account = self.env["kam.account"]
        ours = self.env.company.partner_id
        with self.assertRaises(UserError):
            ours.with_user(self.user_salesman).action_kam_open_account()
        self.assertFalse(Account.search([("partner_id", "=", ours.id)]))
        with self.assertRaises(ValidationError):
            Account.with_user(self.user_sales_manager).create({"partner_id": ours.id})
        # a customer's account opens as before (made on demand)
        action = self.customer.with_user(self.user_salesman).action_kam_open_account()
        self.assertEqual(action["res_id"], self.account.id)

    def test_cells_the_deals_decide_stay_theirs(self):
        tag = self.env["crm.tag"].create({"name": "Drives"})
        self.env["kam.offer.line"].search([]).active = False
        self.env["kam.offer.line"].create({"name": "Drives", "tag_ids": [(6, 0, tag.ids)]})
        unit = self.env["kam.account.unit"].create({"account_id": self.account.id, "name": "Mill"})
        self.won_recent.write({"kam_unit_id": unit.id, "tag_ids": [(6, 0, tag.ids)]})
        self.account._kam_fill_whitespace()
        cell = self.account.whitespace_ids.with_user(self.user_salesman)
        self.assertEqual(cell.status, "won")
        for vals in ({"status": "open"}, {"from_deals": False}, {"lead_id": self.open_in.id}):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                cell.write(vals)
        with self.assertRaises(UserError):
            self.env["kam.whitespace.cell"].with_user(self.user_salesman).create(
                {"account_id": self.account.id, "unit_id": unit.id, "offer_line_id": cell.offer_line_id.id,
                 "from_deals": True}
            )  # fmt: skip

    def test_competitor_lines_keep_their_company_and_health_is_the_jobs(self):
        competitor = self.env["kam.competitor"].create({"name": "Rival"})
        line = self.env["kam.lead.competitor"].create({"lead_id": self.open_in.id, "competitor_id": competitor.id})
        other_company = self.env["res.company"].create({"name": "Hidden Co"})
        with self.assertRaises(UserError):
            line.with_user(self.user_salesman).write({"company_id": other_company.id})
        with self.assertRaises(UserError):
            self.account.with_user(self.user_sales_manager).write({"health_score": 100})
        self.account.with_user(self.user_sales_manager).action_refresh_health()
        self.assertTrue(self.account.health_date)

    def test_coverage_names_only_the_deals_the_reader_may_see(self):
        self.open_late.user_id = self.user_sales_all  # not the salesperson's deal
        gaps = self.account.with_user(self.user_salesman).coverage_gaps
        self.assertIn("Rolling mill drives", gaps)
        self.assertNotIn("Coke oven sensors", gaps)
        self.assertIn("Coke oven sensors", self.account.coverage_gaps, "the administrator sees both")
