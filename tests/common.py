"""Shared fixtures of the addon's Odoo tests.

``KamCase`` builds, once per class, the people every feature test needs:

- ``user_salesman``: Sales / User: Own Documents Only (hence KAM user);
- ``user_sales_all``: Sales / User: All Documents (hence KAM user);
- ``user_sales_manager``: Sales / Administrator (hence KAM manager);
- ``user_employee``: an internal user without any Sales right.

Tests never rely on demo data.
"""

import itertools
import json
import unittest
from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tests import common as odoo_test_common


class KamCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_salesman = new_test_user(
            cls.env, login="kam_salesman", groups="sales_team.group_sale_salesman", name="Sam Salesman"
        )
        cls.user_sales_all = new_test_user(
            cls.env,
            login="kam_sales_all",
            groups="sales_team.group_sale_salesman_all_leads",
            name="Alex All-Leads",
        )
        cls.user_sales_manager = new_test_user(
            cls.env, login="kam_manager", groups="sales_team.group_sale_manager", name="Mia Manager"
        )
        cls.user_employee = new_test_user(cls.env, login="kam_employee", groups="base.group_user", name="Eve Employee")

    def _read_as_a_page_does(self, deals):
        """Empty the caches but for what a kanban page or a form has read before the gate: the milestones'
        configuration (cached across requests) and the deals' stage, team and company."""
        self.env["kam.milestone"]._kam_get_specs()
        self.env.invalidate_all()
        deals.mapped("stage_id")
        deals.mapped("team_id")
        deals.mapped("company_id")


