from odoo import fields, models
from odoo.exceptions import AccessError

from .crm_lead_gate import POSITION_FIELDS

#: The addon's batch actions: their runners read only ``model`` and ``records``/``record`` of the evaluation
#: context, so base.automation runs them without building the whole context (see ``_kam_run_batch``).
ADDON_BATCH_STATES = frozenset({"kam_gate_check", "kam_recompute_tiers"})


class BatchCollector:
    """Records noted for one batch run of an automation rule.

    Only ever created by ``base.automation._process``; compared by identity, so
    a context value sent by a client (JSON) can never stand in for it.
    """

    __slots__ = ("env", "ids")

    def __init__(self):
        self.ids = []
        self.env = None


class IrActionsServer(models.Model):
    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[("kam_gate_check", "Check Stage Gates"), ("kam_recompute_tiers", "Recompute Account Tiers")],
        ondelete={"kam_gate_check": "cascade", "kam_recompute_tiers": "cascade"},
    )

    def _kam_get_batch_states(self):
        """Action types that handle a whole batch of records in one run.

        base.automation runs such actions once per batch instead of once per
        record (see ``base.automation._process``).  Extension hook.
        """
        return set(ADDON_BATCH_STATES)

    def _run_action_kam_gate_check_multi(self, eval_context=None):
        """Refuse the moves of the records that leave milestones unmet.

        Run by the automation rule "Stage gates" (trigger: a change of stage,
        team, company or active flag), the position the records left comes from
        the rule's ``old_values``.  Run any other way (created records, a manual
        run), each record is checked as if it had just been created where it is.
        """
        records = eval_context.get("records") or eval_context["model"]
        if records._name != "crm.lead" or not records:
            return False
        old_values = self.env.context.get("old_values")
        if not isinstance(old_values, dict):
            before = dict.fromkeys(records.ids)
        else:
            before = {
                lead.id: lead._kam_position(old_values[lead.id])
                for lead in records.sudo()
                if isinstance(old_values.get(lead.id), dict) and POSITION_FIELDS & old_values[lead.id].keys()
            }
        records._kam_check_gates(before)
        return False

    def _run_action_kam_recompute_tiers_multi(self, eval_context=None):
        """Rescore the accounts of the records: accounts, companies (or their people's companies) or deals'
        customers, in the current company; run with no record (e.g. from a scheduled action), every account is.
        """
        records = eval_context.get("records") or eval_context.get("record")
        model = eval_context["model"]
        Account = self.env["kam.account"]
        if records and records._name == "kam.account":
            records._kam_score()
        elif records and records._name in ("crm.lead", "res.partner"):
            partners = records.partner_id if records._name == "crm.lead" else records
            Account._kam_score_customers(partners, self.env.company)
        elif not records and model._name in ("kam.account", "res.partner"):
            Account._kam_score_all(self.env.company)
        return False

    def _kam_run_batch(self, state, group_ids, model_name):
        """``run()`` of one batch action for the records in ``active_ids``, told its type, groups and model by
        the rule's cache (``base.automation._kam_get_rule_actions``) instead of reading the action on every run.

        The same checks as ``run()`` called by base.automation (as superuser: the groups of the action, if
        any, against the user's); the addon's own types get an evaluation context of ``model``, ``records``
        and ``record``, all their runners read; any other type runs through ``run()``.
        """
        self.ensure_one()
        if state not in ADDON_BATCH_STATES:
            return self.run()
        if group_ids and not set(group_ids) & set(self.env.user._get_group_ids()):
            raise AccessError(self.env._("You don't have enough access rights to run this action."))
        model = self.env[model_name]
        records = model.browse(self.env.context.get("active_ids") or [])
        eval_context = {"model": model, "records": records, "record": records[:1] or None}
        return getattr(self, f"_run_action_{state}_multi")(eval_context=eval_context)

    def run(self):
        collect = self.env.context.get("kam_batch_collect")
        if isinstance(collect, BatchCollector) and len(self) == 1 and self.state in self._kam_get_batch_states():
            # Called by base.automation._process for one record: only note it.
            collect.ids.extend(self.env.context.get("active_ids") or [])
            collect.env = collect.env or self.env
            return False
        return super().run()
