"""The decision-chain map renders in a real browser."""

from lxml import etree
from odoo.tests import HttpCase, tagged

from .common import TourMixin
from .test_buying_centre import BuyingCentreCase


@tagged("post_install", "-at_install")
class TestDecisionChain(TourMixin, BuyingCentreCase, HttpCase):
    def test_the_chain_lists_people_with_their_manager(self):
        boss = self._tag(self.ceo, self.decision, attitude="supporter")
        cto = self._tag(self.cto, self.technical, attitude="opponent", reports_to_id=boss.id)
        chain = {node["id"]: node for node in self.deal.kam_decision_chain}
        self.assertEqual(chain[cto.id]["parent_id"], boss.id)
        self.assertEqual(chain[boss.id]["roles"][0]["name"], "Decision Maker")
        self.assertEqual(chain[cto.id]["attitude"], "opponent")

    def test_the_form_draws_the_chain_from_the_buying_centre_it_loads(self):
        """The chart is a view widget over the buying-centre list: opening a deal computes no chain."""
        arch = etree.fromstring(self.env["crm.lead"].get_views([(False, "form")])["views"]["form"]["arch"])
        self.assertFalse(arch.xpath("//field[@name='kam_decision_chain']"))
        self.assertTrue(arch.xpath("//widget[@name='kam_decision_chain']"))
        columns = {node.get("name") for node in arch.xpath("//field[@name='kam_stakeholder_ids']/list/field")}
        self.assertLessEqual(
            {"partner_id", "function", "role_ids", "influence", "attitude", "reports_to_id", "contacted"},
            columns,
            "what the chart draws is loaded by the list",
        )

    def test_the_decision_chain_map_renders_in_the_browser(self):
        boss = self._tag(self.ceo, self.decision, attitude="supporter", influence=60)
        self._tag(self.cto, self.technical, attitude="opponent", reports_to_id=boss.id)
        self.start_tour(f"/odoo/crm/{self.deal.id}", "kam_decision_chain_tour", login="admin")

    def test_a_salesperson_tags_a_coach_in_the_browser(self):
        self._tag(self.ceo, self.decision, self.technical, self.user_role, last_contact_date="2026-11-01")
        self.assertIn("no_coach", self._codes())
        self.start_tour(f"/odoo/crm/{self.deal.id}", "kam_buying_centre_tour", login=self.user_salesman.login)
        self.assertNotIn("no_coach", self._codes())
        coach = self.deal.kam_stakeholder_ids.filtered(lambda s: s.partner_id == self.insider)
        self.assertEqual(coach.role_ids, self.coach)
        technical = self.deal.kam_stakeholder_ids.filtered(lambda s: s.partner_id == self.cto)
        self.assertEqual(technical.role_ids, self.technical)
