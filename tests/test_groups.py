"""The KAM groups follow the stock Sales groups."""

from odoo.tests import tagged

from .common import KamCase

KAM_USER = "kam_sales_process.group_kam_user"
KAM_MANAGER = "kam_sales_process.group_kam_manager"


@tagged("post_install", "-at_install")
class TestGroupImplications(KamCase):
    def test_own_documents_salesperson_is_kam_user_only(self):
        self.assertTrue(self.user_salesman.has_group(KAM_USER))
        self.assertFalse(self.user_salesman.has_group(KAM_MANAGER))

    def test_all_documents_salesperson_is_kam_user_only(self):
        self.assertTrue(self.user_sales_all.has_group(KAM_USER))
        self.assertFalse(self.user_sales_all.has_group(KAM_MANAGER))

    def test_sales_administrator_is_kam_manager_and_user(self):
        self.assertTrue(self.user_sales_manager.has_group(KAM_MANAGER))
        self.assertTrue(self.user_sales_manager.has_group(KAM_USER))

    def test_employee_without_sales_rights_is_not_kam(self):
        self.assertFalse(self.user_employee.has_group(KAM_USER))
        self.assertFalse(self.user_employee.has_group(KAM_MANAGER))

    def test_granting_a_sales_group_later_grants_the_kam_group(self):
        user = self.user_employee
        user.groups_id = [(4, self.env.ref("sales_team.group_sale_salesman").id)]
        self.assertTrue(user.has_group(KAM_USER))
        self.assertFalse(user.has_group(KAM_MANAGER))
        user.groups_id = [(4, self.env.ref("sales_team.group_sale_manager").id)]
        self.assertTrue(user.has_group(KAM_MANAGER))

    def test_kam_manager_implies_kam_user(self):
        manager = self.env.ref(KAM_MANAGER)
        self.assertIn(self.env.ref(KAM_USER), manager.implied_ids)

    def test_configuration_menu_is_for_kam_managers(self):
        menu = self.env.ref("kam_sales_process.menu_kam_config")
        self.assertEqual(menu.parent_id, self.env.ref("crm.crm_menu_config"))
        self.assertEqual(menu.groups_id, self.env.ref(KAM_MANAGER))
        visible_to = self.env["ir.ui.menu"].with_user(self.user_salesman)._visible_menu_ids()
        self.assertNotIn(menu.id, visible_to)
