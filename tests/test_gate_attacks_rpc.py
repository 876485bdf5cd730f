"""Each way the gate once gave way, tried again over JSON-RPC as a salesperson, exactly as the web client calls.

One test per bypass found by the adversarial review; each must now be refused
with a clear error (never a server error), and leave nothing behind.
"""

from odoo.tests import HttpCase, tagged

from .common import JsonRpcMixin, KamIntegrityCase


@tagged("post_install", "-at_install")
class TestGateAttacksOverJsonRpc(JsonRpcMixin, KamIntegrityCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.deal = self._new_deal(stage=self.s1)
        self.authenticate(self.user_salesman.login, self.user_salesman.login)

    def _write(self, vals, deal=None):
        return ("crm.lead", "write", [(deal or self.deal).ids, vals])

    # 1. archive, move, restore ---------------------------------------------------

    def test_archive_move_restore_is_refused_at_the_restore(self):
        self.assertAccepted(*self._write({"active": False}))
        self.assertAccepted(*self._write({"stage_id": self.stage_won.id}))  # archived: free
        self.assertRefused("crm.lead", "action_unarchive", [self.deal.ids], text="Budget known")
        self.assertFalse(self.deal.active, "the deal stays archived: never active in a stage it did not reach")

    def test_archived_while_moving_then_toggled_back_is_refused(self):
        self.assertAccepted(*self._write({"stage_id": self.s3.id, "active": False}))
        message = self.assertRefused("crm.lead", "toggle_active", [self.deal.ids])
        self.assertIn("Budget known", message)
        self.assertIn("Coach found", message)
        self.assertFalse(self.deal.active)

    def test_lost_then_won_then_restored_is_refused(self):
        self.assertAccepted("crm.lead", "action_set_lost", [self.deal.ids])
        self.assertAccepted(*self._write({"stage_id": self.stage_won.id}))
        self.assertRefused("crm.lead", "toggle_active", [self.deal.ids], text="Revenue estimated")
        self.assertFalse(self.deal.active)

    # 2. a stage of another team's pipeline ------------------------------------------

    def test_another_teams_won_stage_is_beyond_the_last_stage(self):
        message = self.assertRefused(*self._write({"stage_id": self.b_won.id}))
        for milestone in ("Budget known", "Coach found", "Revenue estimated"):
            self.assertIn(milestone, message)
        self.assertEqual(self.deal.stage_id, self.s1)

    def test_an_import_resolving_the_stage_by_name_is_refused(self):
        result = self.assertAccepted("crm.lead", "load", [[".id", "stage_id"], [[str(self.deal.id), "B Won"]]])
        self.assertFalse(result["ids"])
        self.assertTrue(any("Budget known" in message["message"] for message in result["messages"]))
        self.assertEqual(self.deal.stage_id, self.s1)

    def test_a_deal_past_its_pipeline_then_moved_to_that_team_is_checked_there(self):
        deal = self._deal_in(self.stage_won)
        self.assertAccepted(*self._write({"stage_id": self.b_won.id}, deal))  # every A milestone met
        self.assertRefused(*self._write({"team_id": self.team_b.id}, deal), text="Project budget")
        self.assertEqual(deal.team_id, self.team)

    # 3. changing team ---------------------------------------------------------------

    def test_an_ungated_team_then_back_is_checked_from_the_first_stage(self):
        self.assertAccepted(*self._write({"team_id": self.team_c.id, "stage_id": self.shared.id}))
        message = self.assertRefused(*self._write({"team_id": self.team.id}))
        for milestone in ("Budget known", "Coach found", "Revenue estimated"):
            self.assertIn(milestone, message)
        self.assertEqual(self.deal.team_id, self.team_c)

    def test_the_merge_into_a_gated_team_is_refused(self):
        other = self._new_deal(name="Second order", stage=self.s1)
        for deal in self.deal | other:
            self.assertAccepted(*self._write({"team_id": self.team_c.id, "stage_id": self.shared.id}, deal))
        self.assertRefused(
            "crm.lead", "merge_opportunity", [(self.deal | other).ids], {"team_id": self.team.id}, text="Budget known"
        )
        self.assertTrue((self.deal | other).exists())
        self.assertEqual(set((self.deal | other).mapped("team_id")), {self.team_c})

    # 4. clearing or switching the company ---------------------------------------------

    def test_clearing_the_company_never_escapes_a_gate(self):
        self.assertRefused(*self._write({"company_id": False, "stage_id": self.s2.id}), text="Budget known")
        self.assertEqual(self.deal.company_id, self.env.company)

    def test_switching_company_and_back_is_checked_from_the_first_stage(self):
        self.assertAccepted(*self._write({"company_id": self.company_2.id, "stage_id": self.s2.id}))
        self.assertRefused(*self._write({"company_id": self.env.company.id}), text="Budget known")
        self.assertEqual(self.deal.company_id, self.company_2)

    # 5. writing stored computed fields --------------------------------------------------

    def test_the_addons_computed_fields_cannot_be_written(self):
        flag = self.env["kam.red.flag"].search([], limit=1)
        for vals in (
            {"kam_qualification_score": 100, "stage_id": self.s2.id},
            {"kam_qualification_score": 100},
            {"kam_red_flag_ids": [(6, 0, [])]},
            {"kam_red_flag_ids": [(6, 0, flag.ids)]},
            {"kam_grade": "A"},
            {"kam_gate_open": True},
        ):
            with self.subTest(vals=vals):
                self.assertRefused(*self._write(vals), text="cannot be set")
        self.assertRefused(
            "crm.lead",
            "create",
            [{"name": "Forged", "type": "opportunity", "team_id": self.team.id, "kam_qualification_score": 100}],
            text="cannot be set",
        )
        self.assertEqual(self.deal.kam_qualification_score, 0)

    def test_milestone_rows_cannot_be_written_created_or_deleted(self):
        row = self._row(self.deal, self.ms_budget)
        for vals in ({"state": "done"}, {"passed": True}, {"grandfathered": True}, {"lead_id": self.deal.id}):
            with self.subTest(vals=vals):
                self.assertRefused("kam.lead.milestone", "write", [row.ids, vals])
        self.assertRefused(
            "crm.lead", "write", [self.deal.ids, {"kam_milestone_ids": [(1, row.id, {"state": "done"})]}]
        )
        self.assertRefused("kam.lead.milestone", "unlink", [row.ids], error="odoo.exceptions.AccessError")
        self.assertRefused(
            "kam.lead.milestone", "create", [{"lead_id": self.deal.id, "milestone_id": self.ms_b_budget.id}]
        )
        self.assertEqual(row.state, "todo")

    # 6. a forged chatter message is no done activity -------------------------------------

    def test_a_message_naming_an_activity_type_meets_nothing(self):
        self._meet(self.deal, self.ms_budget)
        self.assertAccepted(
            "crm.lead",
            "message_post",
            [self.deal.ids],
            {"body": "Called them", "mail_activity_type_id": self.activity_call.id, "message_type": "comment"},
        )
        self._call(
            "mail.message",
            "create",
            [
                {
                    "model": "crm.lead",
                    "res_id": self.deal.id,
                    "body": "Called them again",
                    "mail_activity_type_id": self.activity_call.id,
                }
            ],
        )
        self.assertEqual(self._row(self.deal, self.ms_call).state, "todo")
        self.assertRefused(*self._write({"stage_id": self.s2.id}), text="Customer called")
        # the real thing: an activity marked done
        self.assertAccepted(
            "crm.lead",
            "activity_schedule",
            [self.deal.ids],
            {"activity_type_id": self.activity_call.id, "user_id": self.user_salesman.id},
        )
        activity = self.env["mail.activity"].search([("res_model", "=", "crm.lead"), ("res_id", "=", self.deal.id)])
        self.assertAccepted(
            "mail.activity", "action_feedback", [activity.ids], {"feedback": "Called the plant manager"}
        )
        self.assertEqual(self._row(self.deal, self.ms_call).state, "done")
        self.assertAccepted(*self._write({"stage_id": self.s2.id}))

    # 7. another salesperson's buying centre --------------------------------------------

    def test_a_stakeholder_cannot_be_moved_into_someone_elses_deal(self):
        theirs = self._new_deal(name="Their deal", stage=self.s1, user_id=self.user_salesman_b.id)
        person = self.env["res.partner"].create({"name": "Li Wei"})
        coach = self.env.ref("kam_sales_process.role_coach")
        stakeholder_id = self.assertAccepted(
            "kam.stakeholder",
            "create",
            [{"lead_id": self.deal.id, "partner_id": person.id, "role_ids": [(6, 0, coach.ids)]}],
        )
        self.assertRefused("kam.stakeholder", "write", [[stakeholder_id], {"lead_id": theirs.id}])
        self.assertRefused(
            "kam.stakeholder",
            "create",
            [{"lead_id": theirs.id, "partner_id": person.id}],
            error="odoo.exceptions.AccessError",
        )
        self.assertFalse(theirs.kam_stakeholder_ids)
        self.assertEqual(self.env["kam.stakeholder"].browse(stakeholder_id).lead_id, self.deal)

    # 8. manager actions check the group on the server ------------------------------------

    def test_manager_actions_are_refused_to_a_salesperson(self):
        self.assertRefused(
            "res.config.settings", "action_kam_recompute_tiers", [[]], error="odoo.exceptions.AccessError"
        )
        self.assertRefused("res.partner", "action_kam_recompute_tiers", [[]], error="odoo.exceptions.AccessError")
        row = self._row(self.deal, self.ms_budget)
        self.assertRefused(
            "kam.lead.milestone", "action_waive", [row.ids], {"reason": "I say so"}, error="odoo.exceptions.AccessError"
        )
        self.assertEqual(row.state, "todo")

    def test_wrong_types_get_a_clear_error(self):
        self.authenticate(self.user_sales_manager.login, self.user_sales_manager.login)
        row = self._row(self.deal, self.ms_budget)
        for reason in (123, ["a"], {"a": 1}, None, "   "):
            with self.subTest(reason=reason):
                self.assertRefused("kam.lead.milestone", "action_waive", [row.ids], {"reason": reason})
        self.assertRefused("crm.lead", "search", [[["kam_gate_open", "in", ["x"]]]], text="Gate Open")
        self.assertEqual(row.state, "todo")

    def test_a_parent_given_as_anything_but_an_id_gets_a_clear_error(self):
        """A buying-centre entry or a competitor line names its deal by id: anything else is refused
        in words, before the addon's own checks would trip over it."""
        partner = self.env["res.partner"].create({"name": "Wrong-typed Person"})
        competitor = self.env["kam.competitor"].create({"name": "Wrong-typed Rival"})
        for lead in ([self.deal.id], {"id": self.deal.id}, "x", [[4, self.deal.id]]):
            with self.subTest(lead=lead):
                self.assertRefused(
                    "kam.stakeholder", "create", [{"lead_id": lead, "partner_id": partner.id}], text="Deal"
                )
                self.assertRefused(
                    "kam.lead.competitor", "create", [{"lead_id": lead, "competitor_id": competitor.id}], text="Deal"
                )
        self.assertRefused(
            "kam.stakeholder", "create", [{"lead_id": self.deal.id, "partner_id": [partner.id]}], text="Contact"
        )
        self.assertFalse(self.deal.kam_stakeholder_ids)
        self.assertFalse(self.deal.kam_competitor_ids)
        # an id as a string is no id either: refused, not looked up
        self.assertRefused("kam.stakeholder", "create", [{"lead_id": str(self.deal.id), "partner_id": partner.id}])
        self.assertAccepted("kam.stakeholder", "create", [{"lead_id": self.deal.id, "partner_id": partner.id}])
        self.assertEqual(self.deal.kam_stakeholder_ids.partner_id, partner)

    def test_a_deal_given_as_a_default_is_checked_like_one_given_in_the_values(self):
        """A company that locks its won deals (a rule of its own on crm.lead) locks their buying centre and
        competitors too, also when the deal comes from the context's default."""
        self.env["ir.rule"].create({
            "name": "Won deals are closed",  # a global rule: it restricts every user's own rules
            "model_id": self.env["ir.model"]._get_id("crm.lead"),
            "domain_force": "[('stage_id.is_won', '=', False)]",
            "perm_read": False, "perm_write": True, "perm_create": False, "perm_unlink": False,
        })  # fmt: skip
        won = self._deal_in(self.stage_won)
        partner = self.env["res.partner"].create({"name": "Late Contact"})
        rival = self.env["kam.competitor"].create({"name": "Late Rival"})
        for model, vals in (
            ("kam.stakeholder", {"partner_id": partner.id}),
            ("kam.lead.competitor", {"competitor_id": rival.id}),
        ):
            with self.subTest(model=model):
                self.assertRefused(model, "create", [{**vals, "lead_id": won.id}], error="odoo.exceptions.AccessError")
                self.assertRefused(
                    model,
                    "create",
                    [vals],
                    {"context": {"default_lead_id": won.id}},
                    error="odoo.exceptions.AccessError",
                )
                self.assertRefused(model, "create", [vals], {"context": {"default_lead_id": "x"}}, text="Deal")
        self.assertFalse(won.kam_stakeholder_ids)
        self.assertFalse(won.kam_competitor_ids)
        # the deal form's own list passes the open deal as the default: still accepted on a deal one may edit
        self.assertAccepted(
            "kam.stakeholder", "create", [{"partner_id": partner.id}], {"context": {"default_lead_id": self.deal.id}}
        )
        self.assertEqual(self.deal.kam_stakeholder_ids.partner_id, partner)

    def test_defaults_in_the_context_set_nothing_the_addon_keeps(self):
        """Odoo fills a new record from the context's ``default_*`` keys, readonly fields included: none of
        what the addon keeps (a contact's stamp, identity change, a plan action's done date) comes from there."""
        person = self.env["res.partner"].create({"name": "Stamped Nobody"})
        context = {
            "default_last_contact_manual": "2026-11-20",
            "default_last_contact_set_by_id": self.user_sales_manager.id,
            "default_last_contact_set_on": "2026-11-20 09:00:00",
            "default_identity_changed": True,
            "default_contacted": True,
        }
        stakeholder_id = self.assertAccepted(
            "kam.stakeholder", "create", [{"lead_id": self.deal.id, "partner_id": person.id}], {"context": context}
        )
        stakeholder = self.env["kam.stakeholder"].browse(stakeholder_id)
        self.assertFalse(stakeholder.last_contact_manual)
        self.assertFalse(stakeholder.last_contact_set_by_id)
        self.assertFalse(stakeholder.last_contact_set_on)
        self.assertFalse(stakeholder.identity_changed)
        self.assertFalse(stakeholder.contacted)

    def test_a_buying_centre_entry_copied_to_another_deal_brings_no_stamp(self):
        person = self.env["res.partner"].create({"name": "Copied Person"})
        other = self._new_deal(name="Sister plant", stage=self.s1)
        source = self.env["kam.stakeholder"].create(
            {"lead_id": self.deal.id, "partner_id": person.id, "last_contact_manual": "2026-11-01"}
        )
        copy_id = self.assertAccepted("kam.stakeholder", "copy", [source.ids], {"default": {"lead_id": other.id}})
        copy = self.env["kam.stakeholder"].browse(copy_id[0] if isinstance(copy_id, list) else copy_id)
        self.assertEqual((copy.lead_id, copy.partner_id), (other, person))
        self.assertFalse(copy.last_contact_manual)
        self.assertFalse(copy.last_contact_set_by_id)

    def test_a_contact_date_set_by_hand_stays_with_its_person(self):
        met, never_met = self.env["res.partner"].create([{"name": "Met Once"}, {"name": "Never Met"}])
        stakeholder_id = self.assertAccepted(
            "kam.stakeholder",
            "create",
            [{"lead_id": self.deal.id, "partner_id": met.id, "last_contact_manual": "2026-11-01"}],
        )
        stakeholder = self.env["kam.stakeholder"].browse(stakeholder_id)
        self.assertTrue(stakeholder.contacted)
        self.assertAccepted("kam.stakeholder", "write", [[stakeholder_id], {"partner_id": never_met.id}])
        self.assertEqual(stakeholder.partner_id, never_met)
        self.assertFalse(stakeholder.last_contact_manual)
        self.assertFalse(stakeholder.last_contact_set_by_id)
        self.assertFalse(stakeholder.contacted)

    def test_a_waived_or_passed_milestone_is_not_ticked_over(self):
        waived = self._row(self.deal, self.ms_budget)
        waived.with_user(self.user_sales_manager).action_waive(reason="Budget confirmed orally by the CFO.")
        self.assertRefused("kam.lead.milestone", "action_done", [waived.ids], text="waiver")
        self.assertEqual((waived.state, waived.waive_reason), ("waived", "Budget confirmed orally by the CFO."))
        forced = self._new_deal(name="Forced forward", stage=self.s1)
        self.env["kam.stage.override"].with_user(self.user_sales_manager).create(
            {"lead_ids": [(6, 0, forced.ids)], "stage_id": self.s3.id, "reason": "Steering committee said yes."}
        ).action_confirm()
        passed = self._row(forced, self.ms_budget)
        self.assertTrue(passed.passed)
        state = passed.state
        self.assertRefused("kam.lead.milestone", "action_done", [passed.ids], text="moved past")
        self.assertEqual(passed.state, state)
        evidence = passed.evidence
        self.assertRefused(
            "kam.lead.milestone", "write", [passed.ids, {"evidence": "Rewritten later"}], text="moved past"
        )
        self.assertEqual(passed.evidence, evidence)

    def test_a_won_stage_sorted_first_still_closes_the_pipeline(self):
        """A shared Won stage whose sequence sorts it before the team's stages is still beyond them all."""
        early_won = self.env["crm.stage"].create({"name": "Early Won", "sequence": 0, "is_won": True})
        message = self.assertRefused(*self._write({"stage_id": early_won.id}))
        for milestone in ("Budget known", "Coach found", "Revenue estimated"):
            self.assertIn(milestone, message)
        self.assertEqual(self.deal.stage_id, self.s1)
        won = self._deal_in(self.stage_won)
        self.assertAccepted(*self._write({"stage_id": early_won.id}, won))  # every milestone met: sideways
        self.assertAccepted(*self._write({"stage_id": self.s2.id}, won))  # and back

    def test_a_deal_parked_while_archived_is_not_settled_by_a_new_milestone(self):
        """Moved while archived (never gated), then a manager adds a milestone: the deals standing past it are
        settled where they stand, but not an archived one, whose restore is still checked from the first stage."""
        self.assertAccepted(*self._write({"active": False}))
        self.assertAccepted(*self._write({"stage_id": self.s4.id}))
        self.assertRefused("crm.lead", "action_unarchive", [self.deal.ids], text="Budget known")
        self.env["kam.milestone"].with_user(self.user_sales_manager).create({"name": "Later", "stage_id": self.s4.id})
        self.assertFalse(self._row(self.deal, self.ms_budget).grandfathered)
        message = self.assertRefused("crm.lead", "action_unarchive", [self.deal.ids])
        for milestone in ("Budget known", "Coach found", "Revenue estimated"):
            self.assertIn(milestone, message)
        self.assertFalse(self.deal.active)
        # an active deal standing past the new milestone's stage is still settled where it stands
        won = self._deal_in(self.stage_won)
        later = self.env["kam.milestone"].create({"name": "Even later", "stage_id": self.s4.id})
        self.assertTrue(self._row(won, later).grandfathered)

    def test_an_archived_deal_is_settled_where_it_stood_when_last_active(self):
        """Where an archived deal stood as an active deal (its last stay), not where it was moved since, nor
        in another pipeline it was moved to while archived (second round of the review)."""
        Milestone = self.env["kam.milestone"].with_user(self.user_sales_manager)
        honest = self._deal_in(self.s3)  # S1 and S2 met on its way
        self.assertAccepted(*self._write({"active": False}, honest))
        parked = self._deal_in(self.s2)
        self.assertAccepted(*self._write({"active": False}, parked))
        self.assertAccepted(*self._write({"stage_id": self.s4.id}, parked))
        moved = self._deal_in(self.s3)
        self.assertAccepted(*self._write({"active": False}, moved))
        self.assertAccepted(*self._write({"team_id": self.team_b.id, "stage_id": self.b_won.id}, moved))
        nda = Milestone.create({"name": "NDA signed", "stage_id": self.s2.id})  # before where all three stood
        Milestone.create({"name": "Project plan", "stage_id": self.b1.id, "team_ids": [(6, 0, self.team_b.ids)]})
        self.assertTrue(self._row(honest, nda).grandfathered)
        self.assertAccepted("crm.lead", "action_unarchive", [honest.ids])  # not punished for history
        self.assertFalse(self._row(parked, nda).grandfathered)  # it stood in S2: NDA is its own stage's
        self.assertRefused("crm.lead", "action_unarchive", [parked.ids], text="Coach found")
        self.assertRefused("crm.lead", "action_unarchive", [moved.ids], text="Project budget")
        self.assertFalse((parked | moved).filtered("active"))
        # where it stood when archived is recorded on the deal: made a lead (the funnel's history stops following
        # it) and moved back before being archived, it is settled there (third round of the review)
        tricky = self._deal_in(self.s3)
        for vals in ({"type": "lead"}, {"stage_id": self.s1.id}, {"active": False}, {"stage_id": self.s3.id},
                     {"type": "opportunity"}):  # fmt: skip
            self.assertAccepted(*self._write(vals, tricky))
        visit = Milestone.create({"name": "Site visit", "stage_id": self.s2.id})
        self.assertFalse(self._row(tricky, visit).grandfathered)
        self.assertRefused("crm.lead", "action_unarchive", [tricky.ids], text="Site visit")
        self.assertRefused(*self._write({"kam_archived_position": {"stage": self.s4.id}}, tricky))
        self.assertEqual(tricky.kam_archived_position["stage"], self.s1.id)
        # a stage it cleared re-ordered to the end gains it nothing either (S2, S3, S4, …, S1): it stood in S2
        self.s1.with_user(self.user_sales_manager).sequence = 45
        self.assertRefused("crm.lead", "action_unarchive", [parked.ids], text="Coach found")
        self.assertFalse(parked.active)

    def test_a_step_sideways_to_a_sibling_stage_skips_nothing(self):
        """A stage of the same sequence as S2 and without milestones: stepping there from S2, then on, still
        needs S2's milestones (stages of one sequence are one level)."""
        sibling = self.env["crm.stage"].create({"name": "S2 sibling", "sequence": 2, "team_id": self.team.id})
        deal = self._deal_in(self.s2)
        self.assertRefused(*self._write({"stage_id": self.s3.id}, deal), text="Coach found")
        self.assertAccepted(*self._write({"stage_id": sibling.id}, deal))  # sideways: free
        self.assertRefused(*self._write({"stage_id": self.s3.id}, deal), text="Coach found")
        self.assertEqual(deal.stage_id, sibling)
        self._meet(deal, self.ms_coach)
        self.assertAccepted(*self._write({"stage_id": self.s3.id}, deal))

    def test_another_users_file_is_no_evidence(self):
        """A file its owner keeps on their own deal cannot be linked as the evidence of someone else's milestone
        (it would count unseen, then be kept from its owner as the evidence of a ticked milestone)."""
        theirs = self._new_deal(name="Bo's deal", user_id=self.user_salesman_b.id, stage=self.s1)
        their_file = (
            self.env["ir.attachment"]
            .with_user(self.user_salesman_b)
            .create({"name": "bo-quote.pdf", "raw": b"Bo's quote", "res_model": "crm.lead", "res_id": theirs.id})
        )
        deal = self._deal_in(self.s2)
        row = self._row(deal, self.ms_coach)
        for commands in ([[4, their_file.id]], [[6, 0, [their_file.id]]]):
            self.assertRefused(
                "kam.lead.milestone", "write", [row.ids, {"attachment_ids": commands}],
                error="odoo.exceptions.AccessError",
            )  # fmt: skip
        self.assertFalse(row.attachment_ids)
        # a file the user may read but is another's (public, on a shared record) is not their evidence either
        public = (
            self.env["ir.attachment"]
            .with_user(self.user_salesman_b)
            .create({"name": "brochure.pdf", "raw": b"Brochure", "public": True})
        )
        self.assertRefused(
            "kam.lead.milestone", "write", [row.ids, {"attachment_ids": [[4, public.id]]}], text="brochure.pdf"
        )
        self.assertFalse(row.attachment_ids)
        self.assertRefused("kam.lead.milestone", "action_done", [row.ids], text="evidence")
        for commands in ([[4, "a"]], "x", [[9, 1]], [[4, 2**40]], [None], [[6, 0, "x"]], [[4, their_file.id + 1000]]):
            with self.subTest(commands=commands):
                self.assertRefused("kam.lead.milestone", "write", [row.ids, {"attachment_ids": commands}])
        own = (
            self.env["ir.attachment"]
            .with_user(self.user_salesman)
            .create({"name": "minutes.pdf", "raw": b"Minutes", "res_model": "kam.lead.milestone", "res_id": row.id})
        )
        self.assertAccepted("kam.lead.milestone", "write", [row.ids, {"attachment_ids": [[4, own.id]]}])
        self.assertAccepted("kam.lead.milestone", "action_done", [row.ids])
        self.assertEqual(row.state, "done")
        self.env["ir.attachment"].with_user(self.user_salesman_b).browse(their_file.id).unlink()  # still theirs

    def test_the_note_of_an_override_stays_as_it_is(self):
        """Odoo lets whoever may edit a deal edit or delete its messages: not the note saying who forced it past
        which milestones and why; and a message a client makes is never such a note."""
        self.env["kam.stage.override"].with_user(self.user_sales_manager).with_context(
            active_model="crm.lead", active_ids=self.deal.ids
        ).create({"stage_id": self.s3.id, "reason": "Steering committee"}).action_confirm()
        note = self.deal.message_ids.filtered("kam_audit_log")
        self.assertEqual(len(note), 1)
        self.assertIn("Steering committee", str(note.body))
        for login in (self.user_salesman.login, self.user_sales_manager.login):
            self.authenticate(login, login)
            with self.subTest(login=login):
                self.assertRefused(
                    "mail.message", "write", [note.ids, {"body": "<p>nothing</p>"}], error="odoo.exceptions.AccessError"
                )
                self.assertRefused("mail.message", "unlink", [note.ids], error="odoo.exceptions.AccessError")
        self.assertIn("Steering committee", str(note.body))
        self.authenticate(self.user_salesman.login, self.user_salesman.login)
        forged = self.assertAccepted(
            "mail.message",
            "create",
            [{"model": "crm.lead", "res_id": self.deal.id, "body": "Stage forced", "message_type": "notification",
              "kam_audit_log": True}],
        )  # fmt: skip
        self.assertFalse(self.env["mail.message"].browse(forged).kam_audit_log)
        self.assertAccepted("mail.message", "unlink", [[forged]])  # an ordinary message: Odoo's rules
        # nor from a default in the context, or a personal default
        forged = self.assertAccepted(
            "mail.message", "create", [{"model": "crm.lead", "res_id": self.deal.id, "body": "Stage forced"}],
            {"context": {"default_kam_audit_log": True}},
        )  # fmt: skip
        self.assertFalse(self.env["mail.message"].browse(forged).kam_audit_log)
        self.env["ir.default"].with_user(self.user_salesman).set("mail.message", "kam_audit_log", True, user_id=True)
        forged = self.assertAccepted(
            "mail.message", "create", [{"model": "crm.lead", "res_id": self.deal.id, "body": "Stage forced"}]
        )
        self.assertFalse(self.env["mail.message"].browse(forged).kam_audit_log)

    def test_a_wizard_or_dashboard_given_odd_ids_in_the_context_ignores_them(self):
        self.authenticate(self.user_sales_manager.login, self.user_sales_manager.login)
        for active_ids in ("abc", 5, [None], [[1, 2]], [True], {"a": 1}):
            with self.subTest(active_ids=active_ids):
                values = self.assertAccepted(
                    "kam.stage.override",
                    "default_get",
                    [["lead_ids", "stage_id"]],
                    {"context": {"active_model": "crm.lead", "active_ids": active_ids}},
                )
                self.assertFalse(values.get("lead_ids"))
        values = self.assertAccepted(
            "kam.stage.override",
            "default_get",
            [["lead_ids"]],
            {"context": {"active_model": "crm.lead", "active_ids": self.deal.ids}},
        )
        self.assertEqual(values["lead_ids"], [[6, 0, self.deal.ids]])
        for team_id in (True, "x", [1], None):
            with self.subTest(team_id=team_id):
                self.assertAccepted("kam.funnel.report", "get_kam_dashboard", [], {"team_id": team_id})
