"""Applying sales process templates to a team."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import KamGateCase


@tagged("post_install", "-at_install")
class TestApplyProcess(KamGateCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.new_team = cls.env["crm.team"].create({"name": "Steel Plants"})
        cls.industrial = cls.env.ref("kam_sales_process.process_industrial")
        cls.tailorable = cls.env.ref("kam_sales_process.process_tailorable")

    def _apply(self, team, template, drop=(), targets=None, user=None):
        env = self.env(user=user or self.user_sales_manager)
        with Form(env["kam.process.apply"].with_context(default_team_id=team.id)) as form:
            form.template_id = template
            for index in range(len(form.line_ids)):
                with form.line_ids.edit(index) as line:
                    if line.template_stage_id.name in drop:
                        line.keep = False
            for index in range(len(form.map_ids)):
                with form.map_ids.edit(index) as line:
                    if targets and line.stage_id.name in targets:
                        line.target_id = targets[line.stage_id.name]
        wizard = form.save()
        wizard.action_apply()
        return wizard

    def _pipeline(self, team):
        return self.env["crm.stage"].search([("team_id", "=", team.id)])

    def test_industrial_six_steps_with_grades_and_milestones(self):
        self._apply(self.new_team, self.industrial)
        stages = self._pipeline(self.new_team)
        self.assertEqual(len(stages), 6)
        self.assertEqual(stages.mapped("kam_funnel_grade"), ["F", "E", "D", "C", "B", "A"])
        self.assertEqual(stages.mapped("kam_default_probability"), [10, 25, 30, 50, 75, 100])
        self.assertEqual(stages.filtered("is_won"), stages[-1])
        negotiation = stages[4]
        names = negotiation.kam_milestone_ids.mapped("name")
        self.assertIn("Boss or project owner met", names)
        self.assertIn("Our contract template reviewed by the customer's legal side", names)
        self.assertEqual(len(names), 9, "the eight negotiation-readiness items and the signature")
        self.assertIn("60 of 100", stages[0].kam_milestone_ids.guidance)
        self.assertEqual(stages[1].kam_milestone_ids.filtered(lambda m: m.kind == "roles")[:1].role_ids.code, "coach")

    def test_applying_twice_changes_nothing(self):
        self._apply(self.new_team, self.industrial)
        stages = self._pipeline(self.new_team)
        milestones = stages.kam_milestone_ids
        self.env.flush_all()
        stamps = stages.mapped("write_date") + milestones.mapped("write_date")
        self._apply(self.new_team, self.industrial)
        self.assertEqual(self._pipeline(self.new_team), stages)
        self.assertEqual(self._pipeline(self.new_team).kam_milestone_ids, milestones)
        self.env.flush_all()
        self.assertEqual(stages.mapped("write_date") + milestones.mapped("write_date"), stamps)

    def test_tailorable_keeps_only_the_answered_stages(self):
        wizard = self._apply(self.new_team, self.tailorable, drop=("Latent-need discovery", "Commercial evaluation"))
        self.assertTrue(all(wizard.line_ids.mapped("keep_question")))
        stages = self._pipeline(self.new_team)
        self.assertEqual(len(stages), 6)
        self.assertNotIn("Commercial evaluation", stages.mapped("name"))
        self.assertEqual(stages.filtered("is_won").name, "Delivery and implementation")

    def test_dropping_the_won_stage_makes_the_last_stage_won(self):
        self._apply(
            self.new_team,
            self.tailorable,
            drop=("Delivery and implementation", "Relationship strengthening"),
        )
        stages = self._pipeline(self.new_team)
        self.assertEqual(stages.filtered("is_won"), stages[-1])
        self.assertEqual(stages[-1].name, "Negotiation and signing")

    def test_team_with_deals_maps_old_stages_and_loses_no_deal(self):
        self.env.ref("kam_sales_process.automation_stage_gate").active = True
        open_deal = self._deal_in(self.s2)
        lost = self._new_deal(stage=self.s1)
        lost.action_set_lost()
        won = self._deal_in(self.stage_won)
        deals = open_deal | lost | won
        before = self.env["crm.lead"].with_context(active_test=False).search_count([("team_id", "=", self.team.id)])
        first_stage = self.industrial.stage_ids[0]
        tender = self.industrial.stage_ids[3]
        paid = self.industrial.stage_ids[5]
        unmapped = (
            self.env["kam.process.apply"]
            .with_user(self.user_sales_manager)
            .create({"team_id": self.team.id, "template_id": self.industrial.id})
        )
        self.assertEqual(set(unmapped.map_ids.stage_id.mapped("name")), {"S1", "S2", "Won"})
        unmapped.map_ids.target_id = False
        with self.assertRaises(UserError):
            unmapped.action_apply()
        self._apply(
            self.team,
            self.industrial,
            targets={"S1": first_stage, "S2": tender, "Won": paid},
        )
        self.assertEqual(
            self.env["crm.lead"].with_context(active_test=False).search_count([("team_id", "=", self.team.id)]),
            before,
        )
        pipeline = self._pipeline(self.team)
        self.assertEqual(len(pipeline), 6, "the emptied old stages are gone")
        self.assertTrue(all(deal.stage_id in pipeline for deal in deals))
        self.assertEqual(open_deal.stage_id.kam_template_stage_id, tender, "moved forward without a refusal")
        # its stage history says so, and keeps the stays of the stages dropped
        self.assertEqual(
            open_deal.kam_stage_history_ids.sorted("id").mapped("exit_kind"), ["forward", "remapped", False]
        )
        self.assertEqual(open_deal.kam_stage_history_ids.sorted("id")[-1].stage_id, open_deal.stage_id)
        self.assertFalse(lost.active)
        self.assertTrue(won.stage_id.is_won)

    def test_only_managers_apply(self):
        with self.assertRaises(AccessError):
            self._apply(self.new_team, self.industrial, user=self.user_salesman)

    def test_the_remap_marker_cannot_come_from_a_client(self):
        self._apply(self.new_team, self.industrial)
        stages = self._pipeline(self.new_team)
        deal = self.env["crm.lead"].create(
            {"name": "Rolling mill", "type": "opportunity", "team_id": self.new_team.id, "stage_id": stages[0].id}
        )
        with self.assertRaises(UserError):
            deal.with_context(kam_stage_remap=True).write({"stage_id": stages[1].id})

    def test_template_gates_work(self):
        self._apply(self.new_team, self.industrial)
        stages = self._pipeline(self.new_team)
        deal = self.env["crm.lead"].create(
            {"name": "Blast furnace", "type": "opportunity", "team_id": self.new_team.id, "stage_id": stages[0].id}
        )
        with self.assertRaises(UserError):
            deal.stage_id = stages[1]
        deal.write(
            {f"kam_q_{code}": 6 for code in ("basic_facts", "timeline", "budget", "need", "key_person")}
            | {f"kam_q_{code}": 6 for code in ("decision_process", "competition", "strength", "product_fit", "service")}
        )
        deal.stage_id = stages[1]
        self.assertEqual(deal.stage_id, stages[1])


@tagged("post_install", "-at_install")
class TestTemplateTranslationsLater(KamGateCase):
    """Stages and milestones made from a template before a language was added take its names in that language."""

    def test_a_language_added_later_reaches_the_process(self):
        team = self.env["crm.team"].create({"name": "Export"})
        industrial = self.env.ref("kam_sales_process.process_industrial")
        wizard = self.env["kam.process.apply"].create({"team_id": team.id, "template_id": industrial.id})
        wizard.action_apply()
        stages = self.env["crm.stage"].search([("team_id", "=", team.id)])
        renamed = stages[0]
        renamed.name = "Our own first step"
        milestones = self.env["kam.milestone"].search([("stage_id", "in", stages.ids)])
        self.assertTrue(milestones)

        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["kam_sales_process"], ["zh_CN"])

        for record, source in [(s, s.kam_template_stage_id) for s in stages - renamed] + [
            (m, m.template_milestone_id) for m in milestones
        ]:
            chinese = source.with_context(lang="zh_CN").name
            self.assertNotEqual(chinese, source.with_context(lang="en_US").name, "the catalogue translates it")
            self.assertEqual(record.with_context(lang="zh_CN").name, chinese)
        # A name changed by hand stays as it was, in every language.
        self.assertEqual(renamed.with_context(lang="zh_CN").name, "Our own first step")
