"""The gate rule on every server-side write path."""

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import KamGateCase


@tagged("post_install", "-at_install")
class TestGateEnforcement(KamGateCase):
    def test_moving_forward_with_an_unmet_milestone_is_refused_with_its_name(self):
        deal = self._new_deal(stage=self.s1)
        with self.assertRaises(UserError) as refusal:
            deal.stage_id = self.s2
        message = str(refusal.exception)
        self.assertIn("Steel plant retrofit", message)
        self.assertIn("Budget known", message)
        self.assertEqual(deal.stage_id, self.s1)

    def test_meeting_the_milestone_opens_the_gate(self):
        deal = self._new_deal(stage=self.s1)
        self.assertFalse(deal.kam_gate_open)
        self.assertEqual(deal.kam_unmet_milestone_ids, self.ms_budget)
        self._meet(deal, self.ms_budget)
        self.assertTrue(deal.kam_gate_open)
        deal.stage_id = self.s2
        self.assertEqual(deal.stage_id, self.s2)

    def test_skipping_stages_needs_the_milestones_of_every_stage_skipped(self):
        deal = self._new_deal(stage=self.s1)
        self._meet(deal, self.ms_budget)
        with self.assertRaises(UserError) as refusal:
            deal.stage_id = self.s4
        message = str(refusal.exception)
        self.assertIn("Coach found", message)
        self.assertIn("Revenue estimated", message)
        self.assertNotIn("Budget known", message)
        self._meet(deal, self.ms_coach, self.ms_revenue)
        deal.stage_id = self.s4
        self.assertEqual(deal.stage_id, self.s4)

    def test_moving_back_is_never_blocked(self):
        deal = self._deal_in(self.s3)
        self._row(deal, self.ms_coach).sudo().state = "todo"  # the coach left: S2 no longer met
        deal.stage_id = self.s1
        self.assertEqual(deal.stage_id, self.s1)

    def test_marking_lost_and_archiving_are_never_blocked(self):
        deal = self._new_deal(stage=self.s1)
        deal.action_set_lost(lost_reason_id=False)
        self.assertFalse(deal.active)
        other = self._new_deal(stage=self.s1)
        other.action_archive()
        self.assertFalse(other.active)

    def test_creating_a_deal_directly_in_a_later_stage_counts_as_moving_there(self):
        with self.assertRaises(UserError) as refusal:
            self._new_deal(name="Auto parts line", stage=self.s3)
        self.assertIn("Budget known", str(refusal.exception))
        self.assertIn("Coach found", str(refusal.exception))
        deal = self._new_deal(name="Auto parts line", stage=self.s1)
        self.assertEqual(deal.stage_id, self.s1)

    def test_won_needs_every_milestone(self):
        deal = self._deal_in(self.s2)
        with self.assertRaises(UserError) as refusal:
            deal.action_set_won()
        self.assertIn("Coach found", str(refusal.exception))
        self.assertNotEqual(deal.stage_id, self.stage_won)
        self._meet(deal, self.ms_coach, self.ms_revenue)
        deal.action_set_won()
        self.assertEqual(deal.stage_id, self.stage_won)

    def test_one_refusal_names_ten_deals_and_counts_the_others(self):
        deals = self.env["crm.lead"]
        for i in range(12):
            deals |= self._new_deal(name=f"Bank branch {i:02d}", stage=self.s1)
        with self.assertRaises(UserError) as refusal:
            deals.write({"stage_id": self.s2.id})
        message = str(refusal.exception)
        for i in range(10):
            self.assertIn(f"Bank branch {i:02d}", message)
        self.assertNotIn("Bank branch 11", message)
        self.assertIn("2 more", message)
        self.assertEqual(set(deals.mapped("stage_id")), {self.s1})

    def test_a_batch_moves_when_every_gate_is_open(self):
        deals = self._new_deal(name="A", stage=self.s1) | self._new_deal(name="B", stage=self.s1)
        for deal in deals:
            self._meet(deal, self.ms_budget)
        deals.write({"stage_id": self.s2.id})
        self.assertEqual(set(deals.mapped("stage_id")), {self.s2})

    def test_one_batch_moving_deals_forward_and_back_latches_both(self):
        """One write, two directions: the deal moving up passes the stages it clears, the deal moving
        back reopens the stage it lands on, whose condition catches up with data changed meanwhile."""
        behind = self._deal_in(self.s1)
        self._meet(behind, self.ms_budget, self.ms_coach)
        ahead, revenue = self._deal_past_stale_revenue()
        (behind | ahead).write({"stage_id": self.s3.id})
        self.assertEqual(set((behind | ahead).mapped("stage_id")), {self.s3})
        early = self.ms_budget | self.ms_coach
        passed = (behind | ahead).kam_milestone_ids.filtered(lambda row: row.milestone_id in early)
        self.assertEqual(len(passed), 4)
        self.assertEqual(set(passed.mapped("passed")), {True})
        self.assertEqual((revenue.state, revenue.passed), ("todo", False))
        self.assertFalse(ahead.kam_gate_open)
        with self.assertRaises(UserError):
            ahead.stage_id = self.s4

    def test_condition_milestone_follows_the_data(self):
        deal = self._deal_in(self.s3)
        self.assertFalse(deal.kam_gate_open)
        deal.expected_revenue = 1000
        self.assertTrue(deal.kam_gate_open)
        self.assertEqual(self._row(deal, self.ms_revenue).state, "done")
        deal.expected_revenue = 0
        self.assertEqual(self._row(deal, self.ms_revenue).state, "todo")

    def test_team_scoping_lets_teams_sharing_a_stage_run_different_gates(self):
        other = self.env["crm.team"].create({"name": "Small Deals"})
        self.s1.team_id = False  # now shared by every team
        self.s2.team_id = False
        self.ms_budget.team_ids = self.team
        small = self._new_deal(name="Small", stage=self.s1, team_id=other.id)
        small.stage_id = self.s2
        self.assertEqual(small.stage_id, self.s2)
        big = self._new_deal(name="Big", stage=self.s1)
        with self.assertRaises(UserError):
            big.stage_id = self.s2

    def test_company_b_milestones_never_gate_company_a_deals(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        self.ms_budget.company_id = company_b
        deal = self._new_deal(stage=self.s1, company_id=self.env.company.id)
        self.assertNotIn(self.ms_budget, deal.kam_milestone_ids.milestone_id)
        deal.stage_id = self.s2
        self.assertEqual(deal.stage_id, self.s2)

    def test_milestones_added_later_reach_existing_deals(self):
        deal = self._new_deal(stage=self.s1)
        extra = self.env["kam.milestone"].create({"name": "NDA signed", "stage_id": self.s1.id})
        self.assertTrue(self._row(deal, extra))
        self.assertIn(extra, deal.kam_unmet_milestone_ids)

    def test_rows_exist_for_every_stage_of_the_process(self):
        deal = self._new_deal(stage=self.s1)
        self.assertEqual(deal.kam_milestone_ids.milestone_id, self.ms_budget | self.ms_coach | self.ms_revenue)

    def test_changing_team_drops_open_rows_of_the_old_process(self):
        deal = self._new_deal(stage=self.s1)
        deal.write(
            {
                "team_id": self.other_team.id,
                "stage_id": self.env["crm.stage"].search([("team_id", "=", self.other_team.id)], limit=1).id,
            }
        )
        self.assertFalse(deal.kam_milestone_ids)

    def test_import_refuses_each_row_with_its_message(self):
        result = self.env["crm.lead"].load(
            ["name", "type", "team_id/.id", "stage_id/.id"],
            [
                ["Imported in S1", "opportunity", str(self.team.id), str(self.s1.id)],
                ["Imported in S3", "opportunity", str(self.team.id), str(self.s3.id)],
            ],
        )
        messages = [m["message"] for m in result["messages"]]
        self.assertTrue(any("Budget known" in m for m in messages), messages)
        self.assertFalse(self.env["crm.lead"].search([("name", "=", "Imported in S3")]))

    def test_other_automation_rules_cannot_push_a_deal_past_its_gate(self):
        self.env["base.automation"].create(
            {
                "name": "Promote hot deals",
                "model_id": self.env.ref("crm.model_crm_lead").id,
                "trigger": "on_priority_set",
                "trg_selection_field_id": self.env["ir.model.fields.selection"]
                .search([("field_id.model", "=", "crm.lead"), ("field_id.name", "=", "priority"), ("value", "=", "3")])
                .id,
                "action_server_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Move to S3",
                            "model_id": self.env.ref("crm.model_crm_lead").id,
                            "state": "object_write",
                            "update_path": "stage_id",
                            "value": str(self.s3.id),
                            "evaluation_type": "value",
                        },
                    )
                ],
            }
        )
        deal = self._new_deal(stage=self.s1)
        with self.assertRaises(UserError):
            deal.priority = "3"

    def test_switching_the_rule_off_and_on(self):
        rule = self.env.ref("kam_sales_process.automation_stage_gate")
        self.assertTrue(rule.active)
        self.assertEqual(rule.trigger, "on_create_or_write")
        self.assertEqual(set(rule.trigger_field_ids.mapped("name")), {"stage_id", "team_id", "company_id", "active"})
        rule.active = False
        deal = self._new_deal(stage=self.s1)
        deal.stage_id = self.s2
        self.assertEqual(deal.stage_id, self.s2)
        rule.active = True
        other = self._new_deal(stage=self.s1)
        with self.assertRaises(UserError):
            other.stage_id = self.s2

    def test_the_rule_domain_narrows_the_gate(self):
        rule = self.env.ref("kam_sales_process.automation_stage_gate")
        rule.filter_domain = "[('expected_revenue', '>', 100000)]"
        small = self._new_deal(name="Small order", stage=self.s1, expected_revenue=5000)
        small.stage_id = self.s2
        self.assertEqual(small.stage_id, self.s2)
        big = self._new_deal(name="Big order", stage=self.s1, expected_revenue=500000)
        with self.assertRaises(UserError):
            big.stage_id = self.s2

    def test_the_gate_action_can_be_reused_in_an_admin_rule(self):
        self.env.ref("kam_sales_process.automation_stage_gate").active = False
        self.env["base.automation"].create(
            {
                "name": "Gate big deals on save",
                "model_id": self.env.ref("crm.model_crm_lead").id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [(6, 0, self.env.ref("crm.field_crm_lead__stage_id").ids)],
                "action_server_ids": [
                    (
                        0,
                        0,
                        {"name": "Gate", "model_id": self.env.ref("crm.model_crm_lead").id, "state": "kam_gate_check"},
                    )
                ],
            }
        )
        deal = self._new_deal(stage=self.s1)
        with self.assertRaises(UserError):
            deal.stage_id = self.s2

    def test_quick_create_in_a_later_column_is_refused(self):
        Lead = (
            self.env["crm.lead"]
            .with_user(self.user_salesman)
            .with_context(default_team_id=self.team.id, default_stage_id=self.s3.id, default_type="opportunity")
        )
        with self.assertRaises(UserError):
            form = Form(Lead, view="crm.quick_create_opportunity_form")
            form.name = "Quick deal"
            form.save()

    def test_search_filters_gate_open_and_blocked(self):
        blocked = self._new_deal(name="Blocked", stage=self.s1)
        open_deal = self._new_deal(name="Open", stage=self.s1)
        self._meet(open_deal, self.ms_budget)
        Lead = self.env["crm.lead"]
        domain = [("team_id", "=", self.team.id)]
        self.assertEqual(Lead.search([*domain, ("kam_gate_open", "=", True)]), open_deal)
        self.assertEqual(Lead.search([*domain, ("kam_gate_open", "=", False)]), blocked)
        self.assertEqual(Lead.search([*domain, ("kam_gate_open", "!=", True)]), blocked)
