from collections import defaultdict

from odoo import api, fields, models

from .kam_stakeholder import IDENTITY_FIELDS


class ResPartner(models.Model):
    _inherit = "res.partner"

    kam_stakeholder_ids = fields.One2many(
        "kam.stakeholder", "partner_id", string="Buying Centre Parts", help="The deals where this person holds a role."
    )
    kam_role_ids = fields.Many2many(
        "kam.buying.role",
        "kam_buying_role_res_partner_rel",
        "partner_id",
        "role_id",
        string="Buying Roles",
        compute="_compute_kam_role_ids",
        store=True,
        help="Every role this person holds in a deal's buying centre (search or group contacts by it).",
    )
    kam_stakeholder_count = fields.Integer(string="Deals in Buying Centre", compute="_compute_kam_stakeholder_count")

    @api.depends("kam_stakeholder_ids.role_ids")
    def _compute_kam_role_ids(self):
        for partner in self:
            partner.kam_role_ids = partner.kam_stakeholder_ids.role_ids

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
