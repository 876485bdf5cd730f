"""The gate's inputs: every change of a deal's position is checked, passed stages stay history,
nothing a person did is lost, adoption grandfathers history, bad input gets a clear error."""

import base64

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger
from psycopg2.errors import UniqueViolation

from .common import KamIntegrityCase


@tagged("post_install", "-at_install")
class TestPassedStagesStayHistory(KamIntegrityCase):
    def test_a_passed_milestone_cannot_be_reset_until_the_deal_moves_back(self):
        deal = self._deal_in(self.s2)
        row = self._row(deal, self.ms_budget).with_user(self.user_salesman)
        self.assertTrue(row.passed)
        with self.assertRaises(UserError) as refusal:
            row.action_reset()
        self.assertIn("moved past", str(refusal.exception))
        self.assertEqual(row.state, "done")
        deal.stage_id = self.s1  # back: the stage opens again
        self.assertFalse(row.passed)
        row.action_reset()
        self.assertEqual(row.state, "todo")

    def test_a_passed_condition_no_longer_follows_the_data(self):
        deal = self._deal_in(self.s4)
        row = self._row(deal, self.ms_revenue)
        self.assertEqual((row.state, row.passed), ("done", True))
        deal.expected_revenue = 0
        self.assertEqual(row.state, "done", "met when the deal left S3: history")
        deal.stage_id = self.s3
        deal.expected_revenue = 0
        self.assertEqual(row.state, "todo", "back in S3: it follows the data again")

    def test_restoring_keeps_what_was_met(self):
        deal = self._deal_in(self.s4)
        deal.expected_revenue = 0  # after S3 was passed
        deal.action_archive()
        deal.action_unarchive()
        self.assertTrue(deal.active)
        self.assertEqual(deal.stage_id, self.s4)

    def test_moving_while_archived_is_checked_at_the_restore(self):
        deal = self._deal_in(self.s2)
        deal.action_archive()
        deal.stage_id = self.stage_won
        with self.assertRaises(UserError) as refusal:
            deal.action_unarchive()
        self.assertIn("Revenue estimated", str(refusal.exception))
        self.assertNotIn("Budget known", str(refusal.exception))


@tagged("post_install", "-at_install")
class TestGateInputsByCompute(KamIntegrityCase):
    def test_a_new_salesperson_whose_team_follows_is_checked_like_a_team_change(self):
        self.team_c.member_ids = self.user_salesman_b
        deal = self._new_deal(stage=self.s1, user_id=self.user_salesman_b.id)
        self.assertEqual(deal.team_id, self.team)
        # crm's own compute moves the deal to the new salesperson's team: its pipeline changes
        deal.write({"team_id": self.team_c.id, "stage_id": self.shared.id})
        with self.assertRaises(UserError):
            deal.write({"user_id": self.user_salesman.id, "team_id": self.team.id})
        self.assertEqual(deal.team_id, self.team_c)

    def test_a_condition_on_a_field_computed_from_the_customer_follows_the_customer(self):
        # The deal's e-mail is computed from its customer's: a change of the customer recomputes
        # it without a write of the deal. The rows (badge, filter) catch up when the change commits.
        known = self.env["kam.milestone"].create(
            {"name": "Contact e-mail known", "stage_id": self.s1.id, "kind": "condition",
             "condition_domain": "[('email_from', 'ilike', '@')]"}
        )  # fmt: skip
        customer = self.env["res.partner"].create({"name": "Li Na", "email": "li.na@steel.example.com"})
        deal = self._new_deal(stage=self.s1, partner_id=customer.id)
        self._meet(deal, self.ms_budget, self.ms_call)
        row = self._row(deal, known)
        self.assertEqual(deal.email_from, "li.na@steel.example.com")
        self.assertEqual(row.state, "done")
        self.assertTrue(deal.kam_gate_open)

        customer.with_user(self.user_salesman).write({"email": "unknown"})
        self.env.cr.flush()  # what a commit does first: the recompute is written, the rows refreshed
        self.assertEqual(deal.email_from, "unknown")
        self.assertEqual(row.state, "todo")
        self.assertFalse(deal.kam_gate_open)
        self.assertNotIn(deal, self.env["crm.lead"].search([("kam_gate_open", "=", True)]))
        with self.assertRaises(UserError) as refusal:
            deal.with_user(self.user_salesman).write({"stage_id": self.s2.id})
        self.assertIn("Contact e-mail known", str(refusal.exception))

        customer.write({"email": "li.na@steel.example.com"})
        self.env.cr.flush()
        self.assertEqual(row.state, "done")
        self.assertTrue(deal.kam_gate_open)

    def test_a_condition_on_a_field_computed_with_the_recomputed_one_is_refreshed_too(self):
        # crm computes probability and automated_probability in one method: a condition on one of
        # them is refreshed whichever of the two the recompute is called for.
        self.env["kam.milestone"].create(
            {"name": "Likely", "stage_id": self.s1.id, "kind": "condition",
             "condition_domain": "[('automated_probability', '>', 50)]"}
        )  # fmt: skip
        Lead = self.env["crm.lead"]
        for name in ("probability", "automated_probability"):
            self.assertTrue(Lead._kam_condition_reads_recomputed(name), name)
        self.assertFalse(Lead._kam_condition_reads_recomputed("email_from"))

    def test_a_recompute_no_condition_reads_refreshes_nothing(self):
        customer = self.env["res.partner"].create({"name": "Li Na", "email": "li.na@steel.example.com"})
        self._new_deal(stage=self.s1, partner_id=customer.id)
        self.env.cr.flush()
        customer.write({"email": "na.li@steel.example.com"})
        self.env.flush_all()
        self.assertNotIn("kam_sales_process.conditions", self.env.cr.precommit.data)