class KamGateCase(KamCase):
    """A team with its own five-stage pipeline and milestones on it.

    - ``team``: "Key Accounts", with ``user_salesman`` as member;
    - ``stages``: S1 … S4 then ``stage_won`` (sequences 1, 2, 3, 4, 70),
      the team's only pipeline (crm's shared default stages are moved to
      another team for the duration of the test);
    - ``ms_budget`` (checklist, S1), ``ms_coach`` (checklist with evidence, S2),
      ``ms_revenue`` (condition: expected revenue > 0, S3).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.other_team = env["crm.team"].create({"name": "Other Team"})
        env["crm.stage"].search([]).write({"team_id": cls.other_team.id})
        cls.team = env["crm.team"].create({"name": "Key Accounts", "member_ids": [(4, cls.user_salesman.id)]})
        Stage = env["crm.stage"]
        cls.s1, cls.s2, cls.s3, cls.s4 = (
            Stage.create({"name": f"S{i}", "sequence": i, "team_id": cls.team.id}) for i in range(1, 5)
        )
        cls.stage_won = Stage.create({"name": "Won", "sequence": 70, "is_won": True, "team_id": cls.team.id})
        Milestone = env["kam.milestone"]
        cls.ms_budget = Milestone.create({"name": "Budget known", "stage_id": cls.s1.id, "kind": "check"})
        cls.ms_coach = Milestone.create(
            {"name": "Coach found", "stage_id": cls.s2.id, "kind": "check", "evidence_required": True}
        )
        cls.ms_revenue = Milestone.create(
            {
                "name": "Revenue estimated",
                "stage_id": cls.s3.id,
                "kind": "condition",
                "condition_domain": "[('expected_revenue', '>', 0)]",
            }
        )

    @classmethod
    def _new_deal(cls, name="Steel plant retrofit", stage=None, **vals):
        values = {
            "name": name,
            "type": "opportunity",
            "team_id": cls.team.id,
            "user_id": cls.user_salesman.id,
            **vals,
        }
        if stage:
            values["stage_id"] = stage.id
        return cls.env["crm.lead"].create(values)

    @staticmethod
    def _row(deal, milestone):
        return deal.kam_milestone_ids.filtered(lambda r: r.milestone_id == milestone)

    def _meet(self, deal, *milestones):
        """Meet milestones the way a salesperson would."""
        for milestone in milestones:
            row = self._row(deal, milestone)
            if milestone.kind == "check":
                if milestone.evidence_required:
                    row.evidence = "Minutes of the meeting of 3 March"
                row.action_done()
            elif milestone.kind == "activity":
                activity = deal.activity_schedule(
                    activity_type_id=milestone.activity_type_id.id, user_id=deal.user_id.id or self.env.uid
                )
                activity.action_feedback(feedback="Done with the customer")
            elif milestone == self.ms_revenue:
                deal.expected_revenue = 250000

    def _deal_in(self, stage, **vals):
        """A deal moved the honest way from S1 to ``stage``."""
        deal = self._new_deal(stage=self.s1, **vals)
        path = [self.s1, self.s2, self.s3, self.s4, self.stage_won]
        for current, nxt in itertools.pairwise(path):
            if current == stage:
                break
            self._meet(deal, *current.kam_milestone_ids.filtered(lambda m: m.kind != "roles"))
            deal.stage_id = nxt
        return deal

    def _deal_past_stale_revenue(self):
        """A deal in S4 whose revenue was cleared after S3 was passed: S3's condition row stays met
        (done and passed) while the stage is behind the deal. Returns the deal and that row."""
        deal = self._deal_in(self.s4)
        deal.expected_revenue = 0
        row = self._row(deal, self.ms_revenue)
        self.assertEqual((row.state, row.passed), ("done", True))
        return deal, row


class TourMixin:
    """For HttpCase classes: a tour fails, never skips, when its browser is missing.

    Odoo skips browser tests when it finds no Chrome/Chromium or no
    websocket-client module; a missing piece would then pass unnoticed.
    """

    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        if odoo_test_common.websocket is None:
            self.fail("The Python package websocket-client is missing: it is in requirements.txt (scripts/test).")
        try:
            found = odoo_test_common._find_executable()
        except unittest.SkipTest:
            found = None
        if not found:
            self.fail("No Chromium on PATH for the browser tours: install Debian's chromium package.")
        return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)


class KamIntegrityCase(KamGateCase):
    """``KamGateCase`` plus what the gate's other inputs need.

    - ``team_b``: a second gated team with its own pipeline ``b1`` (milestone
      ``ms_b_budget``) then ``b_won``;
    - ``team_c``: an ungated team whose pipeline is the shared stage ``shared``
      (sequence 5: in team A's pipeline it lies after S4);
    - ``company_2`` and ``user_salesman_b``, a second salesperson; both
      salespeople may work in both companies;
    - ``activity_call``: an activity type, and ``ms_call`` an "activity done"
      milestone of S1.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Stage = env["crm.stage"]
        cls.team_b = env["crm.team"].create({"name": "Projects"})
        cls.b1 = Stage.create({"name": "B1", "sequence": 1, "team_id": cls.team_b.id})
        cls.b_won = Stage.create({"name": "B Won", "sequence": 50, "is_won": True, "team_id": cls.team_b.id})
        cls.ms_b_budget = env["kam.milestone"].create({"name": "Project budget", "stage_id": cls.b1.id})
        cls.team_c = env["crm.team"].create({"name": "Small Deals"})
        cls.shared = Stage.create({"name": "Shared negotiation", "sequence": 5, "team_id": False})
        cls.company_2 = env["res.company"].create({"name": "Kam Branch"})
        cls.user_salesman_b = new_test_user(
            env, login="kam_salesman_b", groups="sales_team.group_sale_salesman", name="Bo Salesman"
        )
        for user in cls.user_salesman | cls.user_salesman_b | cls.user_sales_manager:
            user.company_ids |= cls.company_2
        cls.activity_call = env["mail.activity.type"].create({"name": "Customer call", "res_model": "crm.lead"})
        cls.ms_call = env["kam.milestone"].create(
            {
                "name": "Customer called",
                "stage_id": cls.s1.id,
                "kind": "activity",
                "activity_type_id": cls.activity_call.id,
            }
        )


class JsonRpcMixin:
    """For HttpCase classes: call models as the web client does (``/web/dataset/call_kw``)."""

    def _call(self, model, method, args, kwargs=None):
        """``(result, error)`` of one JSON-RPC call in the authenticated session."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        body = response.json()
        self.env.invalidate_all()
        return body.get("result"), body.get("error")

    def assertRefused(self, model, method, args, kwargs=None, *, error="odoo.exceptions.UserError", text=None):
        """The call fails with ``error`` (and ``text`` in its message), never with a server error."""
        result, failure = self._call(model, method, args, kwargs)
        self.assertTrue(failure, f"{model}.{method} was not refused: {result!r}")
        self.assertEqual(failure["data"]["name"], error, failure["data"].get("message"))
        if text:
            self.assertIn(text, failure["data"]["message"])
        return failure["data"]["message"]

    def assertAccepted(self, model, method, args, kwargs=None):
        result, failure = self._call(model, method, args, kwargs)
        self.assertFalse(failure, failure and failure["data"].get("message"))
        return result


class TierCase(KamGateCase):
    """Accounts with deals won, lost and open; tiers and scorecard as shipped."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env.ref("kam_sales_process.automation_stage_gate").active = False  # deals are created where they are
        cls.company = env.company
        cls.steel = env["res.partner"].create({"name": "Baosteel Plant 3", "is_company": True})
        cls.steel_buyer = env["res.partner"].create({"name": "Wang Li", "parent_id": cls.steel.id})
        cls.parts = env["res.partner"].create({"name": "Auto Parts Ltd", "is_company": True})
        cls.tier_strategic = env.ref("kam_sales_process.tier_strategic")
        cls.tier_key = env.ref("kam_sales_process.tier_key")
        cls.tier_growth = env.ref("kam_sales_process.tier_growth")
        cls.tier_maintain = env.ref("kam_sales_process.tier_maintain")
        cls.company.kam_key_account_tier_id = cls.tier_key

    def _won(self, partner, amount, days_ago=10, company=None):
        deal = self._new_deal(
            partner_id=partner.id,
            expected_revenue=amount,
            stage=self.stage_won,
            company_id=(company or self.company).id,
        )
        deal.date_closed = fields.Datetime.now() - timedelta(days=days_ago)
        return deal

    def _lost(self, partner, amount, days_ago=10):
        deal = self._new_deal(partner_id=partner.id, expected_revenue=amount, stage=self.s1)
        deal.action_set_lost()
        deal.date_closed = fields.Datetime.now() - timedelta(days=days_ago)
        return deal

    def _open(self, partner, amount, probability, **vals):
        return self._new_deal(
            partner_id=partner.id, expected_revenue=amount, stage=self.s1, probability=probability, **vals
        )


class PhaseCase(KamGateCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env.ref("kam_sales_process.automation_stage_gate").active = False
        cls.account = env["res.partner"].create(
            {"name": "Shougang Steel", "is_company": True, "user_id": cls.user_salesman.id}
        )
        cls.buyer = env["res.partner"].create({"name": "Li Na", "parent_id": cls.account.id, "function": "Purchasing"})
        # as if created in an earlier transaction: mail tracks no change of a record created in the same one
        env.flush_all()
        env.cr.precommit.run()

    def _won_deal(self, partner, days_ago=10):
        deal = self._new_deal(partner_id=partner.id, stage=self.s1, expected_revenue=50_000)
        deal.stage_id = self.stage_won
        deal.date_closed = fields.Datetime.now() - timedelta(days=days_ago)
        return deal

    def _stakeholders(self, deal, people):
        """people: [(function, level)]"""
        partners = self.env["res.partner"].create(
            [
                {"name": f"Person {i}", "parent_id": self.account.id, "function": function}
                for i, (function, _level) in enumerate(people)
            ]
        )
        self.env["kam.stakeholder"].create(
            [
                {"lead_id": deal.id, "partner_id": partner.id, "relationship_level": level}
                for partner, (_function, level) in zip(partners, people, strict=True)
            ]
        )


class KamAccountCase(KamCase):
    """A steel plant (customer company) with two contacts, an account managed by ``user_salesman``, and deals:

    - ``won_recent``: 300,000 won 10 days ago; ``won_old``: 100,000 won 200 days ago (before the plan's period);
    - ``open_in``: 500,000 open, closing in 30 days (50 %); ``open_late``: 200,000 open, closing in 200 days (20 %);
    - the plan runs from 100 days ago to 100 days ahead.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.today = fields.Date.context_today(env["crm.lead"])
        cls.customer = env["res.partner"].create({"name": "Baotou Steel Plant", "is_company": True})
        cls.engineer = env["res.partner"].create({"name": "Chief Engineer Wang", "parent_id": cls.customer.id})
        cls.buyer = env["res.partner"].create({"name": "Buyer Li", "parent_id": cls.customer.id})
        cls.account = env["kam.account"].create(
            {"partner_id": cls.customer.id, "company_id": env.company.id, "user_id": cls.user_salesman.id}
        )
        cls.team = env["crm.team"].create({"name": "Steel", "member_ids": [(4, cls.user_salesman.id)]})
        Stage = env["crm.stage"]
        cls.stage_open = Stage.create({"name": "Proposal", "sequence": 1, "team_id": cls.team.id})
        cls.stage_won = Stage.create({"name": "Won", "sequence": 90, "is_won": True, "team_id": cls.team.id})

        def deal(name, revenue, **vals):
            return env["crm.lead"].create(
                {
                    "name": name,
                    "type": "opportunity",
                    "partner_id": cls.engineer.id,
                    "team_id": cls.team.id,
                    "user_id": cls.user_salesman.id,
                    "expected_revenue": revenue,
                    "stage_id": cls.stage_open.id,
                    **vals,
                }
            )

        cls.won_recent = deal("Blast furnace retrofit", 300000)
        cls.won_old = deal("Conveyor spares", 100000)
        (cls.won_recent | cls.won_old).sudo().write({"stage_id": cls.stage_won.id})
        cls.won_recent.date_closed = fields.Datetime.now() - timedelta(days=10)
        cls.won_old.date_closed = fields.Datetime.now() - timedelta(days=200)
        cls.open_in = deal("Rolling mill drives", 500000, probability=50, date_deadline=cls.today + timedelta(days=30))
        cls.open_late = deal("Coke oven sensors", 200000, probability=20, date_deadline=cls.today + timedelta(days=200))
        cls.plan = env["kam.account.plan"].create(
            {
                "account_id": cls.account.id,
                "date_from": cls.today - timedelta(days=100),
                "date_to": cls.today + timedelta(days=100),
                "revenue_target": 1000000,
                "wallet_estimate": 2000000,
                "share_target": 40,
                "phase_target": "cooperative",
                "depth_target": "solution",
            }
        )
