"""Buying centre: stakeholders, last contact, partner tagging, red flags."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from ..models.crm_lead_buying_centre import CrmLead as BuyingCentreLead
from ..models.kam_fields import DealLines
from ..models.kam_stakeholder import KamStakeholder
from .common import KamCase


def _crm_merge_dependences(self, opportunities):
    """crm's merge of the deals' dependences, without the addon's."""
    return super(BuyingCentreLead, self)._merge_dependences(opportunities)


def _odoo_web_read(self, specification):
    """Odoo's read of the buying centre's lines, without the addon's."""
    return super(KamStakeholder, self).web_read(specification)


@tagged("post_install", "-at_install")
class BuyingCentreCase(KamCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.decision = ref("kam_sales_process.role_decision_maker")
        cls.technical = ref("kam_sales_process.role_technical")
        cls.user_role = ref("kam_sales_process.role_user")
        cls.coach = ref("kam_sales_process.role_coach")
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Anshan Steel Works", "is_company": True})
        cls.ceo = Partner.create(
            {"name": "Wang Jun", "parent_id": cls.customer.id, "function": "CEO", "email": "wang.jun@example.com"}
        )
        cls.cto = Partner.create({"name": "Liu Yang", "parent_id": cls.customer.id, "function": "CTO"})
        cls.plant = Partner.create({"name": "Chen Hao", "parent_id": cls.customer.id, "function": "Plant manager"})
        cls.insider = Partner.create({"name": "Zhao Li", "parent_id": cls.customer.id, "function": "Buyer"})
        cls.deal = cls.env["crm.lead"].create(
            {
                "name": "Blast furnace automation",
                "type": "opportunity",
                "partner_id": cls.customer.id,
                "user_id": cls.user_salesman.id,
            }
        )

    def _tag(self, partner, *roles, deal=None, **vals):
        return self.env["kam.stakeholder"].create(
            {
                "lead_id": (deal or self.deal).id,
                "partner_id": partner.id,
                "role_ids": [(6, 0, [r.id for r in roles])],
                **vals,
            }
        )

    def _codes(self, deal=None):
        deal = deal or self.deal
        # what the cards and the form show is always the deal's flags, in the flags' order
        self.assertEqual(
            deal.kam_red_flag_badges or [],
            [{"id": flag.id, "name": flag.name, "color": flag.color} for flag in deal.kam_red_flag_ids.sorted()],
        )
        return set(deal.kam_red_flag_ids.mapped("code"))

    def _full_centre(self, contacted="2026-11-01"):
        self._tag(self.ceo, self.decision, last_contact_date=contacted)
        self._tag(self.cto, self.technical, last_contact_date=contacted)
        self._tag(self.plant, self.user_role, last_contact_date=contacted)
        return self._tag(self.insider, self.coach, last_contact_date=contacted)


class TestRedFlags(BuyingCentreCase):
    def test_an_empty_buying_centre_misses_core_roles_and_a_coach(self):
        self.assertEqual(self._codes(), {"role_missing", "no_coach"})

    def test_a_complete_and_met_buying_centre_is_clean(self):
        self._full_centre()
        self.assertEqual(self._codes(), set())

    def test_the_cards_show_the_flags_as_configured_and_read_no_flag_table(self):
        self.assertEqual(self._codes(), {"role_missing", "no_coach"})
        no_coach = self.env.ref("kam_sales_process.red_flag_no_coach")
        no_coach.write({"name": "Nobody coaches us", "color": 3, "sequence": 0})
        self.deal.invalidate_recordset(["kam_red_flag_badges"])
        self.assertEqual(self.deal.kam_red_flag_badges[0], {"id": no_coach.id, "name": "Nobody coaches us", "color": 3})
        self._codes()
        # a kanban page reads the flags from the deals' own row: one query for the page, no flag table
        deals = self.deal | self.env["crm.lead"].create(
            [{"name": f"Deal {i}", "type": "opportunity", "user_id": self.user_salesman.id} for i in range(5)]
        )
        mine = deals.with_user(self.user_salesman)
        mine.read(["kam_red_flag_badges", "name"])  # warm the caches (user, rules, flags)

        def cost(field_name):
            """The fewest queries of three reads of ``field_name`` on the page, from an empty record cache."""
            counts = []
            for _run in range(3):
                self.env.flush_all()
                deals.invalidate_recordset()
                before = self.env.cr.sql_log_count
                mine.read([field_name])
                counts.append(self.env.cr.sql_log_count - before)
            return min(counts)

        self.assertEqual(cost("kam_red_flag_badges"), cost("name"), "the flags cost what the deals' names cost")
        self.assertGreater(cost("kam_red_flag_ids"), cost("name"), "where the relation and the flags' table cost more")
        self.assertTrue(all(row["kam_red_flag_badges"] for row in mine.read(["kam_red_flag_badges"])))
        # deals with the same flags share their badges in the cache: each read is a copy of its own
        first, second = deals[1], deals[2]
        self.assertEqual(first.kam_red_flag_keys, second.kam_red_flag_keys)
        badges = first.kam_red_flag_badges
        badges[0]["name"] = "Changed by a reader"
        badges.append({"id": 0})
        self.assertEqual(second.kam_red_flag_badges, first.kam_red_flag_badges)
        self.assertNotIn("Changed by a reader", [badge["name"] for badge in first.kam_red_flag_badges])
        self.assertEqual(len(first.kam_red_flag_badges), len(badges) - 1)
        # and nothing to show for what has no flag
        self.assertFalse(self.env["crm.lead"].create({"name": "A lead", "type": "lead"}).kam_red_flag_badges)

    def test_role_missing_fires_and_clears(self):
        self._tag(self.ceo, self.decision, last_contact_date="2026-11-01")
        self._tag(self.insider, self.coach, last_contact_date="2026-11-01")
        self.assertIn("role_missing", self._codes())
        self._tag(self.cto, self.technical, self.user_role, last_contact_date="2026-11-01")
        self.assertNotIn("role_missing", self._codes())

    def test_no_coach_disappears_when_a_coach_is_tagged(self):
        self._tag(self.ceo, self.decision, self.technical, self.user_role, last_contact_date="2026-11-01")
        self.assertEqual(self._codes(), {"no_coach"})
        insider = self._tag(self.insider, last_contact_date="2026-11-01")
        self.assertIn("no_coach", self._codes())
        insider.role_ids = self.coach
        self.assertEqual(self._codes(), set())

    def test_core_buyer_never_met_fires_and_clears(self):
        self._full_centre()
        ceo = self.deal.kam_stakeholder_ids.filtered(lambda s: s.partner_id == self.ceo)
        ceo.last_contact_date = False
        self.assertIn("core_not_met", self._codes())
        ceo.last_contact_date = fields.Date.today()
        self.assertNotIn("core_not_met", self._codes())

    def test_new_face_not_followed_up_after_the_threshold(self):
        self._full_centre()
        newcomer = self.env["res.partner"].create({"name": "Sun Mei", "parent_id": self.customer.id})
        face = self._tag(newcomer, date_added=fields.Date.today() - timedelta(days=20))
        self.env["crm.lead"]._cron_kam_refresh_red_flags()
        self.env.invalidate_all()  # the daily job writes the keys on the deals' rows itself: read them back
        self.assertIn("new_face", self._codes())
        face.last_contact_date = fields.Date.today()
        self.assertNotIn("new_face", self._codes())

    def test_new_face_threshold_comes_from_settings(self):
        self._full_centre()
        newcomer = self.env["res.partner"].create({"name": "Sun Mei", "parent_id": self.customer.id})
        self._tag(newcomer, date_added=fields.Date.today() - timedelta(days=5))
        self.env["crm.lead"]._cron_kam_refresh_red_flags()
        self.assertNotIn("new_face", self._codes())
        settings = self.env["res.config.settings"].create({"kam_new_face_days": 3})
        settings.execute()
        self.assertIn("new_face", self._codes())

    def test_moving_a_contact_to_another_company_raises_identity_changed(self):
        self._full_centre()
        competitor = self.env["res.partner"].create({"name": "Baotou Steel", "is_company": True})
        self.cto.parent_id = competitor
        self.assertIn("identity_changed", self._codes())
        cto = self.deal.kam_stakeholder_ids.filtered(lambda s: s.partner_id == self.cto)
        self.assertIn("Company", cto.identity_change_note)
        # It stays until someone reviews the row.
        self.deal.invalidate_recordset()
        self.env["crm.lead"]._cron_kam_refresh_red_flags()
        self.assertIn("identity_changed", self._codes())
        cto.with_user(self.user_salesman).action_kam_review_identity()
        self.assertNotIn("identity_changed", self._codes())

    def test_a_new_job_position_or_archiving_also_changes_identity(self):
        self._full_centre()
        self.ceo.function = "Chairman"
        self.assertIn("identity_changed", self._codes())
        stakeholders = self.deal.kam_stakeholder_ids
        stakeholders.action_kam_review_identity()
        self.plant.action_archive()
        self.assertIn("identity_changed", self._codes())
        # Writing the same value again changes nothing.
        stakeholders.action_kam_review_identity()
        self.cto.function = "CTO"
        self.assertNotIn("identity_changed", self._codes())

    def test_has_red_flags_filter(self):
        clean = self.env["crm.lead"].create({"name": "Clean", "type": "opportunity", "partner_id": self.customer.id})
        self._full_centre()
        for partner, role in ((self.ceo, self.decision), (self.cto, self.technical), (self.plant, self.user_role)):
            self._tag(partner, role, deal=clean, last_contact_date="2026-11-01")
        self._tag(self.insider, self.coach, deal=clean, last_contact_date="2026-11-01")
        flagged = self.env["crm.lead"].create({"name": "Flagged", "type": "opportunity"})
        # Odoo 18 does not flush pending many2many computes before a search on
        # them within the same transaction; requests are flushed at their end.
        self.env.flush_all()
        found = self.env["crm.lead"].search([("id", "in", (clean | flagged).ids), ("kam_red_flag_ids", "!=", False)])
        self.assertEqual(found, flagged)
        no_coach = self.env.ref("kam_sales_process.red_flag_no_coach")
        self.assertIn(flagged, self.env["crm.lead"].search([("kam_red_flag_ids", "in", no_coach.ids)]))

    def test_an_automation_rule_on_a_new_red_flag_can_be_built_without_code(self):
        no_coach = self.env.ref("kam_sales_process.red_flag_no_coach")
        lead_model = self.env.ref("crm.model_crm_lead")
        self.env["base.automation"].create(
            {
                "name": "Warn when a deal loses its coach",
                "model_id": lead_model.id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [(6, 0, self.env.ref("kam_sales_process.field_crm_lead__kam_red_flag_ids").ids)],
                "filter_pre_domain": f"[('kam_red_flag_ids', 'not in', [{no_coach.id}])]",
                "filter_domain": f"[('kam_red_flag_ids', 'in', [{no_coach.id}])]",
                "action_server_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Flag priority",
                            "model_id": lead_model.id,
                            "state": "object_write",
                            "update_path": "priority",
                            "value": "3",
                            "evaluation_type": "value",
                        },
                    )
                ],
            }
        )
        self._full_centre()
        self.assertEqual(self.deal.priority, "0")
        insider = self.deal.kam_stakeholder_ids.filtered(lambda s: s.partner_id == self.insider)
        insider.unlink()
        self.assertIn("no_coach", self._codes())
        self.assertEqual(self.deal.priority, "3")


