"""The manager-only, audited stage override."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, HttpCase, tagged

from .common import KamGateCase, TourMixin


@tagged("post_install", "-at_install")
class TestStageOverride(KamGateCase):
    def _wizard(self, user, deals, stage, reason="Customer's CEO committed in writing"):
        return (
            self.env["kam.stage.override"]
            .with_user(user)
            .with_context(active_model="crm.lead", active_ids=deals.ids)
            .create({"stage_id": stage.id, "reason": reason})
        )

    def test_a_manager_forces_deals_past_unmet_gates_and_the_chatter_says_why(self):
        deals = self._new_deal(name="Steel plant", stage=self.s1) | self._new_deal(name="Auto parts", stage=self.s1)
        wizard = self._wizard(self.user_sales_manager, deals, self.s3)
        self.assertIn("Budget known", wizard.unmet_summary)
        wizard.action_confirm()
        self.assertEqual(set(deals.mapped("stage_id")), {self.s3})
        for deal in deals:
            rows = deal.kam_milestone_ids.filtered(lambda r: r.milestone_id in (self.ms_budget | self.ms_coach))
            self.assertEqual(set(rows.mapped("state")), {"waived"})
            log = deal.message_ids[0]
            self.assertIn("Customer's CEO committed in writing", str(log.body))
            self.assertIn("Budget known", str(log.body))
            self.assertIn("Coach found", str(log.body))
            self.assertIn(self.user_sales_manager.name, str(log.body))

    def test_an_archived_deal_is_forced_too_and_its_milestones_waived(self):
        """Found by the model-based test: the wizard saw no archived deal and did nothing, saying nothing."""
        deal = self._new_deal(name="Dormant plant", stage=self.s1)
        deal.action_archive()
        wizard = self._wizard(self.user_sales_manager, deal, self.s3)
        self.assertEqual(wizard.lead_ids, deal)
        self.assertIn("Budget known", wizard.unmet_summary)
        wizard.action_confirm()
        self.assertEqual(deal.stage_id, self.s3)
        self.assertFalse(deal.active)
        rows = deal.kam_milestone_ids.filtered(lambda r: r.milestone_id in (self.ms_budget | self.ms_coach))
        self.assertEqual(set(rows.mapped("state")), {"waived"})
        self.assertIn("Dormant plant", wizard.unmet_summary)
        # Restored where it was forced to: its gates were waived, nothing stops it.
        deal.action_unarchive()
        self.assertTrue(deal.active)

    def test_a_deal_forced_back_shows_the_conditions_of_its_stage_as_they_are_now(self):
        """The stage a deal is forced back to is live again: its conditions catch up with data that
        changed while it was passed, at once (the gate badge does not wait for the next write)."""
        deal, revenue = self._deal_past_stale_revenue()
        self._wizard(self.user_sales_manager, deal, self.s3).action_confirm()
        self.assertEqual(deal.stage_id, self.s3)
        self.assertEqual((revenue.state, revenue.passed), ("todo", False))
        self.assertFalse(deal.kam_gate_open)
        self.assertEqual(deal.kam_unmet_milestone_ids, self.ms_revenue)

    def test_a_wizard_without_deals_says_so(self):
        wizard = (
            self.env["kam.stage.override"]
            .with_user(self.user_sales_manager)
            .create({"stage_id": self.s2.id, "reason": "Signed"})
        )
        with self.assertRaisesRegex(UserError, "Select the deals"):
            wizard.action_confirm()

    def test_the_reason_is_mandatory(self):
        deal = self._new_deal(stage=self.s1)
        wizard = self._wizard(self.user_sales_manager, deal, self.s2, reason=" ")
        with self.assertRaises(UserError):
            wizard.action_confirm()
        self.assertEqual(deal.stage_id, self.s1)

    def test_a_salesperson_cannot_use_the_override(self):
        deal = self._new_deal(stage=self.s1)
        with self.assertRaises(AccessError):
            self._wizard(self.user_salesman, deal, self.s2).action_confirm()
        self.assertEqual(deal.stage_id, self.s1)

    def test_no_context_key_lets_a_salesperson_pass(self):
        deal = self._new_deal(stage=self.s1).with_user(self.user_salesman)
        # What an RPC client could send: JSON values only.
        rule_id = str(self.env.ref("kam_sales_process.automation_stage_gate").id)
        for key, value in (
            ("kam_gate_override", True),
            ("kam_skip_gate", True),
            ("kam_batch_collect", {}),
            ("__action_done", {rule_id: [deal.id]}),
            ("old_values", {str(deal.id): {"stage_id": self.s2.id}}),
        ):
            with self.subTest(key=key), self.assertRaises(UserError, msg=key):
                deal.with_context(**{key: value}).write({"stage_id": self.s2.id})
        self.assertEqual(deal.stage_id, self.s1)

    def test_a_client_cannot_share_the_rules_recursion_guard_across_its_writes(self):
        # base_automation's recursion guard (``__action_done``, updated in place under
        # ``__action_feedback``) is the server's bookkeeping. Sent by a client, one guard
        # was shared by every write of the call: the first write that passed the gate marked
        # the deal as done and the next write, in the same call, skipped the gate.
        guard = {"__action_done": {}, "__action_feedback": True}
        deal = self._new_deal(stage=self.s1).with_user(self.user_salesman)
        deal.action_set_lost()
        # action_set_won restores the deal (it passes: restored in its stage), then moves it to Won
        with self.assertRaises(UserError) as refusal:
            deal.with_context(**guard).action_set_won()
        self.assertIn("Budget known", str(refusal.exception))
        # an import whose first row changes the team back and forth, whose second row jumps to Won
        other_stage = self.env["crm.stage"].search([("team_id", "=", self.other_team.id)], limit=1)
        active = self._new_deal(name="Boiler upgrade", stage=self.s1).with_user(self.user_salesman)
        result = active.with_context(**guard).load(
            [".id", "team_id/.id", "stage_id/.id"],
            [
                [str(active.id), str(self.other_team.id), str(other_stage.id)],
                [str(active.id), str(self.team.id), str(self.stage_won.id)],
            ],
        )
        self.assertTrue(any("Budget known" in m["message"] for m in result["messages"]), result)
        self.assertNotEqual(active.stage_id, self.stage_won)
        self.assertTrue(all(row.state == "todo" for row in active.kam_milestone_ids))

    def test_a_guard_of_the_wrong_type_is_ignored_not_a_traceback(self):
        deal = self._new_deal(stage=self.s1).with_user(self.user_salesman)
        for value in ([], "x", 1, None, {"1": [deal.id]}):
            with self.subTest(value=value):
                deal.with_context(__action_done=value, __action_feedback=True).write({"name": f"Renamed {value!r}"})
                self.assertEqual(deal.name, f"Renamed {value!r}")
                with self.assertRaises(UserError):
                    deal.with_context(__action_done=value).write({"stage_id": self.s2.id})
        self.assertEqual(deal.stage_id, self.s1)

    def test_the_form_button_opens_the_wizard_on_the_deal(self):
        deal = self._new_deal(stage=self.s1)
        action = deal.with_user(self.user_sales_manager).action_kam_open_override()
        self.assertEqual(action["res_model"], "kam.stage.override")
        form = Form(self.env[action["res_model"]].with_user(self.user_sales_manager).with_context(**action["context"]))
        form.stage_id = self.s2
        form.reason = "Verbal approval"
        form.save().action_confirm()
        self.assertEqual(deal.stage_id, self.s2)


@tagged("post_install", "-at_install")
class TestOverrideTour(TourMixin, KamGateCase, HttpCase):
    def test_a_manager_forces_a_stage_and_the_chatter_shows_why(self):
        deal = self._new_deal(stage=self.s1)
        self.start_tour(f"/odoo/crm/{deal.id}", "kam_stage_override_tour", login=self.user_sales_manager.login)
        self.assertEqual(deal.stage_id, self.s3)
        self.assertTrue(any("trade fair" in str(message.body) for message in deal.message_ids))


@tagged("post_install", "-at_install")
class TestQuickCreateTour(TourMixin, KamGateCase, HttpCase):
    def test_quick_create_in_a_later_column_is_refused_cleanly(self):
        self._new_deal(stage=self.s1, name="Existing deal in S1")
        # /odoo/crm opens "My Pipeline" for the salesperson's team (crm.action_your_pipeline)
        self.start_tour("/odoo/crm", "kam_quick_create_tour", login=self.user_salesman.login)
        self.assertFalse(self.env["crm.lead"].search([("name", "=", "Furnace relining")]))
