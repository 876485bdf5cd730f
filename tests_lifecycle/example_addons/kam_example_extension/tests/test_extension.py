"""The extension points of kam_sales_process, used as a third-party addon would."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestExtensionPoints(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        team = env["crm.team"].create({"name": "Extension team"})
        parking = env["crm.team"].create({"name": "Parking"})
        env["crm.stage"].search([("team_id", "!=", team.id)]).write({"team_id": parking.id})
        cls.team = team
        cls.s1, cls.s2 = (
            env["crm.stage"].create({"name": name, "sequence": seq, "team_id": team.id})
            for name, seq in (("E1", 1), ("E2", 2))
        )

    def _deal(self, **vals):
        return self.env["crm.lead"].create(
            {"name": "Extension deal", "type": "opportunity", "team_id": self.team.id, "stage_id": self.s1.id, **vals}
        )

    def test_a_milestone_kind_of_its_own_gates_and_follows_the_data(self):
        with self.assertRaises(ValidationError):
            self.env["kam.milestone"].create({"name": "No minimum", "stage_id": self.s1.id, "kind": "budget"})
        milestone = self.env["kam.milestone"].create(
            {"name": "Budget of 100,000", "stage_id": self.s1.id, "kind": "budget", "budget_min": 100_000}
        )
        deal = self._deal(expected_revenue=5_000)
        row = deal.kam_milestone_ids.filtered(lambda r: r.milestone_id == milestone)
        self.assertEqual(row.state, "todo")
        with self.assertRaises(UserError):
            deal.stage_id = self.s2
        deal.expected_revenue = 150_000  # the deal's own data: the row follows it
        self.assertEqual(row.state, "done")
        deal.stage_id = self.s2
        self.assertEqual(deal.stage_id, self.s2)

    def test_a_red_flag_of_its_own_comes_from_its_rule(self):
        flag = self.env.ref("kam_example_extension.red_flag_sponsor_not_met")
        self.assertEqual(flag.code, "sponsor_not_met")
        deal = self._deal()
        sponsor = self.env.ref("kam_example_extension.role_sponsor")
        person = self.env["res.partner"].create({"name": "Project sponsor"})
        stakeholder = self.env["kam.stakeholder"].create(
            {"lead_id": deal.id, "partner_id": person.id, "role_ids": sponsor.ids}
        )
        self.assertIn(flag, deal.kam_red_flag_ids)
        stakeholder.last_contact_date = "2026-11-02"
        self.assertNotIn(flag, deal.kam_red_flag_ids)
