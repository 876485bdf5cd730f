from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .kam_stakeholder import IDENTITY_FIELDS


class ResPartner(models.Model):
    _inherit = "res.partner"

    kam_stakeholder_ids = fields.One2many(
        "kam.stakeholder", "partner_id", string="Buying Centre Parts", help="The deals where this person holds a role."
    )
    kam_role_ids = fields.Many2many(
        "kam.buying.role",
        string="Buying Roles",
        compute="_compute_kam_role_ids",
        search="_search_kam_role_ids",
        help="Every role this person holds in the buying centres of the deals you can see (search contacts by it).",
    )
    kam_stakeholder_count = fields.Integer(string="Deals in Buying Centre", compute="_compute_kam_stakeholder_count")

    @api.depends("kam_stakeholder_ids.role_ids")
    @api.depends_context("uid", "allowed_company_ids")
    def _compute_kam_role_ids(self):
        # Only the buying centres of deals the reader may see (record rules).
        roles = defaultdict(set)
        if self.env["kam.stakeholder"].has_access("read"):
            for stakeholder in self.env["kam.stakeholder"].search_fetch(
                [("partner_id", "in", self._origin.ids)], ["partner_id", "role_ids"]
            ):
                roles[stakeholder.partner_id.id].update(stakeholder.role_ids.ids)
        Role = self.env["kam.buying.role"]
        for partner in self:
            partner.kam_role_ids = Role.browse(sorted(roles[partner._origin.id]))

    def _search_kam_role_ids(self, operator, value):
        def plain(item):  # a role's id or name, or a boolean (is set / is not set)
            return isinstance(item, int | str)  # bool is an int

        if not (plain(value) or (isinstance(value, list | tuple) and all(plain(item) for item in value))):
            raise UserError(self.env._("Search buying-centre roles by their names or ids."))
        if not self.env["kam.stakeholder"].has_access("read"):
            return [("id", "=", False)]
        stakeholders = self.env["kam.stakeholder"]._search([("role_ids", operator, value)])
        return [("id", "in", stakeholders.subselect(SQL.identifier(stakeholders.table, "partner_id")))]

    def _compute_kam_stakeholder_count(self):
        counts = dict(
            self.env["kam.stakeholder"]._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"])
        )
        for partner in self:
            partner.kam_stakeholder_count = counts.get(partner._origin, 0)

    def action_kam_view_stakeholders(self):
        """The deals where this person holds a role, with the roles."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("kam_sales_process.kam_stakeholder_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def write(self, vals):
        watched = [name for name in IDENTITY_FIELDS if name in vals]
        tagged = self.filtered("kam_stakeholder_ids") if watched else self.browse()
        before = {partner.id: {name: partner[name] for name in watched} for partner in tagged}
        result = super().write(vals)
        if tagged:
            self._kam_flag_identity_changes(tagged, before)
        if "meeting_ids" in vals:
            # The contact's meetings changed from its side (the same attendee table as the meetings'):
            # a meeting left or joined is a contact lost or made.
            self.env["kam.stakeholder"]._kam_refresh_last_contact(self.ids)
        return result

    def _kam_flag_identity_changes(self, partners, before):
        """Flag the stakeholders whose person changed position, company or status."""
        labels = {name: self._fields[name]._description_string(self.env) for name in IDENTITY_FIELDS}
        today = fields.Date.context_today(self)
        by_note = defaultdict(lambda: self.env["kam.stakeholder"])
        for partner in partners:
            changed = [name for name, old in before[partner.id].items() if partner[name] != old]
            if changed:
                note = self.env._(
                    "%(fields)s changed on %(date)s", fields=", ".join(labels[name] for name in changed), date=today
                )
                by_note[note] |= partner.with_context(active_test=False).kam_stakeholder_ids
        for note, stakeholders in by_note.items():
            stakeholders.sudo().write({"identity_changed": True, "identity_change_note": note})
