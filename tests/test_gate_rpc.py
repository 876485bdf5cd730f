"""The gate holds over XML-RPC and JSON-RPC, through a real HTTP server."""

import json
import xmlrpc.client

from odoo.tests import HttpCase, tagged

from .common import KamGateCase


@tagged("post_install", "-at_install")
class TestGateOverRpc(KamGateCase, HttpCase):
    def setUp(self):
        super().setUp()
        self.deal = self._new_deal(stage=self.s1)
        self.uid = self.user_salesman.id
        self.password = self.user_salesman.login  # new_test_user's default password

    def _xmlrpc_write(self, vals, context=None):
        kwargs = {"context": context} if context else {}
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, self.uid, self.password, "crm.lead", "write", [[self.deal.id], vals], kwargs
        )

    def test_xmlrpc_write_is_refused_with_the_milestone(self):
        with self.assertRaises(xmlrpc.client.Fault) as refusal:
            self._xmlrpc_write({"stage_id": self.s2.id})
        self.assertIn("Budget known", refusal.exception.faultString)
        self.assertEqual(self.deal.stage_id, self.s1)

    def test_xmlrpc_context_keys_do_not_pass_the_gate(self):
        rule_id = str(self.env.ref("kam_sales_process.automation_stage_gate").id)
        for context in (
            {"kam_batch_collect": {}},
            {"kam_gate_override": True},
            {"__action_done": {rule_id: [self.deal.id]}},
        ):
            with self.subTest(context=context), self.assertRaises(xmlrpc.client.Fault):
                self._xmlrpc_write({"stage_id": self.s2.id}, context=context)
        self.assertEqual(self.deal.stage_id, self.s1)

    def test_xmlrpc_won_with_the_rules_recursion_guard_is_refused(self):
        # The guard a client sends is not the server's: restoring the lost deal (which passes)
        # does not let the move to Won that follows it in the same call skip the gate.
        self.deal.action_set_lost()
        with self.assertRaises(xmlrpc.client.Fault) as refusal:
            self.xmlrpc_object.execute_kw(
                self.env.cr.dbname, self.uid, self.password, "crm.lead", "action_set_won", [[self.deal.id]],
                {"context": {"__action_done": {}, "__action_feedback": True}},
            )  # fmt: skip
        self.assertIn("Budget known", refusal.exception.faultString)
        self.assertNotEqual(self.deal.stage_id, self.stage_won)

    def test_xmlrpc_create_in_a_later_stage_is_refused(self):
        with self.assertRaises(xmlrpc.client.Fault) as refusal:
            self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                self.uid,
                self.password,
                "crm.lead",
                "create",
                [{"name": "RPC deal", "type": "opportunity", "team_id": self.team.id, "stage_id": self.s3.id}],
            )
        self.assertIn("Coach found", refusal.exception.faultString)

    def test_jsonrpc_service_write_is_refused(self):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.env.cr.dbname,
                    self.uid,
                    self.password,
                    "crm.lead",
                    "write",
                    [[self.deal.id], {"stage_id": self.s2.id}],
                ],
            },
        }
        response = self.url_open("/jsonrpc", data=json.dumps(payload), headers={"Content-Type": "application/json"})
        error = response.json()["error"]
        self.assertEqual(error["data"]["name"], "odoo.exceptions.UserError")
        self.assertIn("Budget known", error["data"]["message"])
        self.assertEqual(self.deal.stage_id, self.s1)

    def test_web_client_call_is_refused_like_a_kanban_drag(self):
        # The kanban drag and the statusbar save through call_kw (web_save).
        self.authenticate(self.user_salesman.login, self.password)
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "model": "crm.lead",
                "method": "web_save",
                "args": [[self.deal.id], {"stage_id": self.s2.id}],
                "kwargs": {"specification": {"stage_id": {}}},
            },
        }
        response = self.url_open(
            "/web/dataset/call_kw/crm.lead/web_save",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        error = response.json()["error"]
        self.assertEqual(error["data"]["name"], "odoo.exceptions.UserError")
        self.assertIn("Budget known", error["data"]["message"])
        self.assertEqual(self.deal.stage_id, self.s1)

    def test_rpc_move_passes_once_the_milestone_is_met(self):
        self._meet(self.deal, self.ms_budget)
        self.assertTrue(self._xmlrpc_write({"stage_id": self.s2.id}))
        self.assertEqual(self.deal.stage_id, self.s2)
