"""Milestone configuration and per-deal rows: kinds, evidence, who may do what."""

from datetime import timedelta
from unittest.mock import patch

from lxml import etree
from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged, users
from odoo.tools import mute_logger

from .common import KamGateCase


@tagged("post_install", "-at_install")
class TestMilestoneConfiguration(KamGateCase):
    def _condition(self, domain):
        return self.env["kam.milestone"].create(
            {"name": "Deadline set", "stage_id": self.s1.id, "kind": "condition", "condition_domain": domain}
        )

    def test_a_malformed_domain_is_refused_with_a_clear_message(self):
        with self.assertRaises(ValidationError) as refusal:
            self._condition("[('date_deadline', '!=', False")
        self.assertIn("Deadline set", str(refusal.exception))
        self.assertIn("not a valid domain", str(refusal.exception))

    def test_an_unknown_field_is_refused(self):
        with self.assertRaises(ValidationError) as refusal:
            self._condition("[('no_such_field', '=', 1)]")
        self.assertIn("no_such_field", str(refusal.exception))

    def test_a_valid_domain_is_kept(self):
        milestone = self._condition("[('date_deadline', '!=', False)]")
        self.assertEqual(milestone._get_domain(), [("date_deadline", "!=", False)])

    def test_roles_and_activity_kinds_need_their_settings(self):
        with self.assertRaises(ValidationError):
            self.env["kam.milestone"].create({"name": "Roles", "stage_id": self.s1.id, "kind": "roles"})
        with self.assertRaises(ValidationError):
            self.env["kam.milestone"].create({"name": "Demo", "stage_id": self.s1.id, "kind": "activity"})

    def test_the_stage_form_lists_and_adds_milestones(self):
        with Form(self.s2, view="crm.crm_stage_form") as stage_form, stage_form.kam_milestone_ids.new() as line:
            line.name = "Site visit done"
        self.assertIn("Site visit done", self.s2.kam_milestone_ids.mapped("name"))
        self.assertEqual(self.s2.kam_milestone_count, 2)

    @users("kam_salesman")
    def test_salespeople_read_but_do_not_configure_milestones(self):
        milestone = self.ms_budget.with_user(self.env.user)
        self.assertEqual(milestone.name, "Budget known")
        with self.assertRaises(AccessError):
            milestone.name = "Renamed"
        with self.assertRaises(AccessError):
            self.env["kam.milestone"].create({"name": "Mine", "stage_id": self.s1.id})