@tagged("post_install", "-at_install")
class TestAdoptionWithoutSideDoors(KamIntegrityCase):
    def test_deals_already_past_a_new_milestone_are_grandfathered(self):
        deal = self._deal_in(self.s3)
        archived = self._deal_in(self.s3, name="Archived retrofit")
        archived.action_archive()
        early = self._new_deal(name="Early", stage=self.s1)
        nda = self.env["kam.milestone"].create({"name": "NDA signed", "stage_id": self.s2.id})
        for lead in deal | archived:
            row = self._row(lead.with_context(active_test=False), nda)
            self.assertEqual((row.state, row.grandfathered, row.passed), ("todo", True, True), lead.name)
        self.assertFalse(self._row(early, nda).grandfathered)
        archived.action_unarchive()  # not punished for history
        self.assertTrue(archived.active)
        deal.stage_id = self.s1
        deal.stage_id = self.s3  # re-entering past it: still grandfathered
        self.assertEqual(deal.stage_id, self.s3)
        self._meet(early, *self.s1.kam_milestone_ids)
        early.stage_id = self.s2
        with self.assertRaises(UserError) as refusal:
            early.stage_id = self.s3
        self.assertIn("NDA signed", str(refusal.exception))

    def test_reordering_stages_grandfathers_deals_now_past_them(self):
        deal = self._deal_in(self.s2)
        row = self._row(deal, self.ms_revenue)
        self.assertEqual((row.state, row.passed), ("todo", False))
        self.s3.sequence = 1  # S3 now comes first: the deal stands past it
        self.assertEqual((row.state, row.passed, row.grandfathered), ("todo", True, True))
        self.s3.sequence = 3  # back where it was: ahead of the deal again
        self.assertFalse(row.passed)
        self.assertTrue(row.grandfathered, "a grandfathered deal stays so")

    def test_a_stage_reordered_ahead_of_a_deal_is_live_again_with_the_data_as_it_is_now(self):
        """Reopened by a re-ordering, as by a move back: its conditions catch up with data that changed
        while the stage was passed (one reopen path for both)."""
        deal, row = self._deal_past_stale_revenue()
        self.s3.sequence = 10  # S3 now comes after S4: ahead of the deal
        self.assertEqual((row.state, row.passed), ("todo", False))
        deal.stage_id = self.s3  # forward again: S3 is its gate now, and the gate says so
        self.assertFalse(deal.kam_gate_open)
        self.assertEqual(deal.kam_unmet_milestone_ids, self.ms_revenue)

    def test_a_team_change_into_a_pipeline_is_not_grandfathered(self):
        self.env["kam.milestone"].create({"name": "NDA signed", "stage_id": self.s2.id})
        deal = self._new_deal(stage=self.s1)
        deal.write({"team_id": self.team_c.id, "stage_id": self.shared.id})
        with self.assertRaises(UserError):
            deal.team_id = self.team

    def _history_file(self, rows):
        header = "name,type,team_id,stage_id,expected_revenue,user_id,date_closed"
        lines = [header] + [",".join(row) for row in rows]
        return base64.b64encode("\n".join(lines).encode())

    def test_a_manager_imports_deals_as_history_with_a_reason(self):
        self.stage_won.name = "Signed"  # crm's own "Won" stage exists too: names must resolve to one stage
        wizard = (
            self.env["kam.history.import"]
            .with_user(self.user_sales_manager)
            .create(
                {
                    "file": self._history_file(
                        [
                            [
                                "Signed 2025: Anshan",
                                "opportunity",
                                "Key Accounts",
                                "Signed",
                                "800000",
                                "Sam Salesman",
                                "2025-06-30 10:00:00",
                            ],
                            ["Tender 2025: Baotou", "opportunity", "Key Accounts", "S3", "300000", "Sam Salesman", ""],
                        ]
                    ),
                    "reason": "Contracts of 2025 taken over from the old CRM",
                }
            )
        )
        action = wizard.action_import()
        deals = self.env["crm.lead"].search(action["domain"])
        self.assertEqual(set(deals.mapped("stage_id")), {self.stage_won, self.s3})
        for deal in deals:
            level = deal.stage_id.sequence
            skipped = deal.kam_milestone_ids.filtered(lambda r, level=level: r.stage_id.sequence < level)
            self.assertTrue(skipped)
            self.assertTrue(all(skipped.mapped("passed")))
            self.assertTrue(all(r.grandfathered or r.state != "todo" for r in skipped))
            self.assertIn("Contracts of 2025 taken over", str(deal.message_ids.mapped("body")))
        won = deals.filtered(lambda d: d.stage_id == self.stage_won)
        self.assertEqual(won.date_closed, fields.Datetime.to_datetime("2025-06-30 10:00:00"), "history says when")
        won.action_archive()
        won.action_unarchive()  # history is history
        self.assertTrue(won.active)

    def test_only_managers_import_history_and_bad_files_are_explained(self):
        values = {"file": self._history_file([["X", "opportunity", "Key Accounts", "S3", "1", ""]]), "reason": "Old"}
        with self.assertRaises(AccessError):
            self.env["kam.history.import"].with_user(self.user_salesman).create(values).action_import()
        Wizard = self.env["kam.history.import"].with_user(self.user_sales_manager)
        for file, expected in (
            (base64.b64encode(b"\xff\xfe\x00garbage"), "UTF-8"),
            (base64.b64encode(b"name\n"), "at least one deal"),
            (base64.b64encode(b"name,no_such_field\nA,1\n"), "no_such_field"),
            (self._history_file([["X", "opportunity", "Key Accounts", "No such stage", "1", ""]]), "No such stage"),
        ):
            with self.subTest(expected=expected), self.assertRaises(UserError) as refusal:
                Wizard.create({"file": file, "reason": "Old"}).action_import()
            self.assertIn(expected, str(refusal.exception))
        self.assertFalse(self.env["crm.lead"].search([("name", "=", "X")]))

    def test_an_import_as_history_creates_deals_and_moves_none(self):
        live = self._new_deal(stage=self.s1)
        xmlid = self.env["ir.model.data"].create(
            {"module": "__import__", "name": "live_deal", "model": "crm.lead", "res_id": live.id}
        )
        Wizard = self.env["kam.history.import"].with_user(self.user_sales_manager)
        for name in ("__import__.live_deal", "live_deal"):
            file = base64.b64encode(f"id,name,stage_id\n{name},Renamed,S3\n".encode())
            with self.subTest(id=name), self.assertRaises(UserError) as refusal:
                Wizard.create({"file": file, "reason": "Old"}).action_import()
            self.assertIn("exist already", str(refusal.exception))
        self.assertEqual((live.stage_id, live.name), (self.s1, "Steel plant retrofit"))
        self.assertTrue(xmlid.exists())
        # a new external id is a new deal, as in Odoo's own import
        file = base64.b64encode(b"id,name,type,stage_id\nold_contract_1,Old contract,opportunity,S3\n")
        action = Wizard.create({"file": file, "reason": "Contracts of 2025"}).action_import()
        created = self.env["crm.lead"].search(action["domain"])
        self.assertEqual((created.name, created.stage_id), ("Old contract", self.s3))

    def test_a_client_context_is_no_import_as_history(self):
        Lead = self.env["crm.lead"].with_user(self.user_salesman)
        for bypass in ({"kind": "history"}, "history", True, ["remapped", "x"]):
            with self.subTest(bypass=bypass), self.assertRaises(UserError):
                Lead.with_context(kam_gate_bypass=bypass).create(
                    {"name": "Sneaky", "type": "opportunity", "team_id": self.team.id, "stage_id": self.s3.id}
                )


