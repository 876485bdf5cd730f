"""Account tiers: the value scorecard of key accounts, figures, quadrants, per company."""

from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from odoo import Command, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..models import kam_account_tier
from .common import TierCase


@tagged("post_install", "-at_install")
class TestAccountTier(TierCase):
    def test_scorecard_from_real_deals(self):
        self._won(self.steel_buyer, 400_000, days_ago=30)  # through a contact of the company
        self._won(self.steel, 300_000, days_ago=100)
        self._won(self.steel, 9_000_000, days_ago=500)  # outside the 12-month window
        self._lost(self.steel, 50_000, days_ago=40)
        self._open(self.steel, 1_000_000, 50)
        deal = self._open(self.steel, 100_000, 20)
        deal.kam_stakeholder_ids = [
            (0, 0, {"partner_id": self.steel_buyer.id, "relationship_level": "values"}),
        ]
        self.steel.kam_rating_strategic_fit = "5"  # rescored at once
        steel = self.steel
        self.assertEqual(steel.kam_won_revenue, 700_000)
        self.assertEqual(steel.kam_won_count, 2)
        self.assertEqual(steel.kam_lost_count, 1)
        self.assertEqual(steel.kam_pipeline, 520_000)
        self.assertEqual(steel.kam_last_won_date, (fields.Datetime.now() - timedelta(days=30)).date())
        self.assertEqual(steel.kam_deep_contacts, 1)
        # points: revenue 50 (x3), count 25, average 350k 75, win rate 67% 100, pipeline 75 (x2),
        # 30 days 100, depth 1 -> 25, strategic fit 100, three ratings not set 0 -> / 14
        expected = round((50 * 3 + 25 + 75 + 100 + 75 * 2 + 100 + 25 + 100) / 14, 2)
        self.assertAlmostEqual(steel.kam_tier_score, expected, places=1)
        self.assertEqual(steel.kam_tier_id, self.tier_growth)
        self.assertFalse(steel.kam_is_key_account)
        self.assertEqual(steel.kam_quadrant, "dog", "below 1,000,000 won and margin unknown")
        breakdown = steel.kam_tier_breakdown
        self.assertIn("Won revenue", breakdown)
        self.assertIn("700,000", breakdown)

    def test_ratings_lift_the_tier_and_key_account_follows_settings(self):
        self._won(self.parts, 6_000_000, days_ago=5)
        self._open(self.parts, 2_000_000, 60)
        self.parts.write(
            {
                "kam_rating_strategic_fit": "5",
                "kam_rating_financial_health": "5",
                "kam_rating_chain_transparency": "4",
                "kam_rating_demand_continuity": "5",
                "kam_margin_rate": 30,
            }
        )
        self.assertEqual(self.parts.kam_tier_id, self.tier_strategic)
        self.assertTrue(self.parts.kam_is_key_account)
        self.assertEqual(self.parts.kam_quadrant, "star")
        self.company.kam_key_account_tier_id = False
        self.parts._kam_recompute_tiers()
        self.assertFalse(self.parts.kam_is_key_account)

    def test_tier_change_is_tracked_and_fires_an_automation_rule(self):
        rule = self.env["base.automation"].create(
            {
                "name": "Tier changed: tell the account manager",
                "model_id": self.env.ref("base.model_res_partner").id,
                "trigger": "on_write",
                "trigger_field_ids": [(4, self.env.ref("kam_sales_process.field_res_partner__kam_tier_id").id)],
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Note the new tier",
                "model_id": self.env.ref("base.model_res_partner").id,
                "base_automation_id": rule.id,
                "state": "code",
                "code": "for record in records: record.write({'comment': 'tier: %s' % record.kam_tier_id.name})",
            }
        )
        self.parts._kam_recompute_tiers()
        self.assertEqual(self.parts.kam_tier_id, self.tier_maintain)
        self.assertEqual(str(self.parts.comment), "<p>tier: Maintain</p>")
        self._won(self.parts, 6_000_000, days_ago=5)
        self._open(self.parts, 2_000_000, 60)
        self.parts.with_context(kam_no_rescore=True).write(
            {"kam_rating_strategic_fit": "5", "kam_rating_financial_health": "5", "kam_margin_rate": 30}
        )
        self.parts._kam_recompute_tiers()
        self.assertEqual(self.parts.kam_tier_id, self.tier_key)
        self.assertEqual(str(self.parts.comment), "<p>tier: Key</p>")
        # every change is kept on the account, the first one included
        history = self.parts.kam_account_id.tier_history_ids
        self.assertEqual(history.mapped("tier_id"), self.tier_key | self.tier_maintain)
        self.assertEqual(history[0].previous_tier_id, self.tier_maintain)
        self.assertFalse(history[1].previous_tier_id)
        # an unchanged tier is not written again: the rule does not fire
        self.parts.comment = "untouched"
        self.parts._kam_recompute_tiers()
        self.assertEqual(str(self.parts.comment), "<p>untouched</p>")

    def test_recompute_action_in_an_automation_rule_on_deals(self):
        rule = self.env["base.automation"].create(
            {
                "name": "Won: rescore the account",
                "model_id": self.env.ref("crm.model_crm_lead").id,
                "trigger": "on_stage_set",
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Recompute tiers",
                "model_id": self.env.ref("crm.model_crm_lead").id,
                "base_automation_id": rule.id,
                "state": "kam_recompute_tiers",
            }
        )
        deal = self._open(self.parts, 6_000_000, 80)
        self.assertEqual(self.parts.kam_pipeline, 4_800_000, "created: the account was scored")
        deal.stage_id = self.stage_won
        self.assertEqual(self.parts.kam_won_revenue, 6_000_000)
        self.assertTrue(self.parts.kam_tier_date)

    def test_managers_recompute_salespeople_do_not(self):
        self._won(self.parts, 600_000)
        with self.assertRaises(AccessError):
            self.parts.with_user(self.user_salesman).action_kam_recompute_tiers()
        self.parts.with_user(self.user_sales_manager).action_kam_recompute_tiers()
        self.assertEqual(self.parts.kam_won_revenue, 600_000)
        # a manager's rating is scored at once (the scorecard is written as superuser)...
        self.parts.with_user(self.user_sales_manager).kam_rating_demand_continuity = "3"
        self.assertIn("★★★", self.parts.kam_tier_breakdown)
        # ...a salesperson reads the account's figures but does not set its ratings or tier
        salesman_view = self.parts.with_user(self.user_salesman)
        self.assertEqual(salesman_view.kam_won_revenue, 600_000)
        for field, value in (("kam_rating_demand_continuity", "5"), ("kam_tier_id", False), ("kam_won_revenue", 1)):
            with self.subTest(field=field), self.assertRaises(AccessError):
                salesman_view.write({field: value})
        self.assertEqual(self.parts.kam_rating_demand_continuity, "3")

    def test_threshold_edges_and_invalid_thresholds(self):
        criterion = self.env.ref("kam_sales_process.tier_criterion_won_revenue")
        self._won(self.parts, 500_000)
        self.parts._kam_recompute_tiers()
        self.assertIn("<td class='text-end'>50</td>", self.parts.kam_tier_breakdown)  # 2 of 4 reached, edge included
        with self.assertRaises(ValidationError):
            criterion.thresholds = "500000, 100000"
        criterion.thresholds = "500001"
        self.assertIn("<td class='text-end'>0</td>", self.parts.kam_tier_breakdown)

    def test_cron_scores_in_batches_with_progress(self):
        Partner, Account = self.env["res.partner"], self.env["kam.account"]
        companies = Partner.create([{"name": f"Customer {i}", "is_company": True} for i in range(5)])
        cron = self.env.ref("kam_sales_process.ir_cron_kam_recompute_tiers")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
        due = Partner.search_count(Account._kam_customers_domain(self.company))
        Account = Account.with_context(ir_cron_progress_id=progress.id)
        self.assertEqual(Account._cron_kam_recompute_tiers(batch_size=3), 3)
        self.assertEqual((progress.done, progress.remaining), (3, due - 3))
        while progress.remaining:
            Account._cron_kam_recompute_tiers(batch_size=max(3, due // 3))
        self.assertTrue(all(companies.mapped("kam_tier_date")))
        self.assertEqual(Account._cron_kam_recompute_tiers(batch_size=3), 0, "everything was scored today")
        with freeze_time(fields.Datetime.now() + timedelta(minutes=1)):
            Account._kam_request_full_rescore()
        with freeze_time(fields.Datetime.now() + timedelta(minutes=2)):
            self.assertEqual(Account._cron_kam_recompute_tiers(batch_size=3), 3, "full rescore asked: due again")

    def test_recompute_is_set_based(self):
        Partner = self.env["res.partner"]
        few = Partner.create([{"name": f"Few {i}", "is_company": True} for i in range(3)])
        many = Partner.create([{"name": f"Many {i}", "is_company": True} for i in range(40)])
        for partner in few + many:
            self._won(partner, 100_000)
        # warm up caches (criteria, tiers, rates, group checks)
        few._kam_recompute_tiers()
        many._kam_recompute_tiers()
        # 2 for our companies, 1 for the customers, 2 for their accounts and what is stored, 4 for criteria
        # and tiers, 1 for today in the user's time zone, 1 for the scope, 1 for the figures; nothing
        # changed: nothing written.  As many for 40 customers as for 3.
        self.env.invalidate_all()
        with self.assertQueryCount(12):
            few._kam_recompute_tiers()
        self.env.invalidate_all()
        with self.assertQueryCount(12):
            many._kam_recompute_tiers()

    def test_deals_created_already_won_count_from_when_they_entered_the_stage(self):
        """History imports and API clients create deals in the won stage without a closing date."""
        deals = self.env["crm.lead"].create(
            [
                {
                    "name": f"Imported order {i}",
                    "type": "opportunity",
                    "partner_id": self.parts.id,
                    "expected_revenue": 2_000_000,
                    "stage_id": self.stage_won.id,
                    "team_id": self.team.id,
                }
                for i in range(7)
            ]
        )
        deals.write({"date_closed": False})
        old = deals[-1]
        self.env.cr.execute(
            "UPDATE crm_lead SET date_last_stage_update = now() - interval '2 years' WHERE id = %s", [old.id]
        )
        old.invalidate_recordset(["date_last_stage_update"])
        self.assertFalse(any(deals.mapped("date_closed")))
        self.parts._kam_recompute_tiers()
        self.assertEqual(self.parts.kam_won_count, 6, "the one won two years ago is outside the window")
        self.assertEqual(self.parts.kam_won_revenue, 12_000_000)
        self.assertEqual(self.parts.kam_last_won_date, fields.Date.context_today(self.parts))
        self.assertGreater(self.parts.kam_tier_score, 0)

    def _three_customers(self, prefix):
        customers = self.env["res.partner"].create(
            [{"name": f"{prefix} {i}", "is_company": True, "user_id": self.user_salesman.id} for i in range(3)]
        )
        for i, customer in enumerate(customers):
            self._won(customer, 300_000 * (i + 1), days_ago=20 * (i + 1))
            self._open(customer, 100_000 * i, 50)
            if i:
                self._lost(customer, 10_000)
        return customers

    def _state(self, partner):
        account = partner.kam_account_id
        skip = {"id", "partner_id", "tier_date", *models.MAGIC_COLUMNS}
        values = {
            name: account[name]
            for name, field in account._fields.items()
            if field.store and field.column_type and name not in skip
        }
        history = [(h.previous_tier_id, h.tier_id, h.score) for h in account.tier_history_ids]
        return values, history

    def test_many_new_accounts_are_inserted_scored_as_when_created_one_by_one(self):
        """The first scoring of many customers inserts their accounts in one statement (no rule watches
        accounts): the same figures, tier, account manager and tier history as through ``create()``."""
        Account = self.env["kam.account"]
        self.assertFalse(Account._kam_rules_watch_accounts())
        one_by_one, at_once = self._three_customers("One"), self._three_customers("Bulk")
        Account._kam_score_customers(one_by_one)
        with (
            patch.object(kam_account_tier, "BULK_CREATE", 2),
            patch.object(type(Account), "create", side_effect=AssertionError("inserted, not created"), autospec=True),
        ):
            Account._kam_score_customers(at_once)
        self.env.invalidate_all()
        for plain, bulk in zip(one_by_one, at_once, strict=True):
            self.assertTrue(bulk.kam_account_id.tier_id)
            self.assertEqual(self._state(bulk), self._state(plain))
            self.assertEqual(bulk.kam_account_id.user_id, self.user_salesman)
            self.assertTrue(bulk.kam_tier_date)

    def test_with_a_rule_on_accounts_many_new_accounts_go_through_create(self):
        self.env["base.automation"].create(
            {
                "name": "New account: wallet unknown",
                "model_id": self.env.ref("kam_sales_process.model_kam_account").id,
                "trigger": "on_create_or_write",
                "action_server_ids": [
                    Command.create(
                        {
                            "name": "Mark",
                            "model_id": self.env.ref("kam_sales_process.model_kam_account").id,
                            "state": "code",
                            "code": "records.filtered(lambda a: not a.share_of_wallet).write({'share_of_wallet': 1})",
                        }
                    )
                ],
            }
        )
        Account = self.env["kam.account"]
        self.assertTrue(Account._kam_rules_watch_accounts())
        customers = self._three_customers("Ruled")
        with patch.object(kam_account_tier, "BULK_CREATE", 2):
            Account._kam_score_customers(customers)
        self.assertEqual(customers.kam_account_id.mapped("share_of_wallet"), [1.0, 1.0, 1.0])
        self.assertTrue(all(customers.mapped("kam_tier_id")))

    def test_a_tier_change_without_rules_is_written_at_once_and_recorded(self):
        customer = self._three_customers("Rising")[0]
        Account = self.env["kam.account"]
        Account._kam_score_customers(customer)
        first = customer.kam_tier_id
        scored_at = customer.kam_tier_date
        self._won(customer, 20_000_000)
        with freeze_time(fields.Datetime.now() + timedelta(minutes=5)):
            Account._kam_score_customers(customer)
        self.assertNotEqual(customer.kam_tier_id, first, "the cache follows the statement")
        self.assertGreater(customer.kam_tier_date, scored_at)
        history = customer.kam_account_id.tier_history_ids
        self.assertEqual(history.mapped("previous_tier_id"), first)
        self.assertEqual(history[0].tier_id, customer.kam_tier_id)
        self.assertEqual(len(history), 2, "the first tier and the change")


@tagged("post_install", "-at_install")
class TestTierCompanies(TierCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.eur = env.ref("base.EUR")
        cls.eur.active = True
        cls.company_eu = env["res.company"].create({"name": "KAM Europe", "currency_id": cls.eur.id})
        env.user.company_ids |= cls.company_eu
        # 1 EUR = 2 units of the main company's currency (rates are per 1 unit of the company currency)
        env["res.currency.rate"].search([("currency_id", "in", [cls.eur.id, cls.company.currency_id.id])]).unlink()
        env["res.currency.rate"].create(
            {"currency_id": cls.eur.id, "rate": 0.5, "name": "2000-01-01", "company_id": False}
        )

    def _won_eu(self, partner, amount):
        deal = (
            self.env["crm.lead"]
            .with_company(self.company_eu)
            .create(
                {
                    "name": "EU deal",
                    "type": "opportunity",
                    "partner_id": partner.id,
                    "expected_revenue": amount,
                    "company_id": self.company_eu.id,
                    "team_id": False,
                }
            )
        )
        won_stage = self.env["crm.stage"].create({"name": "EU Won", "is_won": True, "sequence": 99})
        deal.stage_id = won_stage
        deal.date_closed = fields.Datetime.now() - timedelta(days=3)
        self.assertEqual(deal.company_currency, self.eur)
        return deal

    def test_other_companies_do_not_count_and_do_not_see(self):
        self._won(self.parts, 600_000)
        self._won_eu(self.parts, 1_000_000)
        self.parts._kam_recompute_tiers()
        self.assertEqual(self.parts.kam_won_revenue, 600_000)
        parts_eu = self.parts.with_company(self.company_eu)
        self.assertFalse(parts_eu.kam_tier_date, "each company scores for itself")
        parts_eu._kam_recompute_tiers()
        self.assertEqual(parts_eu.kam_won_revenue, 1_000_000)
        self.assertEqual(self.parts.kam_won_revenue, 600_000, "scoring in Europe leaves the main company's score")
        self.assertNotEqual(parts_eu.kam_tier_score, self.parts.kam_tier_score)

    def test_group_scope_converts_other_currencies(self):
        self._won(self.parts, 600_000)
        self._won_eu(self.parts, 1_000_000)
        self.company.kam_tier_scope = "group"
        self.parts._kam_recompute_tiers()
        self.assertAlmostEqual(self.parts.kam_won_revenue, 600_000 + 2_000_000, places=2)
        self.assertEqual(self.parts.kam_won_count, 2)

    def test_partner_of_another_company_is_not_scored(self):
        own = self.env["res.partner"].create({"name": "EU only", "is_company": True, "company_id": self.company_eu.id})
        due = self.env["res.partner"].search(self.env["kam.account"]._kam_customers_domain(self.company))
        self.assertNotIn(own, due)
        self.assertIn(self.parts, due)