class TestStakeholders(BuyingCentreCase):
    def test_one_row_per_person_per_deal_with_a_clear_message(self):
        self._tag(self.ceo, self.decision)
        with self.assertRaises(ValidationError) as refusal, self.cr.savepoint():
            self._tag(self.ceo, self.coach)
        self.assertIn("Wang Jun", str(refusal.exception))
        self.assertIn("only appear once", str(refusal.exception))

    def test_a_salesperson_sees_stakeholders_only_on_deals_they_can_see(self):
        mine = self._tag(self.ceo, self.decision)
        other_deal = self.env["crm.lead"].create(
            {"name": "Someone else's", "type": "opportunity", "user_id": self.user_sales_manager.id}
        )
        theirs = self._tag(self.cto, self.technical, deal=other_deal)
        visible = self.env["kam.stakeholder"].with_user(self.user_salesman).search([("id", "in", (mine | theirs).ids)])
        self.assertEqual(visible, mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.user_salesman).read(["partner_id"])
        # as the list reads them (names and roles joined in one query first): refused all the same
        spec = {"partner_id": {"fields": {"display_name": {}}}, "function": {},
                "role_ids": {"fields": {"display_name": {}, "color": {}}}}  # fmt: skip
        for people in (theirs, mine | theirs):
            people.env.invalidate_all()
            with self.assertRaises(AccessError):
                people.with_user(self.user_salesman).web_read(spec)
        [shown] = mine.with_user(self.user_salesman).web_read(spec)
        self.assertEqual(
            (shown["partner_id"]["display_name"], shown["function"], [r["id"] for r in shown["role_ids"]]),
            ("Anshan Steel Works, Wang Jun", "CEO", self.decision.ids),
        )
        all_docs = (
            self.env["kam.stakeholder"].with_user(self.user_sales_all).search([("id", "in", (mine | theirs).ids)])
        )
        self.assertEqual(all_docs, mine | theirs)

    def test_last_contact_follows_emails_meetings_and_done_activities(self):
        stakeholder = self._tag(self.ceo, self.decision)
        self.assertFalse(stakeholder.contacted)
        self.deal.message_post(body="Thanks for the visit", author_id=self.ceo.id, message_type="email")
        self.assertEqual(stakeholder.last_contact_date, fields.Date.today())
        self.assertTrue(stakeholder.contacted)

        cto = self._tag(self.cto, self.technical)
        yesterday = fields.Datetime.now() - timedelta(days=1)
        self.env["calendar.event"].create(
            {
                "name": "Plant tour",
                "start": yesterday,
                "stop": yesterday + timedelta(hours=2),
                "partner_ids": [(6, 0, self.cto.ids)],
            }
        )
        self.assertEqual(cto.last_contact_date, yesterday.date())
        # a meeting they declined is no contact with them; accepted again, it is
        attendee = self.env["calendar.attendee"].search([("partner_id", "=", self.cto.id)])
        attendee.do_decline()
        self.assertFalse(cto.contacted)
        attendee.do_accept()
        self.assertEqual(cto.last_contact_date, yesterday.date())

        plant = self._tag(self.plant, self.user_role)
        call = self.env.ref("mail.mail_activity_data_call")
        self.plant.activity_schedule(activity_type_id=call.id, user_id=self.user_salesman.id).action_feedback("Called")
        self.assertEqual(plant.last_contact_date, fields.Date.today())

    def test_last_contact_can_be_set_by_hand_and_a_later_contact_wins(self):
        stakeholder = self._tag(self.ceo, self.decision)
        stakeholder.last_contact_date = "2026-01-15"
        self.assertEqual(str(stakeholder.last_contact_date), "2026-01-15")
        self.deal.message_post(body="Following up", partner_ids=self.ceo.ids, message_type="comment")
        self.assertEqual(stakeholder.last_contact_date, fields.Date.today())

    def test_reports_to_defaults_from_the_contacts_hierarchy(self):
        boss = self._tag(self.ceo, self.decision)
        assistant = self.env["res.partner"].create({"name": "Ma Lin", "parent_id": self.ceo.id})
        row = self._tag(assistant)
        self.assertEqual(row.reports_to_id, boss)

    def test_reports_to_stays_within_the_deal_and_goes_round_nowhere(self):
        boss = self._tag(self.ceo, self.decision)
        cto = self._tag(self.cto, self.technical, reports_to_id=boss.id)
        other = self.env["crm.lead"].create(
            {"name": "Cold mill", "type": "opportunity", "user_id": self.user_salesman.id}
        )
        stranger = self._tag(self.plant, deal=other)
        mine = self.env["kam.stakeholder"].with_user(self.user_salesman).browse(cto.id)
        # someone of another deal's buying centre: the chart of neither deal could draw the link
        with self.assertRaises(ValidationError) as caught:
            mine.reports_to_id = stranger
        self.assertIn("same deal's buying centre", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            self._tag(self.insider, deal=other, reports_to_id=boss.id)
        self.assertIn("same deal's buying centre", str(caught.exception))
        # a circle (themselves, or two people reporting to each other) would drop them from the chart
        with self.assertRaises(ValidationError) as caught:
            mine.reports_to_id = cto
        self.assertIn("circle", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            mine.browse(boss.id).reports_to_id = cto
        self.assertIn("circle", str(caught.exception))
        self.assertEqual(cto.reports_to_id, boss)
        self.assertFalse(boss.reports_to_id)
        for value in ("abc", [boss.id], {"id": boss.id}):
            with self.subTest(reports_to_id=value), self.assertRaises(UserError):
                mine.write({"reports_to_id": value})
            with self.subTest(reports_to_id=value), self.assertRaises(UserError):
                self._tag(self.insider, reports_to_id=value)
        # copied to another deal, an entry does not take its boss along (the hierarchy fills it in there)
        copy = cto.copy({"lead_id": other.id})
        self.assertFalse(copy.reports_to_id)

    def test_only_people_reporting_to_someone_are_looked_at_for_a_circle(self):
        Stakeholder = type(self.env["kam.stakeholder"])
        with patch.object(Stakeholder, "_has_cycle", autospec=True, side_effect=Stakeholder._has_cycle) as looked:
            boss = self._tag(self.ceo, self.decision)
            self.assertFalse(boss.reports_to_id)
            looked.assert_not_called()
            cto = self._tag(self.cto, self.technical, reports_to_id=boss.id)
            looked.assert_called_once()
            self.assertEqual(looked.call_args.args[0], cto)
            # taking the boss away closes no circle: nothing to look for
            cto.reports_to_id = False
            looked.assert_called_once()
            with self.assertRaises(ValidationError) as caught:
                cto.write({"reports_to_id": cto.id})
            self.assertIn("circle", str(caught.exception))

    def test_the_contact_shows_its_deals_and_roles(self):
        self._tag(self.insider, self.coach)
        other = self.env["crm.lead"].create({"name": "Cold mill", "type": "opportunity"})
        self._tag(self.insider, self.coach, self.user_role, deal=other)
        self.assertEqual(self.insider.kam_stakeholder_count, 2)
        self.assertEqual(self.insider.kam_role_ids, self.coach | self.user_role)
        action = self.insider.action_kam_view_stakeholders()
        self.assertEqual(self.env["kam.stakeholder"].search(action["domain"]).lead_id, self.deal | other)
        coaches = self.env["res.partner"].search([("kam_role_ids", "in", self.coach.ids)])
        self.assertEqual(coaches, self.insider)
        # Grouping people by role is done on the buying-centre entries (record rules apply there).
        groups = self.env["kam.stakeholder"]._read_group(
            [("partner_id", "=", self.insider.id)], ["role_ids"], ["__count"]
        )
        self.assertEqual({role.id for role, _count in groups}, set((self.coach | self.user_role).ids))

    def test_a_person_picked_in_the_buying_centre_is_created_under_the_customer(self):
        with Form(self.deal.with_user(self.user_salesman)) as form, form.kam_stakeholder_ids.new() as line:
            line.partner_id = (
                self.env["res.partner"]
                .with_context(default_parent_id=self.deal.kam_customer_company_id.id)
                .create({"name": "Newcomer Xu"})
            )
            line.role_ids.add(self.coach)
        newcomer = self.deal.kam_stakeholder_ids.partner_id.filtered(lambda p: p.name == "Newcomer Xu")
        self.assertEqual(newcomer.parent_id, self.customer)

    def test_merging_deals_merges_their_buying_centres(self):
        head = self.deal
        self._tag(self.ceo, self.coach)
        tail = self.env["crm.lead"].create(
            {"name": "Blast furnace automation (duplicate)", "type": "opportunity", "partner_id": self.customer.id,
             "user_id": self.user_salesman.id}
        )  # fmt: skip
        boss = self._tag(self.ceo, self.decision, deal=tail)
        cto = self._tag(self.cto, self.technical, deal=tail, reports_to_id=boss.id)
        wizard = (
            self.env["crm.merge.opportunity"]
            .with_user(self.user_salesman)
            .create({"opportunity_ids": [(6, 0, (head | tail).ids)], "user_id": self.user_salesman.id})
        )
        merged = wizard.action_merge()
        survivor = self.env["crm.lead"].browse(merged["res_id"])
        self.assertEqual(survivor, head)
        self.assertFalse(tail.exists())
        centre = survivor.kam_stakeholder_ids
        self.assertEqual(centre.partner_id, self.ceo | self.cto, "one entry per person")
        self.assertEqual(centre.filtered(lambda s: s.partner_id == self.ceo).role_ids, self.coach | self.decision)
        self.assertEqual(cto.lead_id, survivor)
        self.assertFalse(cto.reports_to_id, "their boss's entry of the other deal is gone")

    def test_crm_own_merges_bring_the_buying_centres_and_competitors_along(self):
        """Not only crm's Merge wizard: its de-duplications and a call of merge_opportunity lose nobody."""
        rival = self.env["kam.competitor"].create({"name": "Northern Controls"})
        tail = self.deal.copy({"name": "Blast furnace automation (from the web form)"})
        person = self._tag(self.cto, self.technical, deal=tail)
        line = self.env["kam.lead.competitor"].create({"lead_id": tail.id, "competitor_id": rival.id})
        self._tag(self.ceo, self.decision)
        survivor = (self.deal | tail).with_user(self.user_salesman).merge_opportunity(auto_unlink=True)
        self.assertEqual(survivor, self.deal)
        self.assertFalse(tail.exists())
        self.assertEqual(survivor.kam_stakeholder_ids.partner_id, self.ceo | self.cto)
        self.assertEqual((person.lead_id, line.lead_id), (survivor, survivor))

    def test_merging_deals_without_lines_costs_no_query(self):
        Lead = self.env["crm.lead"]
        values = {"type": "opportunity", "partner_id": self.customer.id, "user_id": self.user_salesman.id}
        pairs = [Lead.create([{**values, "name": f"Duplicate {n}"}] * 2) for n in range(3)]

        def merge(pair):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            pair.merge_opportunity(auto_unlink=True)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        merge(pairs[0])  # Odoo's caches
        queries = merge(pairs[1])
        with patch.object(BuyingCentreLead, "_merge_dependences", _crm_merge_dependences):
            self.assertEqual(merge(pairs[2]), queries)


class TestListsOfADeal(BuyingCentreCase):
    """The buying centre and the competitors in play: no query for the lists of a deal without any."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rival = cls.env["kam.competitor"].create({"name": "Northern Controls"})

    def _lists_read_with_the_row(self, deal):
        """What the form reads: the deal's row (its flags among the columns), then its two lists."""
        deal.invalidate_model()
        deal.mapped("kam_has_stakeholders")  # the row with all its columns (its flags too), as a form reads it
        return deal.kam_stakeholder_ids, deal.kam_competitor_ids

    def test_a_deal_without_lines_reads_its_lists_without_a_query(self):
        deal = self.deal.with_user(self.user_salesman)
        deal.invalidate_model()
        deal.mapped("kam_has_stakeholders")
        with self.assertQueryCount(0):
            self.assertFalse(deal.kam_stakeholder_ids)
            self.assertFalse(deal.kam_competitor_ids)
        # the form reads the flags with the row: its two lists then cost no query of their own
        spec = {"kam_has_stakeholders": {}, "kam_has_competitors": {}, "kam_stakeholder_ids": {"fields": {}},
                "kam_competitor_ids": {"fields": {}}}  # fmt: skip

        def web_read():
            deal.invalidate_model()
            before = self.env.cr.sql_log_count
            [values] = deal.web_read(spec)
            return self.env.cr.sql_log_count - before, values

        queries, values = web_read()
        self.assertEqual((values["kam_stakeholder_ids"], values["kam_competitor_ids"]), ([], []))
        with patch.object(DealLines, "read", fields.One2many.read):
            web_read()  # the lines' record rules into Odoo's caches
            as_odoo_reads, _values = web_read()
        self.assertEqual(as_odoo_reads - queries, 2)
        entry = self._tag(self.ceo, self.decision)
        line = self.env["kam.lead.competitor"].create({"lead_id": self.deal.id, "competitor_id": self.rival.id})
        self.env.flush_all()
        _queries, values = web_read()
        self.assertEqual(
            (values["kam_stakeholder_ids"], values["kam_competitor_ids"]), ([{"id": entry.id}], [{"id": line.id}])
        )

    def test_a_deal_with_lines_reads_each_list_in_one_query_as_odoo_would_show_it(self):
        """The lines come with their columns: showing them asks no second query, and shows what Odoo shows."""
        other = self.deal.copy({"name": "Sinter plant"})
        self._tag(self.plant, self.user_role, influence=20)
        self._tag(self.ceo, self.decision, influence=90)
        self._tag(self.cto, self.technical, influence=20, deal=other)
        self._tag(self.insider, self.coach, influence=50, deal=other)
        self._tag(self.cto, self.technical, influence=60)
        for deal in (self.deal, other):
            for name in ("Northern Controls", "Eastern Valves"):
                rival = self.env["kam.competitor"].search([("name", "=", name)]) or self.rival.copy({"name": name})
                self.env["kam.lead.competitor"].create({"lead_id": deal.id, "competitor_id": rival.id})
        self.env.flush_all()
        deals = (self.deal | other).with_user(self.user_salesman)
        line = {"fields": {"partner_id": {"fields": {"display_name": {}}}, "function": {},
                           "role_ids": {"fields": {"display_name": {}}}, "influence": {}, "contacted": {}}}  # fmt: skip
        rival = {"fields": {"competitor_id": {"fields": {"display_name": {}}}, "sequence": {}}}
        spec = {"kam_has_stakeholders": {}, "kam_has_competitors": {}, "kam_stakeholder_ids": line,
                "kam_competitor_ids": rival}  # fmt: skip

        def web_read(records):
            records.env.invalidate_all()
            records.mapped("kam_has_stakeholders")  # the deals' rows, every column, as the form reads them first
            before = self.env.cr.sql_log_count
            values = records.web_read(spec)
            return self.env.cr.sql_log_count - before, values

        for records in (deals[0], deals):
            web_read(records)  # the record rules into Odoo's caches
            queries, values = web_read(records)
            with patch.object(DealLines, "read", fields.One2many.read):
                web_read(records)
                as_odoo_reads, as_odoo_shows = web_read(records)
            self.assertEqual(values, as_odoo_shows)
            self.assertEqual(as_odoo_reads - queries, 2)  # one query less for each list
        self.assertEqual(
            [[person["partner_id"]["display_name"] for person in deal["kam_stakeholder_ids"]] for deal in values],
            [["Anshan Steel Works, Wang Jun", "Anshan Steel Works, Liu Yang", "Anshan Steel Works, Chen Hao"],
             ["Anshan Steel Works, Zhao Li", "Anshan Steel Works, Liu Yang"]],
        )  # fmt: skip

    def test_the_people_of_a_buying_centre_are_read_with_the_few_columns_the_list_shows(self):
        """Their names (with their company's) and job positions, as Odoo shows them, in as many queries: not
        the fifty other columns of each person."""
        self._tag(self.ceo, self.decision, influence=90)
        self._tag(self.cto, self.technical, influence=60)
        self.env.flush_all()
        deal = self.deal.with_user(self.user_salesman)
        spec = {"kam_has_stakeholders": {}, "kam_stakeholder_ids": {"fields": {
            "partner_id": {"fields": {"display_name": {}}}, "function": {}, "influence": {}}}}  # fmt: skip
        Partner = self.env["res.partner"]

        def web_read():
            deal.env.invalidate_all()
            deal.mapped("kam_has_stakeholders")
            before = self.env.cr.sql_log_count
            [values] = deal.web_read(spec)
            email_read = any(Partner.env.cache.contains(p, Partner._fields["email"]) for p in self.ceo | self.cto)
            return self.env.cr.sql_log_count - before, values, email_read

        web_read()  # the record rules into Odoo's caches
        queries, values, email_read = web_read()
        with patch.object(KamStakeholder, "web_read", _odoo_web_read):
            as_odoo_reads, as_odoo_shows, as_odoo_email_read = web_read()
        self.assertEqual(values, as_odoo_shows)
        self.assertEqual(
            [(person["partner_id"]["display_name"], person["function"]) for person in values["kam_stakeholder_ids"]],
            [("Anshan Steel Works, Wang Jun", "CEO"), ("Anshan Steel Works, Liu Yang", "CTO")],
        )
        self.assertEqual(queries, as_odoo_reads)
        self.assertTrue(as_odoo_email_read)  # Odoo's own read fetches every column of the people
        self.assertFalse(email_read)
        # a list that shows neither name nor job position (the person's id only) fetches nobody, as Odoo's
        spec["kam_stakeholder_ids"]["fields"] = {"partner_id": {"fields": {}}, "influence": {}}
        queries, values, _email_read = web_read()
        with patch.object(KamStakeholder, "web_read", _odoo_web_read):
            as_odoo_reads, as_odoo_shows, _email_read = web_read()
        self.assertEqual((queries, values), (as_odoo_reads, as_odoo_shows))

    def test_the_people_their_contacts_and_their_roles_are_read_in_one_query_as_odoo_shows_them(self):
        """What the list shows of its people besides their own columns (their contact's name and job
        position, their roles' names and colours): one query where Odoo asks three, the same values, in the
        reader's language, in the roles' order, an archived role left out as by Odoo."""
        self.env["res.lang"]._activate_lang("zh_CN")
        champion = self.coach.copy({"name": "Former Champion", "code": "former_champion", "sequence": 0})
        champion.action_archive()
        self.decision.update_field_translations("name", {"zh_CN": "决策者"})
        self._tag(self.ceo, self.decision, champion, influence=90)
        self._tag(self.cto, influence=60)  # no role
        self._tag(self.insider, self.technical, self.coach, influence=50)
        self.env.flush_all()
        spec = {"kam_has_stakeholders": {}, "kam_stakeholder_ids": {"fields": {
            "partner_id": {"fields": {"display_name": {}}}, "function": {},
            "role_ids": {"fields": {"display_name": {}, "color": {}}}, "influence": {}}}}  # fmt: skip

        def web_read(deal):
            deal.env.invalidate_all()
            deal.mapped("kam_has_stakeholders")
            before = self.env.cr.sql_log_count
            [values] = deal.web_read(spec)
            return self.env.cr.sql_log_count - before, values

        for lang in ("en_US", "zh_CN"):
            deal = self.deal.with_user(self.user_salesman).with_context(lang=lang)
            web_read(deal)  # the record rules into Odoo's caches
            queries, values = web_read(deal)
            with patch.object(KamStakeholder, "web_read", _odoo_web_read):
                as_odoo_reads, as_odoo_shows = web_read(deal)
            self.assertEqual(values, as_odoo_shows)
            self.assertEqual(as_odoo_reads - queries, 2)
        roles = [[role["id"] for role in person["role_ids"]] for person in values["kam_stakeholder_ids"]]
        self.assertEqual(roles, [self.decision.ids, [], (self.technical | self.coach).ids])
        self.assertEqual(values["kam_stakeholder_ids"][0]["role_ids"][0]["display_name"], "决策者")
        # archived, the role is still the person's: shown again once restored
        champion.action_unarchive()
        _queries, values = web_read(deal)
        self.assertEqual(
            [role["id"] for role in values["kam_stakeholder_ids"][0]["role_ids"]], champion.ids + self.decision.ids
        )
        # with record rules on the roles for this user, the roles are left to Odoo's read (and its rules)
        self.env["ir.rule"].create({
            "name": "No coaches", "model_id": self.env["ir.model"]._get_id("kam.buying.role"),
            "domain_force": "[('code', '!=', 'coach')]", "perm_read": True,
        })  # fmt: skip
        deal = self.deal.with_user(self.user_salesman)
        web_read(deal)
        queries, values = web_read(deal)
        with patch.object(KamStakeholder, "web_read", _odoo_web_read):
            as_odoo_reads, as_odoo_shows = web_read(deal)
        self.assertEqual(values, as_odoo_shows)
        self.assertEqual(as_odoo_reads - queries, 0)  # the contacts in one query, as Odoo's own
        self.assertEqual(
            [[role["id"] for role in person["role_ids"]] for person in values["kam_stakeholder_ids"]],
            [(champion | self.decision).ids, [], self.technical.ids],
        )
        # a reader who may not read the roles is refused them, as by Odoo
        self.env["ir.model.access"].search([("model_id.model", "=", "kam.buying.role")]).write({"perm_read": False})
        with self.assertRaises(AccessError):
            web_read(deal)

    def test_the_flags_follow_the_lines_wherever_they_go(self):
        other = self.deal.copy({"name": "Sinter plant"})
        entry = self._tag(self.ceo, self.decision)
        line = self.env["kam.lead.competitor"].create({"lead_id": self.deal.id, "competitor_id": self.rival.id})
        self.assertEqual(self._lists_read_with_the_row(self.deal), (entry, line))
        self.assertEqual(self._lists_read_with_the_row(other), (self.env["kam.stakeholder"], line.browse()))
        entry.write({"lead_id": other.id})
        line.write({"lead_id": other.id})
        self.assertEqual(self._lists_read_with_the_row(self.deal), (entry.browse(), line.browse()))
        self.assertEqual(self._lists_read_with_the_row(other), (entry, line))
        self.assertEqual((other.kam_has_stakeholders, self.deal.kam_has_stakeholders), (True, False))
        entry.unlink()
        line.unlink()
        self.assertEqual(self._lists_read_with_the_row(other), (entry.browse(), line.browse()))
        self.assertEqual((other.kam_has_stakeholders, other.kam_has_competitors), (False, False))

    def test_a_line_added_in_the_same_transaction_is_seen_before_any_flush(self):
        """A flag still to recompute in the cache is not trusted: the list is read."""
        self.assertFalse(self.deal.kam_has_competitors)
        line = self.env["kam.lead.competitor"].create({"lead_id": self.deal.id, "competitor_id": self.rival.id})
        self.deal.invalidate_recordset(["kam_competitor_ids"], flush=False)
        self.assertEqual(self.deal.kam_competitor_ids, line)
        entry = self._tag(self.ceo, self.decision)
        self.deal.invalidate_recordset(["kam_stakeholder_ids"], flush=False)
        self.assertEqual(self.deal.kam_stakeholder_ids, entry)

    def test_no_client_sets_the_flags(self):
        deal = self.deal.with_user(self.user_salesman)
        self._tag(self.ceo, self.decision)
        for name in ("kam_has_stakeholders", "kam_has_competitors"):
            with self.assertRaises(UserError):
                deal.write({name: False})
            with self.assertRaises(UserError):
                deal.create({"name": "Forged", "type": "opportunity", name: False})
        # nor through the context's defaults: a new deal's lines are its flags
        forged = deal.with_context(default_kam_has_competitors=False, default_kam_has_stakeholders=False).create(
            {"name": "Coke oven", "type": "opportunity", "user_id": self.user_salesman.id,
             "kam_competitor_ids": [(0, 0, {"competitor_id": self.rival.id})]}
        )  # fmt: skip
        self.assertTrue(forged.kam_has_competitors)
        self.assertEqual(self._lists_read_with_the_row(forged)[1].competitor_id, self.rival)
        self.assertTrue(self.deal.kam_has_stakeholders)


@tagged("post_install", "-at_install")
class TestNoCostElsewhere(KamCase):
    """The buying centre's hooks cost nothing where there is no buying centre."""

    def _queries(self, operation):
        """The steady cost of one operation: the fewest queries of three runs after a warm-up.

        A single run can pay a one-off query of the framework (a cache filled,
        a presence updated) that has nothing to do with the addon.
        """
        operation()  # warm the caches
        counts = []
        for _run in range(3):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            operation()
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
        return min(counts)

    def _with_and_without(self, operation, model, hook):
        with_addon = self._queries(operation)
        with patch.object(type(self.env[model]), hook, lambda *args, **kwargs: None):
            without = self._queries(operation)
        return with_addon, without

    def test_a_message_in_discuss_or_on_another_record_costs_the_same(self):
        person = self.env["res.partner"].create({"name": "Li Wei", "email": "li.wei@example.com"})
        deal = self.env["crm.lead"].create({"name": "Deal", "type": "opportunity"})
        self.env["kam.stakeholder"].create({"lead_id": deal.id, "partner_id": person.id})
        channel = self.env["discuss.channel"].create({"name": "General"})
        team = self.env["crm.team"].create({"name": "A team with a chatter"})
        for record in (channel, team):
            with self.subTest(model=record._name):

                def post(record=record):
                    record.message_post(body="Hello", message_type="comment", partner_ids=person.ids)

                with_addon, without = self._with_and_without(post, "mail.message", "_kam_note_contacts")
                self.assertEqual(with_addon, without)
        # ...while on the deal it is a contact with the person
        deal.message_post(body="Hello", message_type="comment", partner_ids=person.ids)
        self.assertEqual(deal.kam_stakeholder_ids.last_contact_date, fields.Date.today())

    def test_editing_a_meeting_without_touching_its_attendees_costs_the_same(self):
        person = self.env["res.partner"].create({"name": "Li Wei"})
        event = self.env["calendar.event"].create(
            {
                "name": "Plant visit",
                "start": "2026-11-02 09:00:00",
                "stop": "2026-11-02 10:00:00",
                "partner_ids": person.ids,
            }
        )
        counter = iter(range(1000))

        def rename():
            event.write({"description": f"Agenda {next(counter)}"})

        with_addon, without = self._with_and_without(rename, "calendar.event", "_kam_refresh_attendees")
        self.assertEqual(with_addon, without)