@tagged("post_install", "-at_install")
class TestNothingLost(KamIntegrityCase):
    def test_evidence_on_an_open_row_survives_a_team_change_and_an_archived_milestone(self):
        deal = self._new_deal(stage=self.s1)
        row = self._row(deal, self.ms_coach)
        row.with_user(self.user_salesman).evidence = "Org chart from the plant manager"
        deal.write({"team_id": self.team_c.id, "stage_id": self.shared.id})
        self.assertTrue(row.exists())
        self.assertEqual(row.evidence, "Org chart from the plant manager")
        self.assertFalse(self._row(deal, self.ms_budget), "plain open rows of the old process go")
        deal.write({"team_id": self.team.id, "stage_id": self.s1.id})
        self.assertEqual(self._row(deal, self.ms_coach), row, "back in the process: the same row")
        self.ms_coach.active = False
        self.assertTrue(row.exists())

    def test_a_row_created_twice_in_one_transaction_still_fails_and_nothing_of_the_retry_is_kept(self):
        """Rows are created in a savepoint that turns a pair created by a concurrent transaction into a
        serialization failure (``test_gate_concurrency``); a pair this transaction sees itself is a plain
        unique violation, as before, and the transaction goes on with what it had."""
        deal = self._new_deal(stage=self.s1)
        row = self._row(deal, self.ms_budget)
        other = self.env["kam.milestone"].create({"name": "Site visit", "stage_id": self.s4.id, "kind": "check"})
        self.assertTrue(self._row(deal, other), "created for the deal with the milestone")
        self._row(deal, other).unlink()
        Row = self.env["kam.lead.milestone"].sudo()
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation):
            Row._kam_create_rows(
                [
                    {"lead_id": deal.id, "milestone_id": other.id},
                    {"lead_id": deal.id, "milestone_id": self.ms_budget.id},
                ]
            )
        self.assertEqual(self._row(deal, self.ms_budget), row)
        self.assertFalse(self._row(deal, other), "nothing of the failed batch is kept")
        self.env.cr.execute("SELECT count(*) FROM kam_lead_milestone WHERE lead_id = %s", [deal.id])
        self.assertEqual(self.env.cr.fetchone()[0], len(deal.kam_milestone_ids))
        created = Row._kam_create_rows([{"lead_id": deal.id, "milestone_id": other.id}])
        self.assertEqual(self._row(deal, other), created, "the transaction goes on")

    def test_reapplying_a_process_keeps_the_audit_trail_of_dropped_stages(self):
        template = self.env.ref("kam_sales_process.process_short")
        wizard = self.env["kam.process.apply"].create({"team_id": self.team_b.id, "template_id": template.id})
        wizard.action_apply()
        stages = self.env["crm.stage"].search([("team_id", "=", self.team_b.id)])
        first = stages[0]
        deal = self._new_deal(stage=first, team_id=self.team_b.id)
        rows = deal.kam_milestone_ids.filtered(lambda r: r.stage_id == first)
        self._meet(deal, *rows.milestone_id)
        deal.stage_id = stages[1]
        names = set(rows.mapped("milestone_name"))
        # Re-applied with the first stage left out: the deal is past it anyway.
        wizard = self.env["kam.process.apply"].create({"team_id": self.team_b.id, "template_id": template.id})
        wizard.line_ids.filtered(lambda line: line.template_stage_id == first.kam_template_stage_id).keep = False
        wizard.action_apply()
        self.assertFalse(first.exists())
        kept = self.env["kam.lead.milestone"].search([("lead_id", "=", deal.id), ("milestone_name", "in", list(names))])
        self.assertEqual(len(kept), len(rows), "done rows of the dropped stage stay")
        self.assertEqual(set(kept.mapped("state")), {"done"})
        self.assertFalse(kept.milestone_id)
        self.assertEqual(set(kept.mapped("display_name")), names)

    def _ticked_with_file(self):
        """A deal at S2 whose coach item the salesperson ticked with a file as its evidence."""
        deal = self._new_deal(stage=self.s1)
        self._meet(deal, *self.s1.kam_milestone_ids)
        deal.stage_id = self.s2
        row = self._row(deal, self.ms_coach).with_user(self.user_salesman)
        attachment = self.env["ir.attachment"].create(
            {"name": "org-chart.txt", "raw": b"CEO > CTO", "res_model": "kam.lead.milestone", "res_id": row.id}
        )
        row.attachment_ids = attachment
        row.action_done()
        return deal, row, attachment

    def test_evidence_of_a_ticked_item_cannot_be_removed(self):
        _deal, row, attachment = self._ticked_with_file()
        with self.assertRaises(UserError):
            row.attachment_ids = [(5, 0, 0)]
        with self.assertRaises(UserError):
            attachment.with_user(self.user_salesman).unlink()
        row.evidence = "Minutes of 3 March"
        attachment.with_user(self.user_salesman).unlink()  # the note now carries the evidence
        with self.assertRaises(UserError):
            row.evidence = " "
        row.action_reset()
        row.evidence = False  # open again: free to edit
        self.assertEqual(row.state, "todo")

    def test_evidence_files_of_a_passed_stage_cannot_be_rewritten(self):
        deal, row, attachment = self._ticked_with_file()
        mine = attachment.with_user(self.user_salesman)
        mine.write({"raw": b"CEO > CTO > plant manager"})  # a live stage's evidence may still be corrected
        self._meet(deal, *self.s2.kam_milestone_ids)
        deal.stage_id = self.s3
        self.assertTrue(row.passed)
        # Odoo checks the row's access for its files, not the addon's write: the addon checks the content
        for vals in (
            {"raw": b"nothing"},
            {"datas": "bm90aGluZw=="},
            {"type": "url", "url": "https://example.com"},
            {"mimetype": "application/pdf"},
            {"index_content": "forged"},
            {"public": True},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError) as caught:
                mine.write(vals)
            self.assertIn("moved past", str(caught.exception))
        # nor deleted, though another file would still be evidence enough
        second = self.env["ir.attachment"].create(
            {"name": "minutes.txt", "raw": b"Met the CTO", "res_model": "kam.lead.milestone", "res_id": row.id}
        )
        row.sudo().attachment_ids |= second
        with self.assertRaises(UserError):
            second.with_user(self.user_salesman).unlink()
        self.assertEqual(row.attachment_ids, attachment | second)
        self.assertEqual(attachment.raw, b"CEO > CTO > plant manager")
        mine.name = "org-chart-2024.txt"  # its name is not the evidence
        deal.stage_id = self.s2  # back at the stage: the file is open again
        mine.write({"raw": b"CEO > CTO"})
        self.assertEqual(attachment.raw, b"CEO > CTO")


