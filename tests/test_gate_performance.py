"""Query budgets of the gate's hot paths (see bench/gates for the timings)."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from psycopg2.errors import SerializationFailure

from .common import KamCase, KamGateCase


@tagged("post_install", "-at_install")
class TestGatePerformance(KamGateCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Five milestones on S1, as in the budget: 3 checklist items, 2 conditions.
        Milestone = cls.env["kam.milestone"]
        Milestone.create({"name": "Need confirmed", "stage_id": cls.s1.id})
        Milestone.create({"name": "Timeline known", "stage_id": cls.s1.id})
        Milestone.create(
            {
                "name": "Customer set",
                "stage_id": cls.s1.id,
                "kind": "condition",
                "condition_domain": "[('partner_id', '!=', False)]",
            }
        )
        Milestone.create(
            {
                "name": "Revenue set",
                "stage_id": cls.s1.id,
                "kind": "condition",
                "condition_domain": "[('expected_revenue', '>', 0)]",
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Anshan Steel", "is_company": True})

    def _ready_deals(self, count):
        deals = self.env["crm.lead"].create(
            [
                {
                    "name": f"Deal {i}",
                    "type": "opportunity",
                    "team_id": self.team.id,
                    "stage_id": self.s1.id,
                    "partner_id": self.partner.id,
                    "expected_revenue": 1000,
                    "user_id": self.user_salesman.id,
                }
                for i in range(count)
            ]
        )
        deals.kam_milestone_ids.filtered(lambda r: r.kind == "check").sudo().write({"state": "done"})
        self.assertTrue(all(deals.mapped("kam_gate_open")))
        self.env.flush_all()
        self.env.invalidate_all()
        return deals

    def _count(self, deals):
        # crm reads the company currency for batches (prorated revenue): load it
        # first so that only the stage move itself is counted.
        deals.mapped("company_currency.rounding")
        before = self.env.cr.sql_log_count
        deals.write({"stage_id": self.s2.id})
        self.env.flush_all()
        self.assertEqual(set(deals.mapped("stage_id")), {self.s2})
        return self.env.cr.sql_log_count - before

    def test_one_deal_and_a_hundred_cost_the_same_queries(self):
        self._count(self._ready_deals(1))  # warm the caches
        one = self._count(self._ready_deals(1))
        hundred = self._count(self._ready_deals(100))
        self.assertEqual(one, hundred)

    def test_the_gate_rule_costs_at_most_ten_queries_more_than_a_trivial_rule(self):
        self._count(self._ready_deals(1))
        with_gate = self._count(self._ready_deals(1))
        # The floor of any rule-based check: a rule on "stage is set" doing nothing.
        self.env.ref("kam_sales_process.automation_stage_gate").active = False
        lead_model = self.env.ref("crm.model_crm_lead")
        self.env["base.automation"].create(
            {
                "name": "Trivial",
                "model_id": lead_model.id,
                "trigger": "on_stage_set",
                "action_server_ids": [
                    (0, 0, {"name": "noop", "model_id": lead_model.id, "state": "code", "code": "pass"})
                ],
            }
        )
        self._count(self._ready_deals(1))
        floor = self._count(self._ready_deals(1))
        self.assertLessEqual(with_gate - floor, 10)

    # flush=False: the chatter's stage tracking runs at commit (precommit),
    # once per deal in stock crm; it is not the gate's cost.  The budget holds
    # the gate and the stage history's one statement (closing and opening the
    # stays of the whole batch).
    def test_single_move_query_budget(self):
        self._count(self._ready_deals(1))  # warm the caches
        deal = self._ready_deals(1)
        deal.mapped("company_currency.rounding")
        self.env.user.mapped("tz")  # a request has its user loaded (grades read its time zone)
        with self.assertQueryCount(__system__=10, flush=False):
            deal.write({"stage_id": self.s2.id})
            self.env.flush_all()

    def test_batch_move_query_budget(self):
        self._count(self._ready_deals(1))
        deals = self._ready_deals(100)
        deals.mapped("company_currency.rounding")
        self.env.user.mapped("tz")  # a request has its user loaded (grades read its time zone)
        with self.assertQueryCount(__system__=10, flush=False):
            deals.write({"stage_id": self.s2.id})
            self.env.flush_all()

    def test_writes_refresh_the_conditions_only_when_they_may_change(self):
        """The conditions here read the customer and the expected revenue: a move or a new priority
        cannot change them (the move's gate checks what it needs), a new revenue can, and so can a
        stage change for a condition on the probability, which crm recomputes from the stage."""
        Lead = self.env["crm.lead"]
        self.assertFalse(Lead._kam_write_may_change_conditions(frozenset({"stage_id"})))
        self.assertFalse(Lead._kam_write_may_change_conditions(frozenset({"priority", "name"})))
        self.assertTrue(Lead._kam_write_may_change_conditions(frozenset({"expected_revenue"})))
        self.assertTrue(Lead._kam_write_may_change_conditions(frozenset({"partner_id"})))
        deal = self._ready_deals(1)
        revenue = deal.kam_milestone_ids.filtered(lambda row: row.milestone_id.name == "Revenue set")
        self.assertEqual(revenue.state, "done")
        deal.expected_revenue = 0
        self.assertEqual(revenue.state, "todo", "a write the conditions read refreshes them")
        deal.priority = "2"
        self.assertEqual(revenue.state, "todo")
        self.env["kam.milestone"].create(
            {"name": "Likely", "stage_id": self.s2.id, "kind": "condition",
             "condition_domain": "[('probability', '>', 50)]"}
        )  # fmt: skip
        self.assertTrue(Lead._kam_write_may_change_conditions(frozenset({"stage_id"})), "probability follows it")
        self.env["kam.milestone"].create(
            {"name": "Not reviewed", "stage_id": self.s2.id, "kind": "condition",
             "condition_domain": "[('kam_review_overdue', '=', True)]"}
        )  # fmt: skip
        self.assertTrue(Lead._kam_write_may_change_conditions(frozenset({"priority"})), "a computed, unstored field")

    def test_conditions_through_other_records_refresh_on_every_write(self):
        """A condition that reads other records (a path, a relation to many, a field computed from
        other records) may change without a write of the deal: any write refreshes it, as before."""
        Lead, Milestone = self.env["crm.lead"], self.env["kam.milestone"]
        self.assertFalse(Lead._kam_write_may_change_conditions(frozenset({"priority"})))
        for domain in (
            "[('partner_id.country_id', '!=', False)]",
            "[('kam_stakeholder_ids', '!=', False)]",
            "[('kam_last_review_date', '!=', False)]",
            "[('partner_id', 'any', [('is_company', '=', True)])]",
        ):
            with self.subTest(domain=domain):
                milestone = Milestone.create(
                    {"name": "Other records", "stage_id": self.s2.id, "kind": "condition", "condition_domain": domain}
                )
                self.assertTrue(Lead._kam_write_may_change_conditions(frozenset({"priority"})))
                milestone.unlink()

    def test_kanban_gate_fields_cost_one_query(self):
        deals = self._ready_deals(80)
        self.env["crm.stage"]._kam_get_stage_order()
        self._read_as_a_page_does(deals)
        with self.assertQueryCount(__system__=1):
            deals.mapped("kam_gate_open")
            deals.mapped("kam_gate_done")
            deals.mapped("kam_gate_total")

    def test_a_kanban_page_shows_each_deal_the_gate_it_has_alone(self):
        """A page works out each position's gate once: every card still shows its own deal's gate."""
        other_team = self.env["crm.team"].create({"name": "Export"})
        self.env["kam.milestone"].create(
            {"name": "Export licence", "stage_id": self.s1.id, "team_ids": [(6, 0, other_team.ids)]}
        )
        deals = self._ready_deals(6)
        deals[1:3].write({"team_id": other_team.id})
        deals[3].write({"stage_id": self.s2.id})
        deals[4].kam_milestone_ids.filtered(lambda row: row.kind == "check").sudo().write({"state": "todo"})
        deals[5].sudo().write({"expected_revenue": 0})
        self.env.flush_all()
        names = ("kam_gate_open", "kam_gate_done", "kam_gate_total", "kam_unmet_milestone_ids")

        def alone(deal):
            self.env.invalidate_all()
            return [deal[name] for name in names]

        expected = [alone(deal) for deal in deals]
        self.assertEqual(len({(done, total) for _open, done, total, _unmet in expected}), 4)  # four different gates
        self.env.invalidate_all()
        self._read_as_a_page_does(deals)
        self.assertEqual([[deal[name] for name in names] for deal in deals], expected)
        # a deal's position due to be recomputed is not taken from the cache: read through its field
        self.assertIsNotNone(deals._kam_cached_column("stage_id"))
        self.env.add_to_compute(deals._fields["stage_id"], deals[2])
        self.assertIsNone(deals._kam_cached_column("stage_id"))
        self.assertEqual([position for _id, position in deals._kam_get_positions()],
                         [(deal.stage_id.id, deal.team_id.id, deal.company_id.id) for deal in deals])  # fmt: skip

    def test_a_move_back_reopens_the_rows_for_any_batch_and_brings_them_up_to_date(self):
        deals = self._ready_deals(20)
        deals.write({"stage_id": self.s2.id})
        rows = deals.kam_milestone_ids.filtered(lambda row: row.milestone_id.stage_id == self.s1)
        self.assertEqual(set(rows.mapped("passed")), {True})
        # the data of a condition changed while the stage was passed: it stays met until reopened
        deals[0].sudo().expected_revenue = 0
        self.env.flush_all()
        revenue = rows.filtered(lambda row: row.lead_id == deals[0] and row.milestone_id.name == "Revenue set")
        self.assertEqual(revenue.state, "done")

        def count_back(batch):
            self.env.invalidate_all()
            batch.mapped("company_currency.rounding")
            batch.mapped("stage_id")
            before = self.env.cr.sql_log_count
            batch.write({"stage_id": self.s1.id})
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        self.assertEqual(count_back(deals[1:2]), count_back(deals[2:]))
        deals[0].write({"stage_id": self.s1.id})
        self.assertEqual(set(rows.mapped("passed")), {False})
        self.assertEqual(revenue.state, "todo")  # live again: it caught up with the data
        self.assertFalse(deals[0].kam_gate_open)
        self.assertTrue(all(deals[1:].mapped("kam_gate_open")))

    def test_days_in_stage_of_a_kanban_page_and_of_a_new_deal(self):
        deals = self._ready_deals(3)
        now = fields.Datetime.now()
        deals[0].date_last_stage_update = now - timedelta(days=5, hours=2)
        deals[1].date_last_stage_update = now - timedelta(hours=3)
        deals[2].date_last_stage_update = False
        self.env.invalidate_all()
        self.assertEqual(deals.mapped("kam_days_in_stage"), [5, 0, 0])
        new = self.env["crm.lead"].new({"name": "New deal", "date_last_stage_update": now - timedelta(days=2)})
        self.assertEqual(new.kam_days_in_stage, 2)
        with Form(self.env["crm.lead"].with_context(default_type="opportunity")) as form:
            form.name = "New deal"
            self.assertEqual(form.kam_days_in_stage, 0)

    def test_roles_are_checked_in_one_query_and_archived_roles_count_for_nobody(self):
        decision = self.env.ref("kam_sales_process.role_decision_maker")
        milestone = self.env["kam.milestone"].create(
            {
                "name": "Decision maker named",
                "stage_id": self.s1.id,
                "kind": "roles",
                "role_ids": [(6, 0, decision.ids)],
            }
        )
        deals = self.env["crm.lead"].create(
            [
                {"name": f"Deal {i}", "type": "opportunity", "team_id": self.team.id, "stage_id": self.s1.id}
                for i in range(20)
            ]
        )
        named = deals[:10]
        contact = self.env["res.partner"].create({"name": "Wang Lei"})
        self.env["kam.stakeholder"].create(
            [{"lead_id": deal.id, "partner_id": contact.id, "role_ids": [(6, 0, decision.ids)]} for deal in named]
        )
        rows = deals.kam_milestone_ids.filtered(lambda row: row.milestone_id == milestone)
        met = rows.filtered(lambda row: row.lead_id in named)
        self.assertEqual(set(met.mapped("state")), {"done"})
        self.assertEqual(set((rows - met).mapped("state")), {"todo"})
        Row = self.env["kam.lead.milestone"]
        data = Row._kam_select_rows("id", rows.ids)
        self.env.flush_all()
        with self.assertQueryCount(__system__=1):  # nothing changed: one read, no write
            states = Row._kam_refresh_rows(data, include_passed=True)
        self.assertEqual({row_id for row_id, state in states.items() if state == "done"}, set(met.ids))
        decision.active = False
        states = Row._kam_refresh_rows(data, include_passed=True)
        self.assertEqual(set(states.values()), {"todo"})
        self.assertEqual(set(met.mapped("state")), {"todo"})


@tagged("post_install", "-at_install")
class TestCostNothingWhereUnused(KamCase):
    """With no milestone anywhere, the addon's gate costs no query on the paths crm's own budgets measure
    (create, write, assignment, conversion)."""

    def test_the_gate_reads_nothing_when_no_milestone_exists(self):
        self.env["kam.milestone"].with_context(active_test=False).search([]).unlink()
        team = self.env["crm.team"].create({"name": "Plain team"})
        leads = self.env["crm.lead"].create([{"name": f"Lead {i}", "team_id": team.id} for i in range(20)])
        self.env.flush_all()
        before = {lead.id: None for lead in leads}
        with self.assertQueryCount(0):
            leads._kam_check_gates(before)
            leads._kam_sync_milestones()
            leads._kam_refresh_milestones()

    def test_automation_rules_are_looked_up_once_and_follow_their_changes(self):
        Automation = self.env["base.automation"]
        lead = self.env["crm.lead"].create({"name": "Cached"})
        Automation._get_actions(lead, ["on_create_or_write", "on_write"])
        with self.assertQueryCount(0):
            for _ in range(10):
                gates = Automation._get_actions(lead, ["on_create_or_write", "on_write"])
        self.assertIn(self.env.ref("kam_sales_process.automation_stage_gate"), gates)
        rule = Automation.create(
            {"name": "Tag big deals", "model_id": self.env["ir.model"]._get_id("crm.lead"), "trigger": "on_write"}
        )
        self.assertIn(rule, Automation._get_actions(lead, ["on_write"]), "a new rule counts at once")
        rule.active = False
        self.assertNotIn(rule, Automation._get_actions(lead, ["on_write"]), "an archived rule no longer counts")
        rule.active = True
        rule.unlink()
        self.assertNotIn(rule, Automation._get_actions(lead, ["on_write"]))

    def test_deals_in_stages_without_milestones_read_no_gate_rows(self):
        self.env["kam.milestone"].with_context(active_test=False).search([]).unlink()
        leads = self.env["crm.lead"].create([{"name": f"Deal {i}", "type": "opportunity"} for i in range(10)])
        self._read_as_a_page_does(leads)
        with self.assertQueryCount(0):
            self.assertEqual(leads.mapped("kam_gate_total"), [0] * 10)
            self.assertTrue(all(leads.mapped("kam_gate_open")))

    def test_a_rules_trigger_fields_are_read_once_and_follow_their_changes(self):
        Automation = self.env["base.automation"]
        rule = Automation.create(
            {
                "name": "Watch the priority",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "trigger": "on_create_or_write",
                "trigger_field_ids": [(6, 0, [self.env["ir.model.fields"]._get_ids("crm.lead")["priority"]])],
            }
        )
        lead = self.env["crm.lead"].create({"name": "Watched", "priority": "0"})
        self.assertEqual(Automation._kam_get_trigger_field_names(rule.id), ("priority",))
        old = {lead.id: {"priority": "0", "name": "Watched"}}
        lead.priority = "2"
        lead.mapped("priority")
        with self.assertQueryCount(0):
            self.assertFalse(rule.with_context(old_values={lead.id: {"name": "Other"}})._check_trigger_fields(lead))
            self.assertTrue(rule.with_context(old_values=old)._check_trigger_fields(lead))
        rule.trigger_field_ids = [(6, 0, [self.env["ir.model.fields"]._get_ids("crm.lead")["name"]])]
        self.assertEqual(Automation._kam_get_trigger_field_names(rule.id), ("name",), "a change counts at once")

    def test_the_gate_rules_actions_come_from_a_cache_and_keep_their_checks(self):
        """The stage gate rule runs on every move: its server action's type, groups and model are read once
        (not on every request), a change of the action counts at once, and the action's groups are still
        checked as ``ir.actions.server.run`` does."""
        Automation = self.env["base.automation"]
        rule = self.env.ref("kam_sales_process.automation_stage_gate")
        action = rule.action_server_ids
        self.assertEqual(Automation._kam_get_rule_actions(rule.id), ((action.id, "kam_gate_check", (), "crm.lead"),))
        self.env.invalidate_all()
        with self.assertQueryCount(0):
            Automation._kam_get_rule_actions(rule.id)
        lead = self.env["crm.lead"].create({"name": "Cached", "type": "opportunity", "user_id": self.user_salesman.id})
        stages = self.env["crm.stage"].search([], limit=2)
        lead.with_user(self.user_salesman).write({"stage_id": stages[1].id})  # no group on the action: runs
        action.groups_id = self.env.ref("base.group_system")
        self.assertEqual(Automation._kam_get_rule_actions(rule.id)[0][2], tuple(action.groups_id.ids))
        with self.assertRaises(AccessError):
            lead.with_user(self.user_salesman).write({"stage_id": stages[0].id})
        lead.write({"stage_id": stages[0].id})  # the superuser passes, as with run()

    def test_recomputes_no_rule_watches_skip_the_rules_and_watched_ones_still_fire(self):
        """base_automation runs a model's write rules on every recompute of its stored fields; the addon
        skips that when no rule watches the fields recomputed. A rule watching one still fires, and a
        rule's precondition and postcondition still filter."""
        Automation = self.env["base.automation"]
        lead_model = self.env["ir.model"]._get("crm.lead")
        lead = self.env["crm.lead"].create({"name": "Watched", "type": "opportunity", "expected_revenue": 100})
        calls = []
        original = type(Automation)._process

        def counting(rule, records, domain_post=None):
            calls.append(rule.id)
            return original(rule, records, domain_post=domain_post)

        with patch.object(type(Automation), "_process", counting):
            lead.write({"probability": 40})  # recomputes the prorated revenue: no rule watches it
            lead.flush_recordset()
        gate = self.env.ref("kam_sales_process.automation_stage_gate")
        self.assertEqual(calls, [gate.id], "the write itself, not the recompute of the prorated revenue")
        fields_by_name = self.env["ir.model.fields"]._get_ids("crm.lead")
        Automation.create(
            {
                "name": "Big prorated revenue",
                "model_id": lead_model.id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [(6, 0, [fields_by_name["prorated_revenue"]])],
                "filter_domain": "[('prorated_revenue', '>', 50)]",
                "action_server_ids": [
                    (0, 0, {"name": "Colour", "model_id": lead_model.id, "state": "code",
                            "code": "records.write({'color': 7})"}),
                ],
            }
        )  # fmt: skip
        lead.write({"probability": 45})  # 45: below the postcondition
        self.assertEqual(lead.color, 0, "the postcondition still filters")
        lead.write({"probability": 60})  # the recompute of a watched field fires the rule
        self.assertEqual(lead.color, 7)

    def test_a_serialization_failure_in_a_rule_stays_one(self):
        """The rule is no longer read before its actions run: the post-mortem of an error, which reads it,
        must not query an aborted transaction (a serialization failure would become an error that Odoo
        does not retry); other errors keep their post-mortem."""
        rule = self.env.ref("kam_sales_process.automation_stage_gate")
        self.env.invalidate_all()
        failure = SerializationFailure()
        with self.assertQueryCount(0):
            rule._add_postmortem(failure)
        self.assertFalse(getattr(failure, "context", None))
        refusal = UserError("refused")
        rule._add_postmortem(refusal)
        self.assertEqual(refusal.context["base_automation"]["id"], rule.id)

    def test_a_rules_cached_filters_follow_the_value_it_watches(self):
        """An "on stage set" rule's postcondition is computed from the stage it watches: setting that
        stage alone (the write names no filter) must reach the cache."""
        Automation = self.env["base.automation"]
        stage = self.env["crm.stage"].search([], limit=1)
        rule = Automation.create(
            {"name": "Stage watched", "model_id": self.env["ir.model"]._get_id("crm.lead"), "trigger": "on_stage_set"}
        )
        self.assertFalse(Automation._kam_has_filters(rule.id)[1])
        rule.write({"trg_field_ref": stage.id})
        self.assertTrue(rule.filter_domain)
        self.assertTrue(Automation._kam_has_filters(rule.id)[1])

    def test_the_gate_rule_is_not_read_on_a_write(self):
        """Its filters, actions and trigger fields come from caches: a write reads none of the rule."""
        lead = self.env["crm.lead"].create({"name": "Quiet", "type": "opportunity"})
        lead.write({"priority": "1"})
        self.env.invalidate_all()
        lead.mapped("priority")
        with self.assertQueryCount(1):  # the UPDATE of the deal
            lead.write({"priority": "2"})
            lead.flush_recordset()

    def _writes_of_a_move(self, lead, stage):
        """The ``vals`` keys of each ``write()`` of a deal while ``lead`` moves to ``stage`` (flushed)."""
        Lead = type(self.env["crm.lead"])
        writes, original = [], Lead.write

        def counting(records, vals):
            writes.append(sorted(vals))
            return original(records, vals)

        with patch.object(Lead, "write", counting):
            lead.write({"stage_id": stage.id})
            self.env.flush_all()
        return writes

    def test_the_rules_last_run_is_stamped_in_the_write_and_a_rule_watching_it_still_fires(self):
        """base_automation stamps ``date_automation_last`` on the deals a rule ran on with a second write
        of them (every override of the deal again); the addon puts it in the write in progress when no rule
        can react to it. A rule watching that date (or every field) keeps the stock write, and fires."""
        Automation = self.env["base.automation"]
        stages = self.env["crm.stage"].search([], limit=2)
        lead = self.env["crm.lead"].create({"name": "Stamped", "type": "opportunity", "stage_id": stages[0].id})
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET date_automation_last = NULL, write_date = %s WHERE id = %s",
                            [fields.Datetime.now() - timedelta(days=3), lead.id])  # fmt: skip
        self.env.invalidate_all()
        writes = self._writes_of_a_move(lead, stages[1])
        self.assertEqual(writes, [["stage_id"]], "no second write of the deal for the stamp")
        self.env.invalidate_all()
        self.assertAlmostEqual(lead.date_automation_last, fields.Datetime.now(), delta=timedelta(minutes=1))
        self.assertEqual(lead.write_date, self.env.cr.now(), "the deal's own stamps as a write sets them")
        self.assertEqual(lead.write_uid, self.env.user)

        lead_model = self.env["ir.model"]._get("crm.lead")
        stamp = self.env["ir.model.fields"]._get_ids("crm.lead")["date_automation_last"]
        Automation.create(
            {
                "name": "Colour what a rule ran on",
                "model_id": lead_model.id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [(6, 0, [stamp])],
                "action_server_ids": [
                    (0, 0, {"name": "Colour", "model_id": lead_model.id, "state": "code",
                            "code": "records.write({'color': 5})"}),
                ],
            }
        )  # fmt: skip
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET date_automation_last = NULL WHERE id = %s", [lead.id])
        self.env.invalidate_all()  # the stamp changes (within a second of the first, it would not)
        writes = self._writes_of_a_move(lead, stages[0])
        self.assertIn(["date_automation_last"], writes, "the stock write when a rule watches the stamp")
        self.assertEqual(lead.color, 5, "and the rule watching it fires")

    def test_a_field_following_the_stamps_relations_keeps_the_stock_write(self):
        """``write()`` refreshes what depends on a relation it changes before and after the change; the
        stamp without a write only after: where something depends on the deal's ``write_uid`` through a
        relation (a module's stored field), the stamp keeps the stock write."""
        registry = self.env.registry
        stages = self.env["crm.stage"].search([], limit=2)
        lead = self.env["crm.lead"].create({"name": "Stamped", "type": "opportunity", "stage_id": stages[0].id})
        self.env.flush_all()
        write_uid = lead._fields["write_uid"]
        original_check = type(registry).is_modifying_relations

        def modifying(reg, field):
            return field is write_uid or original_check(reg, field)

        with patch.object(type(registry), "is_modifying_relations", modifying):
            writes = self._writes_of_a_move(lead, stages[1])
        self.assertEqual(writes, [["stage_id"], ["date_automation_last"]])
        self.assertTrue(lead.date_automation_last)

    def test_grade_matrix_is_read_in_one_query_and_follows_settings(self):
        Lead = self.env["crm.lead"]
        self.env.registry.clear_cache()
        with self.assertQueryCount(1):
            Lead._kam_get_grade_matrix()
            Lead._kam_get_grade_matrix()
        self.env["ir.config_parameter"].sudo().set_param("kam_sales_process.grade_a_probability", "80")
        self.assertEqual(Lead._kam_get_grade_matrix().probability[0], 80.0)
        self.env["ir.config_parameter"].sudo().set_param("kam_sales_process.grade_a_probability", "oops")
        self.assertEqual(Lead._kam_get_grade_matrix().probability[0], 70.0, "a bad value falls back to the default")

    def test_the_web_clients_menus_read_action_paths_in_one_query_per_action_model(self):
        Menu = self.env["ir.ui.menu"]
        expected = Menu.load_web_menus(False)  # fills the cache of load_menus
        models = {m["actionModel"] for m in expected.values() if m.get("actionModel")}
        self.env.invalidate_all()
        with self.assertQueryCount(len(models)):
            menus = Menu.load_web_menus(False)
        kam = [m for m in menus.values() if str(m.get("xmlid", "")).startswith("kam_sales_process.") and m["actionID"]]
        self.assertTrue(kam, "the addon's menus are loaded")
        for menu in kam:
            action = self.env[menu["actionModel"]].browse(menu["actionID"])
            self.assertEqual(menu["actionPath"], action.path)
