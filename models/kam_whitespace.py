"""Whitespace: the customer's units by our offer lines, and where we sell, fight or could sell.

The account keeps the customer's units (sites, business units, departments);
offer lines group deal tags (Configuration) and, when the Sales app is
installed, a product category.  Each cell of the matrix is won, in pipeline,
held by a competitor (which), open potential (an estimated value) or not
applicable.  Cells are filled from the account's deals — a deal names its
unit, its tags name the offer line — and, with the Sales app, from the
customer's sales orders — delivered to the unit's address, their products'
categories name the offer line; whatever neither decides stays as the account
manager set it.  The biggest open cells become suggested deals.

The Sales app is optional: without it the category and the address are not
shown, the selection of categories is empty and nothing reads sales tables.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, sql

from .kam_fields import FiniteMonetary
from .kam_guards import drop_forged_defaults, parent_ids, refuse_system_fields, strip_forged_defaults

CELL_STATUSES = [
    ("won", "Won"),
    ("pipeline", "In pipeline"),
    ("competitor", "Held by a competitor"),
    ("open", "Open potential"),
    ("na", "Not applicable"),
]
#: What a deal or an order says of its cell, strongest first.
DEAL_STATUS_ORDER = ("won", "pipeline", "competitor")
#: what only the deals (or orders) give a cell
DEALS_ONLY_STATUSES = ("won", "pipeline")
#: The views' nodes that only make sense with the Sales app.
SALES_ONLY_NODES = (
    "//field[@name='product_category_ref']",
    "//field[@name='product_category_model_id']",
    "//field[@name='order_ref']",
    "//field[@name='unit_ids']//field[@name='partner_id']",
    "//button[@name='action_create_from_categories']",
)


def kam_sales_installed(env):
    """Is the Sales app installed (its order lines are what fills whitespace from product categories)?"""
    return "sale.order.line" in env


class KamSalesOptional(models.AbstractModel):
    """Views of whitespace models drop the Sales app's fields and buttons while the app is not installed."""

    _name = "kam.sales.optional"
    _description = "Whitespace views without the Sales app"

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if not kam_sales_installed(self.env):
            for node in arch.xpath("|".join(SALES_ONLY_NODES)):
                node.getparent().remove(node)
        return arch, view


class KamAccountUnit(models.Model):
    _name = "kam.account.unit"
    _inherit = ["kam.sales.optional"]
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
    partner_id = fields.Many2one(
        "res.partner",
        string="Address",
        index="btree_not_null",
        help="With the Sales app: the customer's orders delivered to this address (or to one of its contacts) "
        "fill the unit's whitespace.",
    )

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(self, super().default_get(fields_list))

    @api.model_create_multi
    def create(self, vals_list):
        clean = drop_forged_defaults(self)
        for vals in vals_list:
            refuse_system_fields(self, vals)
        parent_ids(self, vals_list, "account_id")
        return super(KamAccountUnit, clean).create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals)
        if not self.env.su and "account_id" in vals:
            raise UserError(self.env._("A unit belongs to its customer: create it on the other account instead."))
        return super().write(vals)


