"""Shared fixtures of the addon's Odoo tests.

``KamCase`` builds, once per class, the people every feature test needs:

- ``user_salesman``: Sales / User: Own Documents Only (hence KAM user);
- ``user_sales_all``: Sales / User: All Documents (hence KAM user);
- ``user_sales_manager``: Sales / Administrator (hence KAM manager);
- ``user_employee``: an internal user without any Sales right.

Tests never rely on demo data.
"""

from odoo.tests import TransactionCase, new_test_user


class KamCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_salesman = new_test_user(
            cls.env, login="kam_salesman", groups="sales_team.group_sale_salesman", name="Sam Salesman"
        )
        cls.user_sales_all = new_test_user(
            cls.env,
            login="kam_sales_all",
            groups="sales_team.group_sale_salesman_all_leads",
            name="Alex All-Leads",
        )
        cls.user_sales_manager = new_test_user(
            cls.env, login="kam_manager", groups="sales_team.group_sale_manager", name="Mia Manager"
        )
        cls.user_employee = new_test_user(cls.env, login="kam_employee", groups="base.group_user", name="Eve Employee")
