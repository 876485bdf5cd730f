from odoo import models

from .ir_actions_server import BatchCollector


class BaseAutomation(models.Model):
    _inherit = "base.automation"

    def _process(self, records, domain_post=None):
        """Run batch-capable server actions once for the whole batch.

        Stock base_automation runs each server action once per record, which
        costs a full action run (access checks, evaluation context, queries)
        per record.  For the action types listed by
        ``ir.actions.server._kam_get_batch_states`` the stock loop only collects
        the records (see ``ir.actions.server.run``); they then run once on all
        of them, in the same context (old values, recursion guard).  Other
        actions of the rule run as before; batch actions run after them.
        """
        actions = self.sudo().action_server_ids
        batch_actions = actions.filtered(lambda a: a.state in actions._kam_get_batch_states())
        if not batch_actions:
            return super()._process(records, domain_post=domain_post)
        collected = BatchCollector()
        super(BaseAutomation, self.with_context(kam_batch_collect=collected))._process(records, domain_post=domain_post)
        ids = collected.ids
        if not ids:
            return None
        run_env = collected.env
        for action in batch_actions:
            action.with_env(run_env).with_context(
                active_model=records._name,
                active_ids=ids,
                active_id=ids[0],
                domain_post=domain_post,
                kam_batch_collect=None,
            ).run()
        return None
