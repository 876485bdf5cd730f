"""Shared fixtures of the addon's Odoo tests.

``KamCase`` builds, once per class, the people every feature test needs:

- ``user_salesman``: Sales / User: Own Documents Only (hence KAM user);
- ``user_sales_all``: Sales / User: All Documents (hence KAM user);
- ``user_sales_manager``: Sales / Administrator (hence KAM manager);
- ``user_employee``: an internal user without any Sales right.

Tests never rely on demo data.
"""

import itertools
import unittest

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
            elif milestone == self.ms_revenue:
                deal.expected_revenue = 250000

    def _deal_in(self, stage, **vals):
        """A deal moved the honest way from S1 to ``stage``."""
        deal = self._new_deal(stage=self.s1, **vals)
        path = [self.s1, self.s2, self.s3, self.s4, self.stage_won]
        gates = {self.s1: self.ms_budget, self.s2: self.ms_coach, self.s3: self.ms_revenue}
        for current, nxt in itertools.pairwise(path):
            if current == stage:
                break
            if current in gates:
                self._meet(deal, gates[current])
            deal.stage_id = nxt
        return deal


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
