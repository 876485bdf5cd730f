"""Whitespace: the customer's units by our offer lines, and where we sell, fight or could sell.

The account keeps the customer's units (sites, business units, departments);
offer lines group deal tags (Configuration).  Each cell of the matrix is won,
in pipeline, held by a competitor (which), open potential (an estimated value)
or not applicable.  Cells are filled from the account's deals — a deal names
its unit, its tags name the offer line — and whatever the deals do not decide
stays as the account manager set it.  The biggest open cells become suggested
deals.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .kam_guards import refuse_system_fields

CELL_STATUSES = [
    ("won", "Won"),
    ("pipeline", "In pipeline"),
    ("competitor", "Held by a competitor"),
    ("open", "Open potential"),
    ("na", "Not applicable"),
]
#: What a deal says of its cell, strongest first.
DEAL_STATUS_ORDER = ("won", "pipeline", "competitor")


class KamAccountUnit(models.Model):
    _name = "kam.account.unit"
    _description = "Customer Unit"
    _order = "account_id, sequence, id"

    sequence = fields.Integer(default=10)
    account_id = fields.Many2one("kam.account", string="Key Account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    name = fields.Char(required=True, help="A site, business unit or department of the customer.")
    kind = fields.Selection(
        [("site", "Site"), ("business_unit", "Business unit"), ("department", "Department")],
        default="site",
        required=True,
    )
    active = fields.Boolean(default=True)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            refuse_system_fields(self, vals)
        return super().create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals)
        if not self.env.su and "account_id" in vals:
            raise UserError(self.env._("A unit belongs to its customer: create it on the other account instead."))
        return super().write(vals)


class KamOfferLine(models.Model):
    _name = "kam.offer.line"
    _description = "Offer Line"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True, help="A line of what we sell, e.g. drives, sensors, service.")
    tag_ids = fields.Many2many(
        "crm.tag",
        "kam_offer_line_crm_tag_rel",
        "line_id",
        "tag_id",
        string="Deal Tags",
        help="A deal with one of these tags sells this line.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share the line between companies.")

    @api.model
    def action_create_from_tags(self):
        """One offer line per deal tag not yet in a line: the default whitespace columns."""
        used = self.with_context(active_test=False).search([("tag_ids", "!=", False)]).tag_ids
        tags = self.env["crm.tag"].search([("id", "not in", used.ids)])
        self.create([{"name": tag.name, "tag_ids": [(6, 0, tag.ids)]} for tag in tags])
        return {"type": "ir.actions.client", "tag": "reload"}


class KamWhitespaceCell(models.Model):
    _name = "kam.whitespace.cell"
    _description = "Whitespace Cell"
    _order = "account_id, unit_id, offer_line_id"

    account_id = fields.Many2one("kam.account", string="Key Account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    currency_id = fields.Many2one(related="account_id.currency_id")
    unit_id = fields.Many2one(
        "kam.account.unit", required=True, ondelete="cascade", domain="[('account_id', '=', account_id)]"
    )
    offer_line_id = fields.Many2one("kam.offer.line", required=True, ondelete="cascade")
    status = fields.Selection(
        CELL_STATUSES,
        required=True,
        default="open",
        help="Won, in pipeline or held by a competitor come from the deals; open potential and not applicable are "
        "set by hand.",
    )
    from_deals = fields.Boolean(readonly=True, help="The status comes from the account's deals.")
    competitor_id = fields.Many2one("kam.competitor", help="Who holds the cell.")
    estimated_value = fields.Monetary(
        currency_field="currency_id",
        help="What the cell is worth: the deals' revenue, or your estimate of the potential.",
    )
    note = fields.Char()
    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True, help="The deal that decided the cell.")

    _sql_constraints = [
        ("cell_unique", "unique(account_id, unit_id, offer_line_id)", "A unit and an offer line make one cell."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            refuse_system_fields(self, vals, {"from_deals", "lead_id"})
        return super().create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals, {"from_deals", "lead_id"})
        if not self.env.su and {"account_id", "unit_id", "offer_line_id"} & vals.keys():
            raise UserError(self.env._("A whitespace cell stays where it is: change its status instead."))
        if (
            not self.env.su
            and {"status", "competitor_id", "estimated_value"} & vals.keys()
            and self.filtered("from_deals")
        ):
            raise UserError(
                self.env._(
                    "The deals decide this cell (%(deal)s): change the deal instead.",
                    deal=self.filtered("from_deals")[0].lead_id.display_name,
                )
            )
        return super().write(vals)

    def action_create_deal(self):
        """A suggested deal from an open cell: the customer, the unit, the line's tag and the estimated value."""
        self.ensure_one()
        if self.status != "open":
            raise UserError(self.env._("Only an open cell becomes a deal."))
        lead = self.env["crm.lead"].create(
            {
                "name": self.env._("%(line)s for %(unit)s", line=self.offer_line_id.name, unit=self.unit_id.name),
                "type": "opportunity",
                "partner_id": self.account_id.partner_id.id,
                "company_id": self.account_id.company_id.id,
                "user_id": (self.account_id.user_id or self.env.user).id,
                "expected_revenue": self.estimated_value,
                "kam_unit_id": self.unit_id.id,
                "tag_ids": [(6, 0, self.offer_line_id.tag_ids[:1].ids)],
            }
        )
        self.account_id._kam_fill_whitespace()
        return {"type": "ir.actions.act_window", "res_model": "crm.lead", "res_id": lead.id, "view_mode": "form"}