@tagged("post_install", "-at_install")
class TestInputsNobodyForges(KamIntegrityCase):
    def test_a_stakeholder_contact_date_is_never_in_the_future_and_is_stamped(self):
        deal = self._new_deal(stage=self.s1)
        person = self.env["res.partner"].create({"name": "Li Wei"})
        Stakeholder = self.env["kam.stakeholder"].with_user(self.user_salesman)
        stakeholder = Stakeholder.create({"lead_id": deal.id, "partner_id": person.id})
        tomorrow = fields.Date.add(fields.Date.context_today(stakeholder), days=1)
        with self.assertRaises(ValidationError):
            stakeholder.last_contact_date = tomorrow
        with self.assertRaises(UserError):
            stakeholder.contacted = True
        with self.assertRaises(UserError):
            stakeholder.date_added = "2020-01-01"
        other = self.env["res.partner"].create({"name": "Zhang Min"})
        with self.assertRaises(UserError):  # nor joins long ago (no "new face" flag) when added today
            Stakeholder.create({"lead_id": deal.id, "partner_id": other.id, "date_added": "2020-01-01"})
        Default = self.env["ir.default"].with_user(self.user_salesman)
        Default.set("kam.stakeholder", "date_added", "2020-01-01", user_id=True)
        Default.set("kam.stakeholder", "last_contact_manual", "2026-11-01", user_id=True)
        defaulted = Stakeholder.create({"lead_id": deal.id, "partner_id": other.id})
        self.assertEqual(defaulted.date_added, fields.Date.context_today(defaulted), "not a personal default's")
        self.assertFalse(defaulted.last_contact_manual, "a contact date is set by hand on the person, and stamped")
        defaulted.unlink()
        copied = stakeholder.sudo().copy({"partner_id": other.id})
        self.assertEqual(copied.date_added, fields.Date.context_today(copied), "a copy joins the day it is made")
        stakeholder.last_contact_date = "2026-11-02"
        self.assertEqual(stakeholder.last_contact_set_by_id, self.user_salesman)
        self.assertTrue(stakeholder.last_contact_set_on)
        self.assertIn("last contact set to 2026-11-02 by Sam Salesman", str(deal.message_ids[0].body))

    def test_when_a_deal_entered_its_stage_or_closed_is_stamped_by_crm_only(self):
        self.s1.kam_max_days = 10
        deal = self._new_deal(stage=self.s1)
        self.env.flush_all()  # crm's stamp of the creation is written first, then set back 20 days
        self.env.cr.execute(
            "UPDATE crm_lead SET date_last_stage_update = now() - interval '20 days' WHERE id = %s", [deal.id]
        )
        deal.invalidate_recordset(["date_last_stage_update"])
        self.env["crm.lead"]._kam_cron_flag_stuck()
        self.assertTrue(deal.kam_is_stuck)
        entered = deal.date_last_stage_update
        # a salesperson (a manager neither) cannot make a stuck deal look fresh, nor a new one look older
        for user in (self.user_salesman, self.user_sales_manager):
            mine = deal.with_user(user)
            for vals in (
                {"date_last_stage_update": fields.Datetime.now()},
                {"kam_stage_date": fields.Datetime.now()},
                {"date_closed": fields.Datetime.now()},
            ):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(UserError) as caught:
                    mine.write(vals)
                self.assertIn("cannot be set", str(caught.exception))
            Lead = self.env["crm.lead"].with_user(user)
            with self.assertRaises(UserError):
                Lead.create({"name": "Backdated", "type": "opportunity", "date_last_stage_update": "2020-01-01"})
            with self.assertRaises(UserError):
                Lead.create({"name": "Won long ago", "type": "opportunity", "date_closed": "2020-01-01"})
            new = Lead.with_context(
                default_date_last_stage_update="2099-01-01 00:00:00", default_date_closed="2020-01-01 00:00:00"
            ).create({"name": "Post-dated", "type": "opportunity", "team_id": self.team.id, "stage_id": self.s1.id})
            self.assertLess(new.date_last_stage_update, fields.Datetime.from_string("2099-01-01"))
            self.assertFalse(new.date_closed)
            # nor through personal defaults (ir.default, which any user may keep)
            Default = self.env["ir.default"].with_user(user)
            Default.set("crm.lead", "date_last_stage_update", "2099-01-01 00:00:00", user_id=True)
            Default.set("crm.lead", "date_closed", "2020-01-01 00:00:00", user_id=True)
            new = Lead.create({"name": "Defaulted", "type": "opportunity", "team_id": self.team.id})
            self.assertLess(new.date_last_stage_update, fields.Datetime.from_string("2099-01-01"))
            self.assertFalse(new.date_closed)
            self.assertEqual(new.kam_stage_history_ids.stage_id, self.s1, "the deal's history is logged all the same")
        self.assertEqual(deal.date_last_stage_update, entered)
        self.assertTrue(deal.kam_is_stuck)
        # a move stamps it (crm), and the deal is no longer stuck
        self._meet(deal, *self.s1.kam_milestone_ids)
        deal.with_user(self.user_salesman).stage_id = self.s2
        self.assertGreater(deal.date_last_stage_update, entered)
        self.assertFalse(deal.kam_is_stuck)

    def test_done_activities_are_written_by_the_framework_only(self):
        deal = self._new_deal(stage=self.s1)
        Done = self.env["kam.done.activity"].with_user(self.user_salesman)
        with self.assertRaises(AccessError):
            Done.create({"lead_id": deal.id, "activity_type_id": self.activity_call.id})
        self._meet(deal, self.ms_call)
        done = Done.search([("lead_id", "=", deal.id)])
        self.assertEqual(done.activity_type_id, self.activity_call)
        self.assertEqual(done.user_id, self.env.user)
        with self.assertRaises(AccessError):
            done.write({"activity_type_id": False})
        with self.assertRaises(AccessError):
            done.unlink()

    def test_the_roles_of_a_contact_show_only_deals_the_reader_sees(self):
        theirs = self._new_deal(name="Their deal", stage=self.s1, user_id=self.user_salesman_b.id)
        person = self.env["res.partner"].create({"name": "Li Wei"})
        coach = self.env.ref("kam_sales_process.role_coach")
        self.env["kam.stakeholder"].create({"lead_id": theirs.id, "partner_id": person.id, "role_ids": coach.ids})
        self.assertEqual(person.with_user(self.user_salesman_b).kam_role_ids, coach)
        self.assertFalse(person.with_user(self.user_salesman).kam_role_ids)
        Partner = self.env["res.partner"].with_user(self.user_salesman)
        self.assertNotIn(person, Partner.search([("kam_role_ids", "in", coach.ids)]))
        self.assertIn(person, Partner.with_user(self.user_salesman_b).search([("kam_role_ids", "in", coach.ids)]))

    def test_deal_figures_on_companies_are_for_sales_users(self):
        account = self.env["res.partner"].create({"name": "Anshan Steel", "is_company": True})
        with self.assertRaises(AccessError):
            account.with_user(self.user_employee).read(["kam_won_revenue"])
        self.assertEqual(account.with_user(self.user_salesman).read(["kam_won_revenue"])[0]["kam_won_revenue"], 0)

    def test_phases_and_ratings_are_set_by_managers(self):
        account = self.env["res.partner"].create({"name": "Anshan Steel", "is_company": True})
        for action in ("action_kam_apply_suggested_phase", "action_kam_change_phase"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(account.with_user(self.user_salesman), action)()
        with self.assertRaises(AccessError):
            account.with_user(self.user_salesman).kam_phase = "basic"
        account.with_user(self.user_sales_manager).kam_phase = "basic"
        self.assertEqual(account.kam_phase, "basic")

    def test_applying_a_process_needs_the_rights_to_do_it_by_hand(self):
        kam_only = new_test_user(
            self.env,
            login="kam_manager_only",
            groups="sales_team.group_sale_salesman,kam_sales_process.group_kam_manager",
            name="Kim KAM",
        )
        self._new_deal(stage=self.s1)
        wizard = (
            self.env["kam.process.apply"]
            .with_user(kam_only)
            .create({"team_id": self.team.id, "template_id": self.env.ref("kam_sales_process.process_short").id})
        )
        with self.assertRaises(AccessError):
            wizard.action_apply()
        self.assertEqual(
            set(self.env["crm.stage"].search([("team_id", "=", self.team.id)])),
            set(self.s1 | self.s2 | self.s3 | self.s4 | self.stage_won),
        )


@tagged("post_install", "-at_install")
class TestBadInputIsExplained(KamIntegrityCase):
    def test_a_condition_that_fails_in_the_database_is_refused_at_save(self):
        for domain in (
            "[('create_date', '>', 'not a date')]",
            "[('expected_revenue', '>', 'many')]",
            "[('user_id', '=', uid)]",
            "'not a domain'",
        ):
            with self.subTest(domain=domain), self.assertRaises(ValidationError) as refusal:
                self.env["kam.milestone"].create(
                    {"name": "Broken", "stage_id": self.s1.id, "kind": "condition", "condition_domain": domain}
                )
            self.assertIn("not a valid domain", str(refusal.exception))
        deal = self._new_deal(stage=self.s1)
        deal.expected_revenue = 10  # the pipeline still works
        self.assertEqual(deal.expected_revenue, 10)

    def test_refusals_cut_long_names(self):
        deal = self._new_deal(name="Retrofit " * 200, stage=self.s1)
        self.ms_budget.name = "Budget " * 100
        with self.assertRaises(UserError) as refusal:
            deal.stage_id = self.s2
        self.assertLess(len(str(refusal.exception)), 600)
        self.assertIn("…", str(refusal.exception))
