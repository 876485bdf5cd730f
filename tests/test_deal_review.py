"""The weekly deal review (过堂): snapshot, scoring and ranking, verdicts, history, the not-reviewed flag, access."""

from datetime import timedelta

from freezegun import freeze_time
from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged, users

from .common import KamGateCase


class ReviewCase(KamGateCase):
    """``team`` with three salespeople — 小王 (``wang``), 小李 (``li``), 小张 (``zhang``) — and
    ``user_salesman``; the manager chairs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        group = "sales_team.group_sale_salesman"
        cls.wang = new_test_user(cls.env, login="kam_wang", groups=group, name="小王")
        cls.li = new_test_user(cls.env, login="kam_li", groups=group, name="小李")
        cls.zhang = new_test_user(cls.env, login="kam_zhang", groups=group, name="小张")
        cls.team.member_ids |= cls.wang | cls.li | cls.zhang
        cls.chair = cls.user_sales_manager

    def _review(self, **vals):
        return self.env["kam.deal.review"].with_user(self.chair).create({"team_id": self.team.id, **vals})

    def _line(self, review, deal):
        return review.line_ids.filtered(lambda line: line.lead_id == deal)


@tagged("post_install", "-at_install")
class TestReviewSnapshot(ReviewCase):
    def test_opening_a_review_loads_the_team_open_deals_with_their_snapshot(self):
        deal = self._new_deal(stage=self.s1, expected_revenue=80000, user_id=self.wang.id, kam_q_budget=3, kam_q_need=8)
        won = self._deal_in(self.stage_won)
        lost = self._new_deal(name="Lost one", user_id=self.li.id)
        lost.action_set_lost()
        other = self.env["crm.lead"].create({"name": "Elsewhere", "type": "opportunity", "team_id": self.other_team.id})
        review = self._review()
        self.assertEqual(review.line_ids.lead_id, deal, "won, lost and other teams' deals stay out")
        self.assertNotIn(won | lost | other, review.line_ids.lead_id)
        line = review.line_ids
        self.assertEqual(line.presenter_id, self.wang)
        self.assertEqual(line.stage_id, self.s1)
        self.assertEqual((line.gate_done, line.gate_total), (0, 1))
        self.assertEqual(line.unmet_milestones, "Budget known")
        self.assertEqual(line.qualification_score, deal.kam_qualification_score)
        self.assertIn("Budget", line.weak_elements)
        self.assertNotIn("Basic Need", line.weak_elements)
        self.assertEqual(line.red_flag_ids, deal.kam_red_flag_ids)
        self.assertEqual(line.grade, deal.kam_grade)
        self.assertEqual(line.expected_revenue, 80000)
        self.assertTrue(line.attention)
        self.assertEqual(line.change_note, "First review")
        # the snapshot stays what it was when the deal changes
        self._meet(deal, self.ms_budget)
        deal.write({"stage_id": self.s2.id, "expected_revenue": 120000})
        self.assertEqual((line.stage_id, line.expected_revenue), (self.s1, 80000))

    def test_each_presenter_deals_together_new_or_changed_first(self):
        old = self._new_deal(name="Old steady", user_id=self.wang.id, expected_revenue=500000)
        with freeze_time(fields.Datetime.now() - timedelta(days=7)):
            first = self._review()
            first.action_kam_close()
        moved = self._new_deal(name="Moved", user_id=self.wang.id, expected_revenue=1000)
        fresh = self._new_deal(name="Fresh", user_id=self.li.id)
        steady_changed = old  # unchanged since last week
        review = self._review()
        names = review.line_ids.mapped("lead_name")
        self.assertEqual(
            names, ["Fresh", "Moved", "Old steady"], "小李 before 小王; 小王's new deal before the steady one"
        )
        self.assertFalse(self._line(review, steady_changed).attention)
        self.assertEqual(self._line(review, steady_changed).previous_line_id, self._line(first, old))
        self.assertTrue(self._line(review, moved).attention)
        self.assertTrue(self._line(review, fresh).attention)

    def test_a_change_since_the_last_review_is_named(self):
        deal = self._new_deal(stage=self.s1, expected_revenue=100000, user_id=self.wang.id)
        with freeze_time(fields.Datetime.now() - timedelta(days=7)):
            self._review().action_kam_close()
        self._meet(deal, self.ms_budget)
        deal.write({"stage_id": self.s2.id, "expected_revenue": 120000})
        line = self._review().line_ids
        self.assertTrue(line.attention)
        self.assertEqual(line.change_note, "stage S1 → S2; revenue 100,000 → 120,000")

    def test_the_snapshot_cannot_be_forged(self):
        deal = self._new_deal(user_id=self.wang.id, expected_revenue=10)
        review = self._review()
        line = review.line_ids.with_user(self.chair)
        for field, value in (("expected_revenue", 1e9), ("stage_id", self.s4.id), ("presenter_id", self.li.id)):
            with self.subTest(field=field), self.assertRaisesRegex(UserError, "as it stood at the review"):
                line.write({field: value})
        for field, value in (("score", 100), ("review_date", "2020-01-01 00:00:00")):
            with self.subTest(field=field), self.assertRaisesRegex(UserError, "average of the participants"):
                line.write({field: value})
        with self.assertRaisesRegex(UserError, "add the deal again"):
            line.write({"lead_id": self._new_deal().id})
        # a line added by hand takes the deal's own figures whatever the client sends
        review.line_ids.unlink()
        added = (
            self.env["kam.deal.review.line"]
            .with_user(self.chair)
            .create({"review_id": review.id, "lead_id": deal.id, "expected_revenue": 1e9, "presenter_id": self.li.id})
        )
        self.assertEqual((added.expected_revenue, added.presenter_id), (10, self.wang))
        with self.assertRaisesRegex(UserError, "closed with its Close button"):
            review.with_user(self.chair).write({"state": "done"})

    def test_a_deal_is_reviewed_once_per_meeting(self):
        deal = self._new_deal(user_id=self.wang.id)
        review = self._review()
        with self.assertRaisesRegex(ValidationError, "once per meeting"):
            self.env["kam.deal.review.line"].with_user(self.chair).create(
                [{"review_id": review.id, "lead_id": deal.id}, {"review_id": review.id, "lead_id": deal.id}]
            )
        self.assertEqual(review.line_ids.lead_id, deal)
        review.action_kam_load_deals()
        self.assertEqual(len(review.line_ids), 1, "loading again adds only new deals")


@tagged("post_install", "-at_install")
class TestReviewScoring(ReviewCase):
    def test_the_seed_example_ranks_zhang_li_wang(self):
        for person in (self.wang, self.li, self.zhang):
            self._new_deal(name=f"Deal of {person.name}", user_id=person.id)
        review = self._review()
        parts = {self.wang: (30, 10, 15), self.li: (40, 15, 15), self.zhang: (45, 15, 15)}
        for line in review.line_ids:
            elements, logic, presentation = parts[line.presenter_id]
            form = Form(line.with_user(self.chair), view="kam_sales_process.kam_deal_review_line_view_form")
            with form.score_ids.new() as score:
                score.scorer_id = self.chair
                score.elements = elements
                score.logic = logic
                score.presentation = presentation
            form.save()
        self.assertEqual(
            {line.presenter_id.name: line.score for line in review.line_ids}, {"小王": 55, "小李": 70, "小张": 75}
        )
        self.assertEqual(
            [(rank.rank, rank.presenter_id.name, rank.score) for rank in review.rank_ids],
            [(1, "小张", 75.0), (2, "小李", 70.0), (3, "小王", 55.0)],
        )
        review.action_kam_close()
        summary = review.message_ids[0].body
        self.assertIn("3 presenters scored", summary)
        # every participant reads the review's chatter: it names no presenter's rank or score (attack of 12-07)
        for name in ("小张", "小李", "小王", "75", "55"):
            self.assertNotIn(name, summary)
        own = review.rank_ids.with_user(self.wang).search([("review_id", "=", review.id)])
        self.assertEqual([(rank.presenter_id.name, rank.rank) for rank in own], [("小王", 3)])

    def test_a_presenter_score_is_the_average_of_every_participant_total(self):
        deal = self._new_deal(user_id=self.wang.id)
        review = self._review()
        line = self._line(review, deal).with_user(self.chair)
        Score = self.env["kam.deal.review.score"].with_user(self.chair)
        Score.create({"line_id": line.id, "scorer_id": self.li.id, "elements": 40, "logic": 15, "presentation": 15})
        Score.create({"line_id": line.id, "scorer_id": self.zhang.id, "elements": 30, "logic": 10, "presentation": 10})
        self.assertEqual(line.score, 60)
        self.assertEqual(review.rank_ids.mapped("score"), [60.0])
        self.assertEqual(review.rank_ids.score_count, 2)

    def test_out_of_range_scores_and_outsiders_are_refused(self):
        deal = self._new_deal(user_id=self.wang.id)
        line = self._line(self._review(), deal)
        Score = self.env["kam.deal.review.score"].with_user(self.chair)
        for parts in ((61, 0, 0), (0, 21, 0), (0, 0, 21), (-1, 0, 0)):
            with (
                self.subTest(parts=parts),
                self.assertRaisesRegex(ValidationError, "0-60 for the 7\\+3"),
                self.env.cr.savepoint(),
            ):
                Score.create({"line_id": line.id, "elements": parts[0], "logic": parts[1], "presentation": parts[2]})
        with self.assertRaisesRegex(ValidationError, "does not take part"), self.env.cr.savepoint():
            Score.create({"line_id": line.id, "scorer_id": self.user_employee.id, "elements": 1})
        with self.assertRaisesRegex(UserError, "sum of the three parts"):
            Score.create({"line_id": line.id, "elements": 1, "total": 100})
        score = Score.create({"line_id": line.id, "elements": 1})
        with self.assertRaisesRegex(UserError, "sum of the three parts"):
            score.write({"total": 100})


@tagged("post_install", "-at_install")
class TestReviewVerdicts(ReviewCase):
    def test_closing_makes_next_steps_activities_and_posts_a_summary_on_each_deal(self):
        deal = self._new_deal(user_id=self.wang.id)
        quiet = self._new_deal(name="Quiet", user_id=self.li.id)
        review = self._review()
        with Form(
            self._line(review, deal).with_user(self.chair), view="kam_sales_process.kam_deal_review_line_view_form"
        ) as form:
            form.company_need = "Cut downtime of the rolling mill"
            form.personal_need = "The plant manager wants the promotion"
            form.sales_need = "Two lines this year, three next"
            form.verdict = "push"
            form.next_step = "Meet the CFO with the ROI sheet"
        review.with_user(self.chair).action_kam_close()
        self.assertEqual(review.state, "done")
        activity = deal.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.wang)
        self.assertEqual(activity.summary, "Deal review: Push")
        self.assertIn("Meet the CFO", str(activity.note))
        self.assertEqual(activity.date_deadline, (review.date + timedelta(days=7)).date())
        self.assertFalse(quiet.activity_ids, "no next step, no activity")
        note = deal.message_ids[0]
        self.assertIn("Deal review", note.body)
        self.assertIn("Cut downtime of the rolling mill", note.body)
        self.assertIn("Push", note.body)
        self.assertIn("Deal review", quiet.message_ids[0].body)
        self.assertEqual(deal.kam_review_line_ids.verdict, "push")
        self.assertEqual(deal.kam_last_review_date, review.date)
        # stored when the review closes: opening the deal reads no review line
        deal.invalidate_recordset()
        deal.mapped("stage_id.is_won")  # the deal's row and its stage, as the form reads them
        deal._kam_get_review_cutoff()  # Settings, cached
        with self.assertQueryCount(0):
            self.assertEqual((deal.kam_last_review_date, deal.kam_review_overdue), (review.date, False))
        with self.assertRaises(UserError):
            deal.with_user(self.wang).write({"kam_last_review_date": "2020-01-01 00:00:00"})

    def test_a_closed_review_is_kept_as_it_was(self):
        deal = self._new_deal(user_id=self.wang.id)
        review = self._review()
        line = self._line(review, deal).with_user(self.chair)
        line.verdict = "hold"
        review.with_user(self.chair).action_kam_close()
        with self.assertRaisesRegex(UserError, "closed review is kept"):
            line.verdict = "drop"
        with self.assertRaisesRegex(UserError, "closed review is kept"):
            review.with_user(self.chair).unlink()
        with self.assertRaisesRegex(UserError, "closed review is kept"):
            line.unlink()
        with self.assertRaisesRegex(UserError, "closed review is kept"):
            self.env["kam.deal.review.score"].with_user(self.chair).create({"line_id": line.id, "elements": 10})
        with self.assertRaisesRegex(UserError, "already closed"):
            review.with_user(self.chair).action_kam_close()
        # the Close button's marker is no context key a client can send
        other = self._review()
        for marker in (True, 1, "1", {"closing": True}):
            with self.subTest(marker=marker), self.assertRaisesRegex(UserError, "Close button"):
                other.with_user(self.chair).with_context(kam_review_closing=marker).write({"state": "done"})
        self.assertEqual(other.state, "open")
        with self.assertRaisesRegex(UserError, "no more deals"):
            review.with_user(self.chair).action_kam_load_deals()
        # what was said three months ago is still there, even once the deal is gone
        with freeze_time(fields.Datetime.now() + timedelta(days=92)):
            deal.unlink()
            self.assertEqual(line.verdict, "hold")
            self.assertEqual(line.lead_name, "Steel plant retrofit")

    def test_a_deal_not_reviewed_for_n_weeks_is_flagged(self):
        self.env["ir.config_parameter"].set_param("kam_sales_process.review_weeks", 2)
        reviewed = self._new_deal(name="Reviewed", user_id=self.wang.id)
        forgotten = self._new_deal(name="Forgotten", user_id=self.wang.id)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = create_date - interval '30 days' WHERE id IN %s",
            [(reviewed | forgotten)._ids],
        )
        fresh = self._new_deal(name="Fresh", user_id=self.wang.id)
        review = self._review()
        review.line_ids.filtered(lambda line: line.lead_id != reviewed).unlink()
        review.action_kam_close()
        (reviewed | forgotten | fresh).invalidate_recordset()
        self.assertEqual(
            {deal.name: deal.kam_review_overdue for deal in reviewed | forgotten | fresh},
            {"Reviewed": False, "Forgotten": True, "Fresh": False},
        )
        Lead = self.env["crm.lead"]
        scope = [("team_id", "=", self.team.id)]
        self.assertEqual(Lead.search([*scope, ("kam_review_overdue", "=", True)]), forgotten)
        self.assertEqual(Lead.search([*scope, ("kam_review_overdue", "=", False)]), reviewed | fresh)
        self.env["ir.config_parameter"].set_param("kam_sales_process.review_weeks", 0)
        self.assertFalse(Lead.search([*scope, ("kam_review_overdue", "=", True)]))
        with self.assertRaisesRegex(UserError, "is set"):
            Lead.search([("kam_review_overdue", "in", [True])])


@tagged("post_install", "-at_install")
class TestReviewAccess(ReviewCase):
    def test_a_salesperson_reads_their_own_lines_only_and_cannot_run_a_review(self):
        mine = self._new_deal(name="Mine", user_id=self.wang.id)
        theirs = self._new_deal(name="Theirs", user_id=self.li.id)
        review = self._review()
        self._line(review, theirs).score_ids = [(0, 0, {"scorer_id": self.chair.id, "elements": 50})]
        self.env.invalidate_all()
        as_wang = review.with_user(self.wang)
        Line = self.env["kam.deal.review.line"].with_user(self.wang)
        self.assertEqual(Line.search([("review_id", "=", review.id)]).lead_id, mine)
        self.assertEqual(as_wang.read(["name"])[0]["name"], review.name, "he took part: he reads the meeting")
        with self.assertRaises(AccessError, msg="the meeting's list of deals is the chair's"):
            as_wang.read(["line_ids"])
        with self.assertRaises(AccessError):
            as_wang.read(["rank_ids"])
        self.assertFalse(self.env["kam.deal.review.rank"].with_user(self.wang).search([]), "小李's rank is not his")
        # his deal's form shows its review history
        mine.with_user(self.wang).web_read({"kam_review_line_ids": {"fields": {"verdict": {}, "score": {}}}})
        with self.assertRaises(AccessError):
            self._line(review, theirs).with_user(self.wang).read(["verdict"])
        self.assertFalse(self.env["kam.deal.review.score"].with_user(self.wang).search([]))
        with self.assertRaises(AccessError):
            self._line(review, theirs).score_ids.with_user(self.wang).read(["total"])
        with self.assertRaises(AccessError):
            self._line(review, mine).with_user(self.wang).write({"verdict": "push"})
        with self.assertRaises(AccessError):
            self.env["kam.deal.review"].with_user(self.wang).create({"team_id": self.team.id})
        with self.assertRaisesRegex(UserError, "Only a sales manager"):
            as_wang.action_kam_close()
        with self.assertRaises(AccessError):
            mine.with_user(self.wang).write({"kam_review_line_ids": [(0, 0, {"review_id": review.id})]})

    def test_a_colleague_review_is_not_readable(self):
        other_team = self.env["crm.team"].create({"name": "North", "member_ids": [(4, self.li.id)]})
        self._new_deal(name="North deal", user_id=self.li.id, team_id=other_team.id)
        review = self.env["kam.deal.review"].with_user(self.chair).create({"team_id": other_team.id})
        self.assertFalse(self.env["kam.deal.review"].with_user(self.wang).search([("id", "=", review.id)]))
        with self.assertRaises(AccessError):
            review.with_user(self.wang).read(["name"])

    @users("kam_wang")
    def test_a_salesperson_reads_what_the_reviews_said_of_their_deal(self):
        deal = self._new_deal(user_id=self.wang.id).with_user(self.wang)
        review = self._review()
        review.line_ids.with_user(self.chair).write({"verdict": "push", "next_step": "Call the CFO"})
        review.with_user(self.chair).action_kam_close()
        self.assertEqual(deal.kam_review_line_ids.mapped("verdict"), ["push"])
        self.assertEqual(deal.kam_last_review_date, review.date)


@tagged("post_install", "-at_install")
class TestReviewPerformance(ReviewCase):
    def _open(self, count):
        self.env["crm.lead"].create(
            [
                {"name": f"Deal {i}", "type": "opportunity", "team_id": self.team.id, "user_id": user.id}
                for i, user in zip(range(count), [self.wang, self.li, self.zhang] * count, strict=False)
            ]
        )
        self.env.invalidate_all()
        with _QueryCounter(self.env.cr) as counter:
            review = self._review()
            self.env.invalidate_all()
            review.with_user(self.chair).web_read(self._spec())
        return counter.count, review

    def _spec(self):
        line_fields = {
            name: {}
            for name in (
                "sequence", "attention", "lead_name", "stage_id", "gate_done", "gate_total", "qualification_score",
                "grade", "days_in_stage", "expected_revenue", "change_note", "score", "verdict", "next_step",
            )
        }  # fmt: skip
        line_fields["presenter_id"] = {"fields": {"display_name": {}}}
        line_fields["red_flag_ids"] = {"fields": {"display_name": {}, "color": {}}}
        return {
            "name": {},
            "team_id": {"fields": {"display_name": {}}},
            "participant_ids": {"fields": {"display_name": {}}},
            "line_count": {},
            "state": {},
            "line_ids": {"fields": line_fields},
            "rank_ids": {"fields": {"rank": {}, "score": {}, "presenter_id": {"fields": {"display_name": {}}}}},
        }

    def test_opening_a_review_of_50_deals_costs_as_many_queries_as_of_5(self):
        self._open(3)  # warm the caches
        self.env["kam.deal.review"].search([]).unlink()
        self.env["crm.lead"].search([("team_id", "=", self.team.id)]).unlink()
        small, review = self._open(5)
        self.assertEqual(len(review.line_ids), 5)
        review.line_ids.unlink()
        review.unlink()
        self.env["crm.lead"].search([("team_id", "=", self.team.id)]).unlink()
        large, review = self._open(50)
        self.assertEqual(len(review.line_ids), 50)
        self.assertEqual(large, small, f"5 deals: {small} queries, 50 deals: {large}")


class _QueryCounter:
    def __init__(self, cr):
        self.cr = cr
        self.count = 0

    def __enter__(self):
        self.cr.flush()
        self.start = self.cr.sql_log_count
        return self

    def __exit__(self, *exc):
        self.cr.flush()
        self.count = self.cr.sql_log_count - self.start