class KamAccount(models.Model):
    _inherit = "kam.account"

    unit_ids = fields.One2many(
        "kam.account.unit", "account_id", string="Units", help="The customer's sites, business units or departments."
    )
    whitespace_ids = fields.One2many("kam.whitespace.cell", "account_id")

    def _kam_fill_whitespace(self):
        """Create the missing cells and set the status of those the deals decide (one query for the deals)."""
        Cell = self.env["kam.whitespace.cell"].sudo()
        for account in self:
            lines = self.env["kam.offer.line"].search(
                ["|", ("company_id", "=", False), ("company_id", "=", account.company_id.id)]
            )
            existing = {(c.unit_id.id, c.offer_line_id.id): c for c in account.sudo().whitespace_ids}
            missing = [
                {"account_id": account.id, "unit_id": unit.id, "offer_line_id": line.id}
                for unit in account.unit_ids
                for line in lines
                if (unit.id, line.id) not in existing
            ]
            for cell in Cell.create(missing):
                existing[(cell.unit_id.id, cell.offer_line_id.id)] = cell
            decided = account._kam_whitespace_from_deals(lines)
            for key, cell in existing.items():
                found = decided.get(key)
                if found:
                    status, lead_id, value, competitor_id = found
                    cell.write(
                        {
                            "status": status,
                            "from_deals": True,
                            "lead_id": lead_id,
                            "estimated_value": value,
                            "competitor_id": competitor_id,
                        }
                    )
                elif cell.from_deals:  # its deal is gone: the cell is open again
                    cell.write({"status": "open", "from_deals": False, "lead_id": False, "competitor_id": False})
        return True

    def _kam_whitespace_from_deals(self, lines):
        """``{(unit, line): (status, deal, revenue, competitor)}``: the strongest deal of each cell."""
        self.ensure_one()
        if not self.unit_ids or not lines:
            return {}
        tag_lines = {}
        for line in lines:
            for tag in line.tag_ids:
                tag_lines.setdefault(tag.id, []).append(line.id)
        self.env["crm.lead"].flush_model(
            ["kam_unit_id", "tag_ids", "active", "stage_id", "probability", "expected_revenue", "kam_lost_to_id"]
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT l.id, l.kam_unit_id, rel.tag_id, l.expected_revenue, l.kam_lost_to_id,
                       CASE WHEN l.active AND s.is_won THEN 'won'
                            WHEN l.active AND l.type = 'opportunity' THEN 'pipeline'
                            WHEN NOT l.active AND l.kam_lost_to_id IS NOT NULL THEN 'competitor' END
                  FROM crm_lead l
                  JOIN crm_tag_rel rel ON rel.lead_id = l.id
                  LEFT JOIN crm_stage s ON s.id = l.stage_id
                 WHERE l.kam_unit_id = ANY(%s) AND rel.tag_id = ANY(%s)
                 ORDER BY l.id
                """,
                self.unit_ids.ids,
                list(tag_lines),
            )
        )
        decided = {}
        for lead_id, unit_id, tag_id, revenue, competitor_id, status in rows:
            if not status:
                continue
            for line_id in tag_lines[tag_id]:
                key = (unit_id, line_id)
                current = decided.get(key)
                if current is None or DEAL_STATUS_ORDER.index(status) < DEAL_STATUS_ORDER.index(current[0]):
                    decided[key] = (status, lead_id, revenue or 0.0, competitor_id if status == "competitor" else False)
        return decided

    def action_fill_whitespace(self):
        self.check_access("write")
        self._kam_fill_whitespace()
        return self.action_open_whitespace()

    def action_open_whitespace(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Whitespace: %(account)s", account=self.display_name),
            "res_model": "kam.whitespace.cell",
            "view_mode": "list,pivot",
            "domain": [("account_id", "=", self.id)],
            "context": {"default_account_id": self.id, "group_by": ["unit_id"]},
        }

    def action_open_suggested_deals(self):
        """The biggest open cells: the deals to propose next."""
        self.ensure_one()
        action = self.action_open_whitespace()
        action.update(
            name=self.env._("Suggested deals: %(account)s", account=self.display_name),
            domain=[("account_id", "=", self.id), ("status", "=", "open"), ("estimated_value", ">", 0)],
            context={"default_account_id": self.id},
        )
        return action


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kam_unit_id = fields.Many2one(
        "kam.account.unit",
        string="Customer Unit",
        index="btree_not_null",
        help="The customer's site, business unit or department the deal is for: fills the account's whitespace.",
    )
