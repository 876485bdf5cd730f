"""Stage history: one row per stay, written with the moves, back-filled from Odoo's tracking."""

from datetime import timedelta
from unittest.mock import patch

from lxml import etree
from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from ..models.kam_stage_history import StageExit, stage_exit
from .common import KamCase, KamGateCase


class FunnelCase(KamCase):
    """A team with a four-stage pipeline and no milestone: ``s1`` … ``s3`` then ``won``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.other_team = env["crm.team"].create({"name": "Other Team"})
        env["crm.stage"].search([]).write({"team_id": cls.other_team.id})
        cls.team = env["crm.team"].create(
            {"name": "Funnel Team", "user_id": cls.user_sales_manager.id, "member_ids": [(4, cls.user_salesman.id)]}
        )
        Stage = env["crm.stage"]
        cls.s1, cls.s2, cls.s3 = (
            Stage.create({"name": f"F{i}", "sequence": i, "team_id": cls.team.id}) for i in range(1, 4)
        )
        cls.won = Stage.create({"name": "Won", "sequence": 50, "is_won": True, "team_id": cls.team.id})

    def _deal(self, stage=None, **vals):
        return self.env["crm.lead"].create(
            {
                "name": "Boiler upgrade",
                "type": "opportunity",
                "team_id": self.team.id,
                "user_id": self.user_salesman.id,
                "stage_id": (stage or self.s1).id,
                **vals,
            }
        )

    @staticmethod
    def _stays(deal):
        return [
            (stay.stage_id.name, stay.exit_kind or "", bool(stay.date_out))
            for stay in deal.kam_stage_history_ids.sorted("id")
        ]


class TestStageHistory(FunnelCase):
    def test_each_stay_is_a_row_closed_with_how_it_ended(self):
        deal = self._deal()
        self.assertEqual(self._stays(deal), [("F1", "", False)])
        deal.stage_id = self.s2
        deal.stage_id = self.s1
        deal.stage_id = self.s3
        deal.stage_id = self.won
        self.assertEqual(
            self._stays(deal),
            [("F1", "forward", True), ("F2", "back", True), ("F1", "forward", True), ("F3", "won", True)],
        )
        # reopened from won: a new stay
        deal.stage_id = self.s3
        self.assertEqual(self._stays(deal)[-1], ("F3", "", False))
        closed = deal.kam_stage_history_ids.filtered("date_out")
        self.assertTrue(all(stay.days >= 0 for stay in closed))

    def test_lost_and_archived_deals_end_their_stay_and_a_restore_starts_one(self):
        lost, archived = self._deal(), self._deal()
        lost.action_set_lost()
        archived.action_archive()
        for deal in (lost, archived):
            self.assertEqual(self._stays(deal), [("F1", "lost", True)])
        lost.action_unarchive()
        self.assertEqual(self._stays(lost), [("F1", "lost", True), ("F1", "", False)])

    def test_a_deal_created_won_or_as_a_lead_has_no_stay_until_it_is_in_the_funnel(self):
        won = self._deal(stage=self.won)
        self.assertFalse(won.kam_stage_history_ids)
        lead = self.env["crm.lead"].create({"name": "Cold lead", "type": "lead", "team_id": self.team.id})
        self.assertFalse(lead.kam_stage_history_ids)
        lead.convert_opportunity(lead.partner_id)
        self.assertEqual(len(lead.kam_stage_history_ids), 1)
        self.assertFalse(lead.kam_stage_history_ids.date_out)

    def test_a_new_salesperson_or_team_carries_the_open_stay(self):
        deal = self._deal()
        deal.user_id = self.user_sales_all
        self.assertEqual(deal.kam_stage_history_ids.user_id, self.user_sales_all)
        self.assertEqual(len(deal.kam_stage_history_ids), 1)

    def test_a_batch_move_is_logged_in_at_most_three_queries(self):
        deals = self.env["crm.lead"].create(
            [
                {"name": f"Deal {i}", "type": "opportunity", "team_id": self.team.id, "stage_id": self.s1.id}
                for i in range(1000)
            ]
        )
        self.env.flush_all()

        def move(stage):
            deals.invalidate_recordset()
            before = self.env.cr.sql_log_count
            deals.write({"stage_id": stage.id})
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        History = type(self.env["kam.stage.history"])
        with patch.object(History, "_kam_log", lambda *args, **kwargs: None):
            without = move(self.s2)
        with_history = move(self.s3)
        self.assertLessEqual(with_history - without, 3)
        stays = self.env["kam.stage.history"].search([("lead_id", "in", deals.ids)])
        self.assertEqual(len(stays.filtered(lambda s: s.stage_id == self.s3 and not s.date_out)), 1000)
        self.assertEqual(len(stays.filtered(lambda s: s.exit_kind == "forward")), 1000)

    def test_only_the_moves_write_the_history(self):
        deal = self._deal()
        stay = deal.kam_stage_history_ids
        History = self.env["kam.stage.history"]
        for user in (self.user_salesman, self.user_sales_manager):
            with self.subTest(user=user.login):
                with self.assertRaises(UserError):
                    History.with_user(user).create(
                        {"lead_id": deal.id, "stage_id": self.s3.id, "date_in": "2026-01-01"}
                    )
                with self.assertRaises(UserError):
                    stay.with_user(user).write({"exit_kind": "won"})
        # a context sent by a client cannot relabel a move
        forged = self.env["crm.lead"].with_context(kam_stage_exit={"kind": "forced"}).browse(deal.id)
        self.assertIsNone(stage_exit(forged.env))
        forged.stage_id = self.s2
        self.assertEqual(self._stays(deal)[0][1], "forward")

    def test_a_remapped_move_says_so(self):
        deal = self._deal()
        deal.with_context(kam_stage_exit=StageExit("remapped")).stage_id = self.s3
        self.assertEqual(self._stays(deal)[0][1], "remapped")

    def test_salespeople_read_the_history_of_their_own_deals(self):
        mine = self._deal()
        theirs = self._deal(user_id=self.user_sales_all.id)
        History = self.env["kam.stage.history"]
        seen = History.with_user(self.user_salesman).search([("lead_id", "in", (mine | theirs).ids)])
        self.assertEqual(seen.lead_id, mine)
        seen = History.with_user(self.user_sales_manager).search([("lead_id", "in", (mine | theirs).ids)])
        self.assertEqual(seen.lead_id, mine | theirs)


class TestStageHistoryBackfill(FunnelCase):
    def test_the_backfill_rebuilds_the_stays_from_the_stage_tracking(self):
        moving, lost, won = self._deal(), self._deal(), self._deal()
        self.env.flush_all()
        self.env.cr.precommit.run()
        for deal, path in ((moving, [self.s2, self.s1, self.s3]), (lost, [self.s2]), (won, [self.s2, self.won])):
            for stage in path:
                deal.stage_id = stage
                self.env.flush_all()
                self.env.cr.precommit.run()  # the tracking values are written here
        lost.action_set_lost()
        self.env.flush_all()
        self.env.cr.precommit.run()
        deals = moving | lost | won
        live = {deal.id: self._stays(deal) for deal in deals}
        self.env["kam.stage.history"].search([("lead_id", "in", deals.ids)]).sudo().unlink()
        self.env["kam.stage.history"].invalidate_model()
        count = self.env["kam.stage.history"]._kam_backfill()
        self.assertEqual(count, 8)
        deals.invalidate_recordset()
        for deal in deals:
            with self.subTest(deal=deal.id):
                self.assertEqual(self._stays(deal), live[deal.id])
                self.assertTrue(all(deal.kam_stage_history_ids.mapped("backfilled")))

    def test_the_backfill_leaves_deals_with_history_alone(self):
        deal = self._deal()
        self.assertEqual(self.env["kam.stage.history"]._kam_backfill(), 0)
        self.assertEqual(len(deal.kam_stage_history_ids), 1)


class TestForcedStays(KamGateCase):
    def test_a_stage_forced_by_a_manager_ends_the_stay_as_forced(self):
        deal = self._new_deal(stage=self.s1)
        wizard = Form(
            self.env["kam.stage.override"]
            .with_user(self.user_sales_manager)
            .with_context(active_model="crm.lead", active_ids=deal.ids)
        )
        wizard.stage_id = self.s3
        wizard.reason = "Framework contract signed at group level"
        wizard.save().action_confirm()
        stays = deal.kam_stage_history_ids.sorted("id")
        self.assertEqual(stays.mapped("exit_kind"), ["forced", False])
        self.assertEqual(stays[-1].stage_id, self.s3)


@tagged("post_install", "-at_install")
class TestStuckDeals(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.s1.kam_max_days = 10
        cls.s2.kam_max_days = 30

    def _age(self, deal, days):
        """Time passes: the deal entered its stage ``days`` ago (nothing is recomputed but by the daily run)."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET date_last_stage_update = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=days), deal.id],
        )
        deal.invalidate_recordset(["date_last_stage_update"])

    def test_a_deal_longer_in_its_stage_than_allowed_is_flagged_with_one_activity_and_one_digest(self):
        stuck, fresh, other = self._deal(), self._deal(), self._deal(stage=self.s2)
        self._age(stuck, 11)
        self._age(fresh, 3)
        self._age(other, 11)
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.assertEqual((stuck | fresh | other).filtered("kam_is_stuck"), stuck)
        self.assertEqual(
            self.env["crm.lead"].search([("kam_is_stuck", "=", True), ("team_id", "=", self.team.id)]), stuck
        )
        stuck.invalidate_recordset(["activity_ids"])
        activity = stuck.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.user_salesman)
        self.assertIn("F1", activity.summary)
        digest = self.env["mail.activity"].search([("res_model", "=", "crm.team"), ("res_id", "=", self.team.id)])
        self.assertEqual(len(digest), 1)
        self.assertEqual(digest.user_id, self.user_sales_manager)
        self.assertIn("Boiler upgrade", str(digest.note))
        # the next day: nothing new, nothing twice
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.assertEqual(len(stuck.activity_ids), 1)
        # moving on clears the flag
        stuck.stage_id = self.s2
        self.assertFalse(stuck.kam_is_stuck)

    def test_a_team_limit_replaces_the_stage_limit(self):
        deal = self._deal()
        self._age(deal, 11)
        self.env["kam.stage.team.limit"].create({"stage_id": self.s1.id, "team_id": self.team.id, "max_days": 20})
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.assertFalse(deal.kam_is_stuck)
        self._age(deal, 21)
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.assertTrue(deal.kam_is_stuck)
        # the limit lifted: no longer stuck
        self.s1.kam_team_limit_ids.max_days = 0
        self.s1.kam_max_days = 0
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.assertFalse(deal.kam_is_stuck)

    def test_an_automation_rule_reacts_when_a_deal_becomes_stuck(self):
        field = self.env["ir.model.fields"]._get("crm.lead", "kam_is_stuck")
        self.env["base.automation"].create(
            {
                "name": "Stuck deals get top priority",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "trigger": "on_create_or_write",
                "trigger_field_ids": [(6, 0, field.ids)],
                "filter_domain": "[('kam_is_stuck', '=', True)]",
                "action_server_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Top priority",
                            "model_id": self.env["ir.model"]._get_id("crm.lead"),
                            "state": "code",
                            "code": "records.write({'priority': '3'})",
                        },
                    )
                ],
            }
        )
        deal = self._deal()
        self._age(deal, 15)
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.assertEqual(deal.priority, "3")

    def test_clients_cannot_set_the_flag(self):
        deal = self._deal()
        with self.assertRaises(UserError):
            deal.with_user(self.user_salesman).write({"kam_is_stuck": True})


@tagged("post_install", "-at_install")
class TestDealFormOpensHistoryOnDemand(KamCase):
    def test_the_form_reads_no_stay_nor_review_and_the_buttons_open_them(self):
        arch = self.env["crm.lead"].get_views([(False, "form")])["views"]["form"]["arch"]
        names = {node.get("name") for node in etree.fromstring(arch).iter("field")}
        self.assertNotIn("kam_stage_history_ids", names, "the deal form loads no stage history")
        self.assertNotIn("kam_review_line_ids", names, "the deal form loads no review lines")
        deal = self.env["crm.lead"].create({"name": "On demand", "type": "opportunity"})
        history = deal.action_kam_open_stage_history()
        self.assertEqual(self.env["kam.stage.history"].search(history["domain"]), deal.kam_stage_history_ids)
        self.assertTrue(deal.kam_stage_history_ids)
        reviews = deal.action_kam_open_reviews()
        self.assertEqual(reviews["res_model"], "kam.deal.review.line")
        self.assertEqual(reviews["domain"], [("lead_id", "=", deal.id)])
