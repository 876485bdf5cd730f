"""Whitespace from sold product categories, with the Sales app.

The addon does not depend on the Sales app: these tests need a database where ``sale`` is installed beside
the addon, so they are tagged out of the standard run (``-standard``) and ``scripts/test`` runs them on a
second database, ``sale`` and the addon installed (``odoo --test-tags kam_sales_app`` does the same). The
side without the Sales app is ``TestWhitespace.test_without_the_sales_app_nothing_of_it_shows``.
"""

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import KamAccountCase


@tagged("post_install", "-at_install", "-standard", "kam_sales_app")
class TestWhitespaceWithSales(KamAccountCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        if "sale.order.line" not in env:
            raise RuntimeError("These tests need the Sales app installed beside the addon (see the module docstring).")
        Category = env["product.category"]
        cls.categ_drives = Category.create({"name": "Drives"})
        cls.categ_servo = Category.create({"name": "Servo drives", "parent_id": cls.categ_drives.id})
        cls.categ_sensors = Category.create({"name": "Sensors"})
        cls.categ_other = Category.create({"name": "Spare parts"})
        Product = env["product.product"]
        cls.servo = Product.create({"name": "Servo motor", "categ_id": cls.categ_servo.id, "list_price": 1000})
        cls.sensor = Product.create({"name": "Level sensor", "categ_id": cls.categ_sensors.id, "list_price": 500})
        cls.spare = Product.create({"name": "Bearing", "categ_id": cls.categ_other.id, "list_price": 10})
        env["kam.offer.line"].search([]).active = False
        Line = env["kam.offer.line"]
        cls.line_drives = Line.create(
            {"name": "Drives", "product_category_ref": f"product.category,{cls.categ_drives.id}"}
        )
        cls.line_sensors = Line.create(
            {"name": "Sensors", "product_category_ref": f"product.category,{cls.categ_sensors.id}"}
        )
        Partner = env["res.partner"]
        cls.mill_site = Partner.create({"name": "Rolling mill site", "type": "delivery", "parent_id": cls.customer.id})
        cls.mill_gate = Partner.create({"name": "Mill goods-in", "type": "delivery", "parent_id": cls.mill_site.id})
        cls.ovens_site = Partner.create({"name": "Coke ovens site", "type": "delivery", "parent_id": cls.customer.id})
        Unit = env["kam.account.unit"]
        cls.mill = Unit.create({"account_id": cls.account.id, "name": "Rolling mill", "partner_id": cls.mill_site.id})
        cls.ovens = Unit.create({"account_id": cls.account.id, "name": "Coke ovens", "partner_id": cls.ovens_site.id})
        cls.other_customer = Partner.create({"name": "Other Steel", "is_company": True})

    @classmethod
    def _order(cls, shipping, lines, partner=None, confirm=False):
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.buyer).id,
                "partner_shipping_id": shipping.id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": qty, "price_unit": price})
                    for product, qty, price in lines
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    def _cell(self, unit, line):
        return self.account.whitespace_ids.filtered(lambda c: c.unit_id == unit and c.offer_line_id == line)

    def test_cells_filled_from_orders(self):
        # delivered to a contact of the mill's address, servo drives are in the Drives category's subtree
        big = self._order(self.mill_gate, [(self.servo, 2, 1000.0), (self.spare, 5, 10.0)], confirm=True)
        small = self._order(self.mill_site, [(self.servo, 1, 700.0)], confirm=True)
        self._order(self.mill_site, [(self.sensor, 3, 500.0)])  # a quotation
        expired = self._order(self.ovens_site, [(self.sensor, 50, 500.0)])  # a quotation no longer valid
        expired.validity_date = fields.Date.subtract(fields.Date.today(), days=1)
        cancelled = self._order(self.ovens_site, [(self.servo, 9, 1000.0)], confirm=True)
        cancelled._action_cancel()
        # another customer's order delivered to our customer's mill does not count (nor its quotation)
        self._order(self.mill_site, [(self.sensor, 100, 500.0)], partner=self.other_customer, confirm=True)
        self.account._kam_fill_whitespace()
        self.assertEqual(len(self.account.whitespace_ids), 4, "2 units x 2 offer lines")
        drives = self._cell(self.mill, self.line_drives)
        self.assertEqual(
            (drives.status, drives.from_deals, drives.estimated_value, drives.order_ref, drives.lead_id),
            ("won", True, 2700.0, big, self.env["crm.lead"]),
            "both confirmed orders' drives, the bearings left out, the bigger order named",
        )
        sensors = self._cell(self.mill, self.line_sensors)
        self.assertEqual((sensors.status, sensors.estimated_value), ("pipeline", 1500.0))
        self.assertEqual(
            self._cell(self.ovens, self.line_drives).status, "open", "a cancelled order counts for nothing"
        )
        self.assertEqual(self._cell(self.ovens, self.line_sensors).status, "open", "an expired quotation neither")
        # the orders decide: the account manager cannot overwrite the cell, nor forge the order
        with self.assertRaises(UserError):
            drives.with_user(self.user_salesman).write({"status": "open"})
        with self.assertRaises(UserError):
            self._cell(self.ovens, self.line_sensors).with_user(self.user_salesman).write(
                {"order_ref": f"sale.order,{small.id}"}
            )
        # a cancelled order frees its cell; a confirmed quotation makes it won
        (big | small)._action_cancel()
        self.account._kam_fill_whitespace()
        self.assertEqual((drives.status, drives.from_deals, drives.order_ref), ("open", False, None))

    def test_orders_and_deals_together_the_stronger_decides(self):
        tag = self.env["crm.tag"].create({"name": "Sensors"})
        self.line_sensors.tag_ids = tag
        self.open_in.write({"kam_unit_id": self.ovens.id, "tag_ids": [(6, 0, tag.ids)]})
        self.won_recent.write({"kam_unit_id": self.mill.id, "tag_ids": [(6, 0, tag.ids)]})
        order = self._order(self.ovens_site, [(self.sensor, 4, 500.0)], confirm=True)
        self._order(self.mill_site, [(self.sensor, 1, 500.0)])
        self.account._kam_fill_whitespace()
        ovens = self._cell(self.ovens, self.line_sensors)
        self.assertEqual((ovens.status, ovens.order_ref, ovens.estimated_value), ("won", order, 2000.0))
        mill = self._cell(self.mill, self.line_sensors)
        self.assertEqual((mill.status, mill.lead_id, mill.order_ref), ("won", self.won_recent, None))

    def test_offer_lines_from_sold_categories(self):
        self.env["kam.offer.line"].with_context(active_test=False).search([]).unlink()
        self._order(self.mill_site, [(self.servo, 1, 1000.0), (self.spare, 1, 10.0)], confirm=True)
        self._order(self.mill_site, [(self.sensor, 1, 500.0)])  # quoted, not sold
        self.env["kam.offer.line"].action_create_from_categories()
        lines = self.env["kam.offer.line"].search([])
        self.assertEqual(
            {(line.name, line.product_category_ref) for line in lines},
            {("Servo drives", self.categ_servo), ("Spare parts", self.categ_other)},
        )
        self.env["kam.offer.line"].action_create_from_categories()
        self.assertEqual(len(self.env["kam.offer.line"].search([])), 2, "a category makes one line")

    def test_views_show_the_sales_fields(self):
        arch = self.env["kam.offer.line"].get_views([(False, "list")])["views"]["list"]["arch"]
        for name in ("product_category_ref", "action_create_from_categories"):
            self.assertIn(name, arch)
        self.assertEqual(
            self.env["kam.offer.line"]._fields["product_category_ref"].get_values(self.env), ["product.category"]
        )
        self.assertIn(
            "order_ref", self.env["kam.whitespace.cell"].get_views([(False, "list")])["views"]["list"]["arch"]
        )
        line = self.env["kam.offer.line"].create({"name": "Motors"})
        self.assertEqual(line.product_category_model_id.model, "product.category")

    def test_an_offer_line_names_a_product_category_only(self):
        order = self._order(self.mill_site, [(self.sensor, 1, 500.0)])
        with self.assertRaises(ValueError):
            self.env["kam.offer.line"].create({"name": "X", "product_category_ref": f"sale.order,{order.id}"})

    def test_uninstalling_the_sales_models_empties_the_references(self):
        order = self._order(self.mill_site, [(self.servo, 1, 1000.0)], confirm=True)
        self.account._kam_fill_whitespace()
        cell = self._cell(self.mill, self.line_drives)
        self.assertEqual(cell.order_ref, order)
        # what ir.model's unlink does when sale's models go (the uninstall itself is not run in a test)
        self.env["ir.model"]._kam_forget_references(["sale.order"])
        self.assertEqual((cell.order_ref, self.line_drives.product_category_ref), (None, self.categ_drives))
        self.env["ir.model"]._kam_forget_references(["product.category"])
        self.assertIsNone(self.line_drives.product_category_ref)
        self.account._kam_fill_whitespace()
        self.assertEqual(cell.status, "open", "a line without its category decides nothing any more")