@tagged("post_install", "-at_install")
class TestDealMilestones(KamGateCase):
    def setUp(self):
        super().setUp()
        self.deal = self._new_deal(stage=self.s1)

    def test_ticking_stamps_who_and_when(self):
        row = self._row(self.deal, self.ms_budget).with_user(self.user_salesman)
        row.action_done()
        self.assertEqual(row.state, "done")
        self.assertEqual(row.done_by_id, self.user_salesman)
        self.assertTrue(row.done_date)
        row.action_reset()
        self.assertEqual(row.state, "todo")
        self.assertFalse(row.done_by_id)

    def test_evidence_is_required_where_configured(self):
        row = self._row(self.deal, self.ms_coach).with_user(self.user_salesman)
        with self.assertRaises(UserError) as refusal:
            row.action_done()
        self.assertIn("Coach found", str(refusal.exception))
        row.attachment_ids = [
            (0, 0, {"name": "org-chart.txt", "raw": b"CEO > CTO > plant manager", "res_model": "kam.lead.milestone"})
        ]
        row.action_done()
        self.assertEqual(row.state, "done")

    def test_only_checklist_items_are_ticked_by_hand(self):
        row = self._row(self.deal, self.ms_revenue)
        with self.assertRaises(UserError):
            row.action_done()

    def test_nobody_sets_a_state_by_editing_it(self):
        row = self._row(self.deal, self.ms_budget).with_user(self.user_salesman)
        with self.assertRaises(UserError):
            row.write({"state": "done"})
        with self.assertRaises(UserError):
            row.with_context(kam_gate_override=True, active_test=False).write({"state": "waived"})
        self.assertEqual(row.state, "todo")

    def test_a_salesperson_may_not_waive(self):
        row = self._row(self.deal, self.ms_budget).with_user(self.user_salesman)
        with self.assertRaises(AccessError):
            row.action_waive("The boss said so")

    def test_a_manager_waives_with_a_reason(self):
        row = self._row(self.deal, self.ms_budget).with_user(self.user_sales_manager)
        with self.assertRaises(UserError):
            row.action_waive("  ")
        row.action_waive("Framework agreement covers the budget")
        self.assertEqual(row.state, "waived")
        self.assertEqual(row.waive_reason, "Framework agreement covers the budget")
        self.assertTrue(self.deal.kam_gate_open)

    def test_a_salesperson_does_not_tick_someone_elses_deal(self):
        other = new_user = self.env["res.users"].create(
            {
                "name": "Other Salesman",
                "login": "kam_other_salesman",
                "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        self.deal.user_id = new_user
        row = self._row(self.deal, self.ms_budget).with_user(self.user_salesman)
        with self.assertRaises(AccessError):
            row.action_done()
        self.assertTrue(other)

    def test_roles_milestone_follows_the_buying_centre(self):
        coach = self.env.ref("kam_sales_process.role_coach")
        decision = self.env.ref("kam_sales_process.role_decision_maker")
        milestone = self.env["kam.milestone"].create(
            {
                "name": "Coach and decision maker met",
                "stage_id": self.s1.id,
                "kind": "roles",
                "role_ids": [(6, 0, (coach | decision).ids)],
                "require_contacted": True,
            }
        )
        row = self._row(self.deal, milestone)
        self.assertEqual(row.state, "todo")
        person = self.env["res.partner"].create({"name": "Li Wei"})
        boss = self.env["res.partner"].create({"name": "Zhang Min"})
        stakeholders = self.env["kam.stakeholder"].create(
            [
                {"lead_id": self.deal.id, "partner_id": person.id, "role_ids": [(6, 0, coach.ids)]},
                {"lead_id": self.deal.id, "partner_id": boss.id, "role_ids": [(6, 0, decision.ids)]},
            ]
        )
        self.assertEqual(row.state, "todo", "identified but never contacted")
        stakeholders.write({"last_contact_date": "2026-11-02"})
        self.assertEqual(row.state, "done")
        stakeholders[1].unlink()
        self.assertEqual(row.state, "todo")

    def test_a_contact_whose_evidence_is_gone_no_longer_meets_a_roles_milestone(self):
        # The contact of a stakeholder is read from meetings and e-mails: deleting or
        # changing them is an input of the gate as much as adding them.
        decision = self.env.ref("kam_sales_process.role_decision_maker")
        milestone = self.env["kam.milestone"].create(
            {
                "name": "Decision maker met",
                "stage_id": self.s1.id,
                "kind": "roles",
                "role_ids": [(6, 0, decision.ids)],
                "require_contacted": True,
            }
        )
        self._meet(self.deal, self.ms_budget)
        boss = self.env["res.partner"].create({"name": "Zhang Min", "email": "zhang.min@example.com"})
        stakeholder = self.env["kam.stakeholder"].create(
            {"lead_id": self.deal.id, "partner_id": boss.id, "role_ids": [(6, 0, decision.ids)]}
        )
        row = self._row(self.deal, milestone)
        seller = self.env["calendar.event"].with_user(self.user_salesman)
        yesterday = fields.Datetime.now() - timedelta(days=1)

        def meeting():
            stop = yesterday + timedelta(hours=1)
            return seller.create({"name": "Steering", "start": yesterday, "stop": stop, "partner_ids": boss.ids})

        def email():
            return self.deal.message_post(body="Agreed", author_id=boss.id, message_type="email")

        def note_to_boss():
            return self.deal.with_user(self.user_salesman).message_post(
                body="Sent the offer", message_type="comment", partner_ids=boss.ids
            )

        someone_else = self.user_salesman.partner_id
        for name, make, undo in (
            ("meeting deleted", meeting, lambda event: event.unlink()),
            ("meeting without them", meeting, lambda event: event.write({"partner_ids": [(5,)]})),
            ("meeting archived", meeting, lambda event: event.with_user(self.user_salesman).action_archive()),
            (
                "meeting left from their side",
                meeting,
                lambda event: boss.with_user(self.user_salesman).write({"meeting_ids": [(3, event.id)]}),
            ),
            ("e-mail deleted", email, lambda message: message.unlink()),
            ("comment to them deleted", note_to_boss, lambda message: message.unlink()),
            ("comment no longer to them", note_to_boss, lambda message: message.write({"partner_ids": [(5,)]})),
            ("e-mail from someone else", email, lambda message: message.write({"author_id": someone_else.id})),
        ):
            with self.subTest(name):
                evidence = make()
                self.assertTrue(stakeholder.contacted)
                self.assertEqual(row.state, "done")
                undo(evidence)
                self.assertFalse(stakeholder.contacted)
                self.assertFalse(stakeholder.last_contact_date)
                self.assertEqual(row.state, "todo")
                with self.assertRaises(UserError) as refusal:
                    self.deal.with_user(self.user_salesman).write({"stage_id": self.s2.id})
                self.assertIn("Decision maker met", str(refusal.exception))

    def test_a_contact_is_not_what_a_salesperson_writes_on_someone_elses_behalf(self):
        # A message counts as one from a person when it came in (the mail gateway) or when they
        # posted it themselves, not when a salesperson posts it with them as author; a message whose
        # author, recipients, date or type a user changed after posting counts for nobody. What a
        # salesperson asserts is the last contact date set by hand, which is stamped and logged.
        decision = self.env.ref("kam_sales_process.role_decision_maker")
        milestone = self.env["kam.milestone"].create(
            {"name": "Decision maker met", "stage_id": self.s1.id, "kind": "roles",
             "role_ids": [(6, 0, decision.ids)], "require_contacted": True}
        )  # fmt: skip
        self._meet(self.deal, self.ms_budget)
        boss = self.env["res.partner"].create({"name": "Zhang Min", "email": "zhang.min@example.com"})
        stakeholder = self.env["kam.stakeholder"].create(
            {"lead_id": self.deal.id, "partner_id": boss.id, "role_ids": [(6, 0, decision.ids)]}
        )
        row = self._row(self.deal, milestone)
        deal = self.deal.with_user(self.user_salesman)
        someone = self.env["res.partner"].create({"name": "Wang Fang", "email": "wang.fang@example.com"})
        incoming = self.deal.message_post(body="Re: offer", author_id=someone.id, message_type="email")
        note = deal.message_post(body="Called", message_type="comment", subtype_xmlid="mail.mt_note")

        def mail(name):
            return (
                f"From: Zhang Min <{boss.email}>\r\nTo: sales@example.com\r\nSubject: Re: offer\r\n"
                f"Message-ID: <{name}-{self.deal.id}@example.com>\r\nContent-Type: text/plain\r\n\r\nWe agree.\r\n"
            )

        forgeries = {
            "note as them": lambda: deal.message_post(body="x", message_type="comment", author_id=boss.id),
            "e-mail as them": lambda: deal.message_post(body="x", message_type="email", author_id=boss.id),
            "note now by them": lambda: note.with_user(self.user_salesman).write({"author_id": boss.id}),
            "note now to them": lambda: note.with_user(self.user_salesman).write({"partner_ids": [(4, boss.id)]}),
            "e-mail now from them": lambda: incoming.with_user(self.user_salesman).write({"author_id": boss.id}),
            "flag cleared": lambda: incoming.with_user(self.user_salesman).write({"kam_contact_excluded": False}),
            "message made to them": lambda: (
                self.env["mail.message"]
                .with_user(self.user_salesman)
                .create(
                    {
                        "model": "crm.lead",
                        "res_id": self.deal.id,
                        "message_type": "comment",
                        "body": "x",
                        "partner_ids": [(4, boss.id)],
                    }
                )
            ),
            "private message made to them": lambda: (
                self.env["mail.message"]
                .with_user(self.user_salesman)
                .create(
                    {"message_type": "email", "body": "x", "partner_ids": [(4, boss.id)], "kam_contact_excluded": False}
                )
            ),
            "e-mail from them injected": lambda: (
                self.env["mail.thread"]
                .with_user(self.user_salesman)
                .message_process("crm.lead", mail("forged"), thread_id=self.deal.id)
            ),
            # addressed to them, but it reached nobody: scheduled for later, or they have no address
            "e-mail to them scheduled for 2100": lambda: deal.message_post(
                body="x",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=boss.ids,
                scheduled_date="2100-01-01 00:00:00",
            ),
            "e-mail to them that bounced": lambda: (
                deal.message_post(
                    body="x", message_type="comment", subtype_xmlid="mail.mt_comment", partner_ids=boss.ids
                )
                .notification_ids.filtered(lambda n: n.res_partner_id == boss)
                .sudo()
                .write({"notification_status": "bounce"})
            ),
            # last: the person keeps no address (a queued e-mail would leave once they have one)
            "e-mail to them without an address": lambda: (
                boss.write({"email": False}),
                deal.message_post(
                    body="x", message_type="comment", subtype_xmlid="mail.mt_comment", partner_ids=boss.ids
                ),
            ),
        }
        for name, forge in forgeries.items():
            with self.subTest(name):
                forge()
                self.assertFalse(stakeholder.contacted)
                self.assertEqual(row.state, "todo")
                with self.assertRaises(UserError):
                    deal.write({"stage_id": self.s2.id})
        self.assertTrue(incoming.kam_contact_excluded)
        # an e-mail that never left, "sent" by a notification made by hand, or one of their own turned into it
        later = deal.message_post(
            body="x",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            partner_ids=boss.ids,
            scheduled_date="2100-01-01 00:00:00",
        )
        Notification = self.env["mail.notification"].with_user(self.user_salesman)
        with self.assertRaises(AccessError):
            Notification.create(
                {
                    "mail_message_id": later.id,
                    "res_partner_id": boss.id,
                    "notification_type": "email",
                    "notification_status": "sent",
                }
            )
        # nor through a default: the context's, or a personal one (ir.default)
        self.env["ir.default"].with_user(self.user_salesman).set(
            "mail.notification", "notification_type", "email", user_id=True
        )
        for context in ({}, {"default_notification_type": "email"}):
            made = Notification.with_context(**context).create(
                {"mail_message_id": later.id, "res_partner_id": boss.id, "notification_status": "sent"}
            )
            self.assertEqual(made.notification_type, "inbox")
            made.sudo().unlink()
        own = self.env["mail.notification"].create(
            {"mail_message_id": later.id, "res_partner_id": self.user_salesman.partner_id.id}
        )
        with self.assertRaises(AccessError):
            own.with_user(self.user_salesman).write({"res_partner_id": boss.id, "notification_type": "email"})
        self.assertFalse(stakeholder.contacted)
        with self.assertRaises(UserError):
            deal.write({"stage_id": self.s2.id})
        # the mail queue runs: the e-mail to no address fails (as Odoo's sending marks it), then they get one
        queued = self.env["mail.notification"].search(
            [("res_partner_id", "=", boss.id), ("notification_status", "=", "ready")]
        )
        queued.sudo().write({"notification_status": "exception", "failure_type": "mail_email_missing"})
        boss.write({"email": "zhang.min@example.com"})
        self.assertFalse(stakeholder.contacted)
        # ...while an e-mail from them that came in through the mail gateway is a contact
        self.env["mail.thread"].message_process("crm.lead", mail("real"), thread_id=self.deal.id)
        self.assertTrue(stakeholder.contacted)
        self.assertEqual(row.state, "done")

    def test_an_e_mail_sent_to_them_is_a_contact_until_it_bounces(self):
        decision = self.env.ref("kam_sales_process.role_decision_maker")
        milestone = self.env["kam.milestone"].create(
            {"name": "Decision maker met", "stage_id": self.s1.id, "kind": "roles",
             "role_ids": [(6, 0, decision.ids)], "require_contacted": True}
        )  # fmt: skip
        boss = self.env["res.partner"].create({"name": "Zhang Min", "email": "zhang.min@example.com"})
        stakeholder = self.env["kam.stakeholder"].create(
            {"lead_id": self.deal.id, "partner_id": boss.id, "role_ids": [(6, 0, decision.ids)]}
        )
        row = self._row(self.deal, milestone)
        sent = self.deal.with_user(self.user_salesman).message_post(
            body="The offer", message_type="comment", subtype_xmlid="mail.mt_comment", partner_ids=boss.ids
        )
        self.assertTrue(stakeholder.contacted)
        self.assertEqual(row.state, "done")
        sent.notification_ids.filtered(lambda n: n.res_partner_id == boss).sudo().write(
            {"notification_status": "bounce"}
        )
        self.assertFalse(stakeholder.contacted)
        self.assertEqual(row.state, "todo")

    def test_activity_milestone_follows_done_activities(self):
        meeting = self.env["mail.activity.type"].create({"name": "Product demo", "res_model": "crm.lead"})
        milestone = self.env["kam.milestone"].create(
            {"name": "Demo given", "stage_id": self.s1.id, "kind": "activity", "activity_type_id": meeting.id}
        )
        row = self._row(self.deal, milestone)
        activity = self.deal.activity_schedule(activity_type_id=meeting.id, user_id=self.user_salesman.id)
        self.assertEqual(row.state, "todo")
        activity.with_user(self.user_salesman).action_feedback(feedback="Demo went well")
        self.assertEqual(row.state, "done")


@tagged("post_install", "-at_install")
class TestGateTab(KamGateCase):
    """The deal's Gate tab: the rows of its current stage as plain values read with the deal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Milestone = cls.env["kam.milestone"]
        cls.ms_visit = Milestone.create({"name": "Plant visited", "stage_id": cls.s1.id, "sequence": 5})
        cls.ms_other_team = Milestone.create(
            {"name": "Other team's item", "stage_id": cls.s1.id, "team_ids": [(6, 0, cls.other_team.ids)]}
        )
        cls.ms_archived = Milestone.create({"name": "Archived item", "stage_id": cls.s1.id, "active": False})

    def _tab(self, deal, user=None):
        deal = deal.with_user(user or self.user_salesman)
        deal.invalidate_recordset()
        return deal.kam_gate_rows

    def test_the_tab_shows_the_gate_of_the_current_stage_in_the_milestones_order(self):
        deal = self._new_deal(stage=self.s1)
        rows = self._tab(deal)
        # the other team's milestone and the archived one gate nothing here
        self.assertEqual([row["name"] for row in rows], ["Plant visited", "Budget known"])
        self.assertEqual({row["id"] for row in rows}, set(deal.kam_current_milestone_ids.ids))
        budget = rows[1]
        self.assertEqual(budget["id"], self._row(deal, self.ms_budget).id)
        self.assertEqual((budget["kind"], budget["kind_label"]), ("check", "Checklist item"))
        self.assertEqual((budget["state"], budget["state_label"], budget["met"]), ("todo", "To Do", False))
        self.assertEqual((budget["done_by"], budget["done_date"], budget["passed"]), ("", False, False))
        self.assertFalse(budget["evidence_required"])

    def test_a_tick_shows_who_and_when_and_the_next_stage_shows_its_own_gate(self):
        deal = self._new_deal(stage=self.s1)
        self._row(deal, self.ms_budget).with_user(self.user_salesman).action_done()
        # re-read in the same transaction: the tick invalidated the tab
        budget = next(row for row in deal.with_user(self.user_salesman).kam_gate_rows if row["name"] == "Budget known")
        self.assertEqual((budget["state"], budget["state_label"], budget["met"]), ("done", "Done", True))
        self.assertEqual(budget["done_by"], "Sam Salesman")
        self.assertTrue(budget["done_date"])
        self._meet(deal, self.ms_visit)
        deal.with_user(self.user_salesman).stage_id = self.s2
        rows = deal.with_user(self.user_salesman).kam_gate_rows
        self.assertEqual([(row["name"], row["evidence_required"]) for row in rows], [("Coach found", True)])

    def test_names_and_guidance_come_in_the_readers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.ms_budget.guidance = "<p>Ask the CFO</p>"
        self.ms_budget.update_field_translations("name", {"zh_CN": "预算已知"})
        self.ms_budget.update_field_translations("guidance", {"zh_CN": {"Ask the CFO": "问财务总监"}})
        deal = self._new_deal(stage=self.s1)
        rows = self._tab(deal.with_context(lang="zh_CN"))
        self.assertEqual(rows[1]["name"], "预算已知")
        self.assertIn("问财务总监", rows[1]["guidance"])
        rows = self._tab(deal.with_context(lang="en_US"))
        self.assertEqual(rows[1]["name"], "Budget known")
        self.assertIn("Ask the CFO", rows[1]["guidance"])

    def test_a_language_without_translations_reads_the_source_terms(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        deal = self._new_deal(stage=self.s1)
        rows = self._tab(deal.with_context(lang="fr_FR"))
        self.assertEqual([row["name"] for row in rows], ["Plant visited", "Budget known"])
        # a code no language has is refused by Odoo itself, in words, before the tab is read
        for lang in ("zz_ZZ", "en_US' OR 1=1 --"):
            with self.assertRaises(UserError):
                self._tab(deal.with_context(lang=lang))

    def test_a_grandfathered_row_shows_as_met(self):
        deal = self._new_deal(stage=self.s1)
        row = self._row(deal, self.ms_budget)
        row.sudo().write({"grandfathered": True})
        budget = next(r for r in self._tab(deal) if r["id"] == row.id)
        self.assertEqual((budget["state"], budget["met"]), ("todo", True))

    def test_only_key_account_users_read_the_tab_and_nobody_writes_it(self):
        deal = self._new_deal(stage=self.s1)
        with self.assertRaises(AccessError):
            deal.with_user(self.user_employee).read(["kam_gate_rows"])
        with self.assertRaises(UserError):
            deal.with_user(self.user_salesman).write({"kam_gate_rows": []})

    def test_the_form_reads_the_rows_when_the_gate_tab_opens(self):
        """Opening a deal reads no gate row: the Gate tab reads them when it opens, one query, under the
        field's own access (key account users, the deal's record rules)."""
        form = self.env["crm.lead"].with_user(self.user_salesman).get_views([(False, "form")])["views"]["form"]
        arch = etree.fromstring(form["arch"])
        self.assertFalse(arch.xpath("//field[@name='kam_gate_rows']"), "the form reads the rows with the deal")
        self.assertTrue(arch.xpath("//page[@name='kam_gate']/widget[@name='kam_gate_rows']"))
        deal = self._new_deal(stage=self.s1)
        self._meet(deal, self.ms_budget)
        mine = deal.with_user(self.user_salesman)
        self._read_as_a_page_does(mine)
        with self.assertQueryCount(1):
            rows = mine.kam_read_gate_rows()
        self.assertEqual(
            [(row["name"], row["state"]) for row in rows], [("Plant visited", "todo"), ("Budget known", "done")]
        )
        self.assertEqual(rows, self._tab(deal))
        in_s2 = self._deal_in(self.s2).with_user(self.user_salesman)
        self.assertEqual([row["name"] for row in in_s2.kam_read_gate_rows()], ["Coach found"])
        self.assertEqual(self._deal_in(self.s4).with_user(self.user_salesman).kam_read_gate_rows(), [])
        with self.assertRaises(AccessError):
            deal.with_user(self.user_employee).kam_read_gate_rows()
        deal.user_id = self.user_sales_manager
        with self.assertRaises(AccessError):
            mine.kam_read_gate_rows()
        with self.assertRaisesRegex(UserError, "one deal at a time"):
            (deal | self._deal_in(self.s2)).kam_read_gate_rows()
        self.assertFalse(self._tab(self.env["crm.lead"].new({"name": "Unsaved", "type": "opportunity"})))

    def test_a_page_of_deals_reads_its_tabs_in_one_query(self):
        deals = self._new_deal(stage=self.s1) | self._deal_in(self.s2) | self._deal_in(self.s4)
        deals = deals.with_user(self.user_salesman)
        self._read_as_a_page_does(deals)
        with self.assertQueryCount(1):
            tabs = deals.mapped("kam_gate_rows")
        self.assertEqual([len(tab or []) for tab in tabs], [2, 1, 0])

    def test_a_form_reading_the_tab_first_gets_the_badge_at_no_extra_query(self):
        deal = self._new_deal(stage=self.s1).with_user(self.user_salesman)
        self._read_as_a_page_does(deal)
        with self.assertQueryCount(1):
            rows = deal.kam_gate_rows
            badge = (deal.kam_gate_open, deal.kam_gate_done, deal.kam_gate_total)
            current = deal.kam_current_milestone_ids.ids
        self.assertEqual(badge, (False, 0, 2))
        self.assertEqual(current, [row["id"] for row in rows])


@tagged("post_install", "-at_install")
class TestGateSettling(KamGateCase):
    """A change of the gate's configuration settles its deals at once and again once every request running at
    the change has ended (a worker may still gate with what it read before); the background batches retry a
    concurrent change soon rather than at the next daily run."""

    def _pending(self):
        return self.env["kam.recompute.job"].search(
            [("kind", "=", "gate_settling"), ("res_model", "=", "kam.milestone"), ("state", "=", "todo"),
             ("id", "not in", self.jobs_before.ids)]
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        self.jobs_before = self.env["kam.recompute.job"].search([])

    def test_a_change_of_milestones_is_settled_again_later_in_one_pass(self):
        self._new_deal(stage=self.s1)  # a deal in the pipeline: the change has deals to settle
        Milestone, start = self.env["kam.milestone"], self.env.cr.now()  # the database's clock, as the scheduler's
        first = Milestone.create({"name": "Site visit", "stage_id": self.s1.id})
        job = self._pending()
        self.assertEqual((len(job), job.res_model, job.res_ids), (1, "kam.milestone", [first.id]))
        delay = self.env["kam.recompute.job"]._kam_settle_delay()
        self.assertGreaterEqual(delay, timedelta(minutes=3), "Odoo's default request limit (120 s) and a minute")
        self.assertGreaterEqual(job.start_after, start + delay)
        second = Milestone.create({"name": "Plant tour", "stage_id": self.s2.id})
        self.assertEqual(self._pending(), job, "changes close together share one pass")
        self.assertEqual(job.res_ids, [first.id, second.id])
        cron = self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id), ("call_at", ">=", job.start_after)])
        self.assertTrue(triggers, "the scheduled action is called when the pass is due")
        triggers.unlink()  # e.g. a run of the scheduled action that failed
        self.env["kam.recompute.job"]._cron_kam_run_jobs()
        self.assertEqual(job.state, "todo", "not due yet")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id), ("call_at", ">=", job.start_after)])
        self.assertEqual(len(triggers), 1, "any run of the scheduled action calls it again when the pass is due")

    def test_a_batch_that_meets_a_concurrent_change_is_tried_again_soon(self):
        Job = self.env["kam.recompute.job"]
        cron = self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", cron.id)])

        made = {}

        def conflict(*args, **kwargs):
            # half a batch done, then the conflict: what it did is undone
            made["job"] = Job.sudo().create({"kind": "milestone_rows", "res_model": "crm.lead", "res_ids": []}).id
            self.env.flush_all()
            self.env.cr.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'concurrent update' USING ERRCODE = 'serialization_failure'; END $$"
            )

        with patch.object(type(Job), "_kam_run", conflict), mute_logger("odoo.sql_db"):
            self.assertEqual(Job._cron_kam_run_jobs(), 0)
        self.assertFalse(Job.browse(made["job"]).exists(), "the batch's work is rolled back")
        again = Trigger.search([("cron_id", "=", cron.id)]) - before
        self.assertEqual(len(again), 1)
        now = self.env.cr.now()
        self.assertGreater(again.call_at, now)
        self.assertLessEqual(again.call_at, now + timedelta(minutes=2))

    def _run_until_done(self, *jobs):
        Job = self.env["kam.recompute.job"]
        for _call in range(10):  # one batch per call, as the scheduler calls it while work remains
            if all(job.state != "todo" for job in jobs):
                break
            Job._cron_kam_run_jobs()

    def test_a_job_that_fails_stops_alone_and_says_why(self):
        """A batch that fails for any reason but a concurrent change (a condition that no longer evaluates, a
        bug) stops its own job, undone and with the reason shown, instead of stopping every job behind it
        (the second pass of a change of the gate among them) and, after a week of failures, Odoo's
        scheduled action itself."""
        Job, Lead = self.env["kam.recompute.job"], self.env["crm.lead"]
        first, second = self._new_deal(stage=self.s1), self._new_deal(stage=self.s1)
        broken = Job._kam_create("milestone_rows", first)
        behind = Job._kam_create("milestone_rows", second)
        recompute = type(Lead)._kam_recompute_milestone_rows

        def fails_on_first(records):
            recompute(records)
            if first in records:
                records.sudo().write({"name": "Half done"})
                raise ValueError("a condition no longer evaluates")

        logger = "odoo.addons.kam_sales_process.models.kam_recompute_job"
        with (
            patch.object(type(Lead), "_kam_recompute_milestone_rows", fails_on_first),
            self.assertLogs(logger, "ERROR") as logged,
        ):
            self.assertEqual(Job._kam_run([("id", "in", (broken | behind).ids)]), 1, "the next job in the same call")
        self.assertEqual((broken.state, behind.state), ("failed", "done"))
        self.assertEqual((broken.done, broken.res_ids), (0, [first.id]), "nothing of the failed batch is counted")
        self.assertNotEqual(first.name, "Half done", "what the failed batch did is undone")
        self.assertIn("ValueError: a condition no longer evaluates", broken.error)
        self.assertIn("Traceback", "\n".join(logged.output), "the whole story is in the server's log")
        self.assertNotIn(broken, Job.search([("state", "=", "todo")]), "nothing waits for it")

        # tried again by an administrator: done by the next call of the scheduled action
        cron = self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", cron.id)])
        with self.assertRaises(AccessError):
            broken.with_user(self.user_sales_manager).action_kam_retry()
        broken.action_kam_retry()
        self.assertEqual((broken.state, broken.error), ("todo", False))
        self.assertEqual(len(Trigger.search([("cron_id", "=", cron.id)]) - before), 1)
        self._run_until_done(broken)
        self.assertEqual((broken.state, broken.done), ("done", 1))
        with self.assertRaisesRegex(UserError, "only a job that failed"):
            broken.action_kam_retry()

    def test_a_concurrent_change_met_inside_a_batch_is_no_failure(self):
        """A serialization failure inside a job's batch is still a concurrent change: the batch is tried again
        soon (the job stays to do, with no error), not marked failed."""
        Job, Lead = self.env["kam.recompute.job"], self.env["crm.lead"]
        Job.search([("state", "=", "todo")]).write({"state": "done"})  # this job first in line
        job = Job._kam_create("milestone_rows", self._new_deal(stage=self.s1))
        cron = self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", cron.id)])

        def conflict(records):
            self.env.cr.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'concurrent update' USING ERRCODE = 'serialization_failure'; END $$"
            )

        with patch.object(type(Lead), "_kam_recompute_milestone_rows", conflict), mute_logger("odoo.sql_db"):
            self.assertEqual(Job._cron_kam_run_jobs(), 0)
        self.assertEqual((job.state, job.error, job.done), ("todo", False, 0))
        again = Trigger.search([("cron_id", "=", cron.id)]) - before
        self.assertEqual(len(again), 1)
        self.assertLessEqual(again.call_at, self.env.cr.now() + timedelta(minutes=2))
        self._run_until_done(job)
        self.assertEqual((job.state, job.done), ("done", 1))

    def test_a_nightly_job_that_fails_is_done_again_by_the_next_night(self):
        Job, Lead = self.env["kam.recompute.job"], self.env["crm.lead"]
        deal = self._new_deal(stage=self.s1)
        today = fields.Date.to_string(fields.Date.today())

        def fails(records):
            raise ValueError("broken")

        with (
            patch.object(type(Lead), "_kam_recompute_grades", fails),
            mute_logger("odoo.addons.kam_sales_process.models.kam_recompute_job"),
        ):
            self.assertEqual(Job._kam_run_daily("grades", lambda: [(deal, None)], run_key=f"test {today}"), 0)
        job = Job.search([("kind", "=", "grades"), ("run_key", "=", f"test {today}")])
        self.assertEqual((job.state, job.error), ("failed", "ValueError: broken"))
        self.assertEqual(Job._kam_run_daily("grades", lambda: [(deal, None)], run_key=f"test {today}"), 0)
        self.assertEqual(len(Job.search([("run_key", "=", f"test {today}")])), 1, "the night's run starts once")
        with self.assertRaisesRegex(UserError, "next night"):
            job.action_kam_retry()
        # forgotten a week later, as finished jobs are the day after
        self.env.cr.execute(
            "UPDATE kam_recompute_job SET write_date = now() - interval '8 days' WHERE id = %s", [job.id]
        )
        job.invalidate_recordset()
        Job._gc_kam_finished_jobs()
        self.assertFalse(job.exists())