class KamOfferLine(models.Model):
    _name = "kam.offer.line"
    _inherit = ["kam.sales.optional"]
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
    product_category_ref = fields.Reference(
        selection="_selection_product_category",
        string="Product Category",
        help="With the Sales app: the customer's orders of products in this category (or a subcategory) sell "
        "this line.",
    )
    product_category_model_id = fields.Many2one("ir.model", compute="_compute_product_category_model_id")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Leave empty to share the line between companies.")

    def _compute_product_category_model_id(self):
        model = self.env["ir.model"]._get("product.category") if kam_sales_installed(self.env) else False
        self.product_category_model_id = model

    @api.model
    def _selection_product_category(self):
        if not kam_sales_installed(self.env):
            return []
        return [("product.category", self.env._("Product Category"))]

    @api.model
    def action_create_from_tags(self):
        """One offer line per deal tag not yet in a line: the default whitespace columns."""
        used = self.with_context(active_test=False).search([("tag_ids", "!=", False)]).tag_ids
        tags = self.env["crm.tag"].search([("id", "not in", used.ids)])
        self.create([{"name": tag.name, "tag_ids": [(6, 0, tag.ids)]} for tag in tags])
        return {"type": "ir.actions.client", "tag": "reload"}

    @api.model
    def action_create_from_categories(self):
        """With the Sales app: one offer line per product category sold (confirmed orders) not yet in a line."""
        if not kam_sales_installed(self.env):
            raise UserError(self.env._("Offer lines come from product categories once the Sales app is installed."))
        used = {
            line.product_category_ref.id
            for line in self.with_context(active_test=False).search([("product_category_ref", "!=", False)])
        }
        groups = self.env["sale.order.line"]._read_group(
            [("state", "=", "sale"), ("product_id", "!=", False)], ["product_id"]
        )
        categories = self.env["product.product"].browse([p.id for (p,) in groups]).categ_id
        self.create(
            [
                {"name": categ.name, "product_category_ref": f"product.category,{categ.id}"}
                for categ in categories.sorted("complete_name")
                if categ.id not in used
            ]
        )
        return {"type": "ir.actions.client", "tag": "reload"}


class KamWhitespaceCell(models.Model):
    _name = "kam.whitespace.cell"
    _inherit = ["kam.sales.optional"]
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
        help="Won and in pipeline come from the account's deals (and a deal lost to a competitor gives 'held by a "
        "competitor'); held by a competitor, open potential and not applicable may also be set by hand.",
    )
    from_deals = fields.Boolean(readonly=True, help="The status comes from the account's deals.")
    competitor_id = fields.Many2one("kam.competitor", help="Who holds the cell.")
    estimated_value = FiniteMonetary(
        currency_field="currency_id",
        help="What the cell is worth: the deals' revenue, or your estimate of the potential.",
    )
    note = fields.Char()
    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True, help="The deal that decided the cell.")
    order_ref = fields.Reference(
        selection="_selection_order",
        string="Sales Order",
        readonly=True,
        help="With the Sales app: the customer's biggest order that decided the cell.",
    )

    _sql_constraints = [
        ("cell_unique", "unique(account_id, unit_id, offer_line_id)", "A unit and an offer line make one cell."),
    ]

    @api.model
    def _selection_order(self):
        if not kam_sales_installed(self.env):
            return []
        return [("sale.order", self.env._("Sales Order"))]

    @api.constrains("account_id", "unit_id")
    def _check_unit_of_the_account(self):
        strays = self.sudo().filtered(lambda cell: cell.unit_id.account_id != cell.account_id)
        if strays:
            raise ValidationError(
                self.env._(
                    "A whitespace cell is a unit of its own account: %(units)s belong to another customer.",
                    units=", ".join(strays.unit_id.mapped("display_name")),
                )
            )

    @api.constrains("estimated_value")
    def _check_value_not_negative(self):
        if any(cell.estimated_value < 0 for cell in self):
            raise ValidationError(self.env._("What a whitespace cell is worth cannot be negative."))

    def _check_status_by_hand(self, vals_list, create=False):
        """Won and in pipeline are what the deals say: set by hand, they would survive any deal."""
        if self.env.su:
            return
        default = self.env.context.get("default_status") if create else None  # a new cell takes it
        if any(vals.get("status", default) in DEALS_ONLY_STATUSES for vals in vals_list):
            labels = dict(self._fields["status"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "%(statuses)s come from the account's deals: create or move a deal instead.",
                    statuses=", ".join(labels[status] for status in DEALS_ONLY_STATUSES),
                )
            )

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(self, super().default_get(fields_list), {"from_deals", "lead_id", "order_ref"})

    @api.model_create_multi
    def create(self, vals_list):
        clean = drop_forged_defaults(self, {"from_deals", "lead_id", "order_ref"})
        for vals in vals_list:
            refuse_system_fields(self, vals, {"from_deals", "lead_id", "order_ref"})
        for name in ("account_id", "unit_id", "offer_line_id"):
            parent_ids(self, vals_list, name)
        self._check_status_by_hand(vals_list, create=True)
        return super(KamWhitespaceCell, clean).create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals, {"from_deals", "lead_id", "order_ref"})
        self._check_status_by_hand([vals])
        if not self.env.su and {"account_id", "unit_id", "offer_line_id"} & vals.keys():
            raise UserError(self.env._("A whitespace cell stays where it is: change its status instead."))
        if (
            not self.env.su
            and {"status", "competitor_id", "estimated_value"} & vals.keys()
            and self.filtered("from_deals")
        ):
            decided = self.filtered("from_deals")[0]
            raise UserError(
                self.env._(
                    "The deals decide this cell (%(deal)s): change the deal instead.",
                    deal=(decided.lead_id or decided.sudo().order_ref).display_name,
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
    _name = "kam.account"
    _inherit = ["kam.account", "kam.sales.optional"]

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
            for key, found in account._kam_whitespace_from_orders(lines).items():
                current = decided.get(key)
                if current is None or DEAL_STATUS_ORDER.index(found[0]) < DEAL_STATUS_ORDER.index(current[0]):
                    decided[key] = found
            for key, cell in existing.items():
                found = decided.get(key)
                if found:
                    status, lead_id, value, competitor_id, order_id = found
                    cell.write(
                        {
                            "status": status,
                            "from_deals": True,
                            "lead_id": lead_id,
                            "order_ref": order_id and f"sale.order,{order_id}",
                            "estimated_value": value,
                            "competitor_id": competitor_id,
                        }
                    )
                elif cell.from_deals:  # its deal or order is gone: the cell is open again
                    cell.write(
                        {
                            "status": "open",
                            "from_deals": False,
                            "lead_id": False,
                            "order_ref": False,
                            "competitor_id": False,
                        }
                    )
        return True

    def _kam_whitespace_from_deals(self, lines):
        """``{(unit, line): (status, deal, revenue, competitor)}``: the strongest deal of each cell (deals of
        the account's customer only: a unit named on another customer's deal decides nothing here)."""
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
                  JOIN res_partner customer ON customer.id = l.partner_id
                  LEFT JOIN crm_stage s ON s.id = l.stage_id
                 WHERE l.kam_unit_id = ANY(%s) AND rel.tag_id = ANY(%s)
                       AND customer.commercial_partner_id = %s
                 ORDER BY l.id
                """,
                self.unit_ids.ids,
                list(tag_lines),
                self.partner_id.commercial_partner_id.id,
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
                    decided[key] = (
                        status,
                        lead_id,
                        revenue or 0.0,
                        competitor_id if status == "competitor" else False,
                        False,
                    )
        return decided

    def _kam_whitespace_from_orders(self, lines):
        """With the Sales app, ``{(unit, line): ("won" | "pipeline", False, amount, False, order)}``.

        The customer's orders (its commercial entity, the account's company) delivered to a unit's address or
        to a contact of it; their lines' products in the line's category or a subcategory.  Confirmed orders
        make the cell won, quotations still valid in pipeline; the amount is the sum of those orders' lines (untaxed, in
        the company's currency), the order named is the biggest.  One query.
        """
        self.ensure_one()
        categories = {
            line.id: line.product_category_ref.id
            for line in lines
            if line.product_category_ref and line.product_category_ref._name == "product.category"
        }
        units = self.unit_ids.filtered("partner_id")
        if not kam_sales_installed(self.env) or not categories or not units:
            return {}
        self.env["kam.account.unit"].flush_model(["partner_id", "account_id", "active"])
        self.env["res.partner"].flush_model(["commercial_partner_id", "parent_id"])
        self.env["product.category"].flush_model(["parent_path"])
        self.env["product.template"].flush_model(["categ_id"])
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["sale.order"].flush_model(
            ["partner_id", "partner_shipping_id", "state", "company_id", "currency_rate", "validity_date"]
        )
        self.env["sale.order.line"].flush_model(["order_id", "product_id", "price_subtotal", "display_type"])
        line_ids, category_ids = zip(*categories.items(), strict=True)
        rows = self.env.execute_query(
            SQL(
                """
                WITH lc AS (
                    SELECT t.line_id, c.parent_path
                      FROM unnest(%(lines)s::int[], %(categs)s::int[]) AS t(line_id, categ_id)
                      JOIN product_category c ON c.id = t.categ_id
                )
                SELECT u.id, lc.line_id, so.id,
                       CASE WHEN so.state = 'sale' THEN 'won' ELSE 'pipeline' END,
                       SUM(sol.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1))
                  FROM sale_order so
                  JOIN res_partner cp ON cp.id = so.partner_id
                  JOIN res_partner sp ON sp.id = so.partner_shipping_id
                  JOIN kam_account_unit u ON u.account_id = %(account)s AND u.active
                                         AND u.partner_id IN (sp.id, sp.parent_id)
                  JOIN sale_order_line sol ON sol.order_id = so.id AND sol.display_type IS NULL
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN product_category pc ON pc.id = pt.categ_id
                  JOIN lc ON starts_with(pc.parent_path, lc.parent_path)
                 WHERE cp.commercial_partner_id = %(partner)s
                   AND so.company_id = %(company)s
                   AND (so.state = 'sale' OR so.state IN ('draft', 'sent')
                        AND (so.validity_date IS NULL OR so.validity_date >= %(today)s))
                 GROUP BY u.id, lc.line_id, so.id, so.state
                 ORDER BY u.id, lc.line_id, so.id
                """,
                lines=list(line_ids),
                categs=list(category_ids),
                account=self.id,
                partner=self.partner_id.commercial_partner_id.id,
                company=self.company_id.id,
                today=fields.Date.context_today(self),
            )
        )
        cells = {}
        for unit_id, line_id, order_id, status, amount in rows:
            cells.setdefault((unit_id, line_id), {}).setdefault(status, []).append((amount or 0.0, order_id))
        decided = {}
        for key, by_status in cells.items():
            status = next(s for s in DEAL_STATUS_ORDER if s in by_status)
            orders = by_status[status]
            decided[key] = (status, False, sum(a for a, _o in orders), False, max(orders)[1])
        return decided

    def action_fill_whitespace(self):
        """Fill the whitespace of accounts one manages (a sales manager: any), as the daily job does."""
        self.check_access("read")
        if not self.env.su and not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            others = self.filtered(lambda account: account.user_id != self.env.user)
            if others:
                raise AccessError(
                    self.env._(
                        "Only the account manager or a sales manager fills an account's whitespace: %(accounts)s",
                        accounts=", ".join(others.mapped("display_name")),
                    )
                )
        self.sudo()._kam_fill_whitespace()
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


#: The addon's references to the Sales app's records: ``(model, reference field)``.
SALES_REFERENCES = (("kam.offer.line", "product_category_ref"), ("kam.whitespace.cell", "order_ref"))
#: The models they point at.
SALES_TARGETS = frozenset({"product.category", "sale.order"})


class IrModel(models.Model):
    _inherit = "ir.model"

    def unlink(self):
        """Odoo leaves reference fields pointing at a model that is uninstalled (reading them would fail):
        the addon's references to the Sales app's records are emptied with their model."""
        self._kam_forget_references(self.mapped("model"))
        return super().unlink()

    @api.model
    def _kam_forget_references(self, model_names):
        targets = set(model_names) & SALES_TARGETS
        if not targets:
            return  # the usual case, the addon's own uninstall included (its tables are gone by then)
        prefixes = [f"{name}," for name in sorted(targets)]
        for model_name, field_name in SALES_REFERENCES:
            model = self.env[model_name]
            if not sql.table_exists(self.env.cr, model._table):
                continue
            model.flush_model([field_name])
            self.env.cr.execute(
                SQL(
                    "UPDATE %s SET %s = NULL WHERE split_part(%s, ',', 1) || ',' = ANY(%s)",
                    SQL.identifier(model._table),
                    SQL.identifier(field_name),
                    SQL.identifier(field_name),
                    prefixes,
                )
            )
            if self.env.cr.rowcount:
                model.invalidate_model([field_name])
