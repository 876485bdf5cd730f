import psycopg2
from odoo import api, fields, models, tools
from odoo.addons.base_automation.models.base_automation import WRITE_TRIGGERS

from .ir_actions_server import BatchCollector


def _skip_unwatched(patched):
    """Wrap base_automation's ``_compute_field_value`` patch of a model: a recompute of stored fields that
    no write rule of the model watches runs without it.

    base_automation runs the write rules of a model on every recompute of its stored fields: it reads
    their old values, evaluates each rule's filters and processes each rule, which then finds that none
    of its trigger fields changed. A rule that watches every field (no trigger field) or one of those
    computed fields keeps the stock path.
    """

    def _compute_field_value(self, field):
        names = tuple(sorted(f.name for f in self.pool.field_computed[field] if f.store))
        if names and not self.env["base.automation"]._kam_rules_watch(self._name, names):
            return patched.origin(self, field)
        return patched(self, field)

    _compute_field_value.origin = patched.origin
    _compute_field_value.kam_skip_unwatched = True
    return _compute_field_value


class ServerGuard(dict):
    """base_automation's recursion guard (``__action_done``) as the server starts it: rules -> records done.

    A client's context holds JSON values only: it cannot hold this type, nor rules as keys.
    """


def _is_server_guard(guard):
    """Was this ``__action_done`` made by the server? Ours, or base_automation's copy of one in
    ``_process`` (a plain dict, never empty, keyed by rules)."""
    if isinstance(guard, ServerGuard):
        return True
    return (
        type(guard) is dict
        and bool(guard)
        and all(isinstance(rule, models.BaseModel) and rule._name == "base.automation" for rule in guard)
    )


class BaseAutomation(models.Model):
    _inherit = "base.automation"

    # ------------------------------------------------------------------
    # The rules of a model, from a cache
    # ------------------------------------------------------------------
    # Once a model has an automation rule (ours: the stage gates on deals),
    # base_automation looks its rules up with a search on every create, write,
    # unlink and stored recompute of that model's records: hundreds of queries
    # on a lead assignment. The rules change rarely; the lookup is cached and
    # every change to a rule clears it (as base_automation reloads its hooks).

    def _get_actions(self, records, triggers):
        context = self.env.context
        if _is_server_guard(context.get("__action_done")):
            rules = self
        else:
            # A call from outside: base_automation's recursion guard starts empty, whatever the
            # client sent. A client's ``__action_done`` (a JSON value) with ``__action_feedback``
            # would be one guard shared, and updated in place, by every write of its call: a
            # first write passing the gate would mark the deal as done and the next write of the
            # same call (``action_set_won`` after its restore, an import's next row) would skip
            # the gate. A value of another type made every write of a deal a traceback.
            rules = self.with_context(__action_done=ServerGuard(), __action_feedback=False)
        return rules.browse(rules._kam_get_rule_ids(records._name, tuple(sorted(triggers))))

    @api.model
    @tools.ormcache("model_name", "triggers")
    def _kam_get_rule_ids(self, model_name, triggers):
        """Ids of the active rules of ``model_name`` with one of ``triggers`` (cached)."""
        rules = (
            self.with_context(active_test=True)
            .sudo()
            .search([("model_name", "=", model_name), ("trigger", "in", list(triggers))])
        )
        return tuple(rules.ids)

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()  # _kam_get_rule_ids
        return rules

    def _register_hook(self):
        result = super()._register_hook()
        for Model in self.env.registry.values():
            patched = Model.__dict__.get("_compute_field_value")
            if patched is not None and hasattr(patched, "origin") and not getattr(patched, "kam_skip_unwatched", 0):
                Model._compute_field_value = _skip_unwatched(patched)
        return result

    @api.model
    @tools.ormcache("model_name", "names")
    def _kam_rules_watch(self, model_name, names):
        """Does a write rule of ``model_name`` watch one of the fields ``names`` (cached)?"""
        for rule_id in self._kam_get_rule_ids(model_name, tuple(sorted(WRITE_TRIGGERS))):
            watched = self._kam_get_trigger_field_names(rule_id)
            if not watched or set(watched) & set(names):
                return True
        return False

    @api.model
    @tools.ormcache("rule_id")
    def _kam_has_filters(self, rule_id):
        """``(has a precondition, has a postcondition)`` of a rule (cached: read on every write of its model)."""
        rule = self.browse(rule_id).sudo()
        return bool(rule.filter_pre_domain), bool(rule.filter_domain)

    def _add_postmortem(self, e):
        # A database error (a serialization failure, which Odoo retries) leaves the transaction aborted:
        # the post-mortem would read the rule (no longer read beforehand, see above) and turn the error
        # into one nobody retries.
        if isinstance(e, psycopg2.Error):
            return
        super()._add_postmortem(e)

    def _filter_pre(self, records, feedback=False):
        # base_automation's own test, without reading the rule when it has no precondition (ours).
        if len(self) == 1 and not self._kam_has_filters(self.id)[0]:
            return records
        return super()._filter_pre(records, feedback=feedback)

    def _filter_post_export_domain(self, records, feedback=False):
        if len(self) == 1 and not self._kam_has_filters(self.id)[1]:
            return records, None
        return super()._filter_post_export_domain(records, feedback=feedback)

    @api.model
    @tools.ormcache("rule_id")
    def _kam_get_trigger_field_names(self, rule_id):
        """Names of the trigger fields of a rule (cached: read on every write of its model)."""
        return tuple(self.browse(rule_id).sudo().trigger_field_ids.mapped("name"))

    @api.model
    @tools.ormcache("rule_id")
    def _kam_get_rule_actions(self, rule_id):
        """``(id, type, group ids, model)`` of each server action of a rule (cached: read on every run of the rule,
        a change to a rule or an action clears Odoo's caches)."""
        return tuple(
            (action.id, action.state, tuple(action.groups_id.ids), action.model_id.model)
            for action in self.browse(rule_id).sudo().action_server_ids
        )

    def _check_trigger_fields(self, record):
        # base_automation's own test, with the rule's trigger fields from the cache.
        names = self._kam_get_trigger_field_names(self.id)
        if not names or self.env.context.get("old_values") is None:
            return True
        old_vals = self.env.context["old_values"].get(record.id, {})
        return any(name in old_vals and record[name] != old_vals[name] for name in names)

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() - {"last_run"}:  # not on every run of a time rule's cron
            # the caches above (a rule's trigger, its stage or value to watch, its filters, its actions…)
            self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _kam_get_rule_ids
        return result

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
        specs = self._kam_get_rule_actions(self.id)
        batch_states = self.env["ir.actions.server"]._kam_get_batch_states()
        batch_ids = [action_id for action_id, state, _groups, _model in specs if state in batch_states]
        if not batch_ids:
            return super()._process(records, domain_post=domain_post)
        if len(batch_ids) == len(specs):
            return self._kam_process_batch_only(records, domain_post)
        batch_actions = self.env["ir.actions.server"].sudo().browse(batch_ids)
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

    def _kam_stamp_last_run(self, records):
        """Set ``date_automation_last`` on ``records``, as base_automation does after a rule ran on them.

        base_automation writes it with a full ``write()`` of the records: every override of the model
        runs again (on a deal: crm's, mail's, the addon's own and base_automation's write rules, which
        find nothing to do) for a bookkeeping date. When no write rule of the model can react to that
        date (none watches it, none watches every field), the date goes into the cache as a write would
        put it, with the write's own stamps, and is saved with the records' pending changes. A field that
        depends on one of them through a relation (which ``write()`` refreshes before and after) keeps the
        stock write too.
        """
        values = {"date_automation_last": fields.Datetime.now()}
        if records._log_access:
            values.update(write_uid=records.env.uid, write_date=records.env.cr.now())
        if self._kam_rules_watch(records._name, ("date_automation_last",)) or any(
            records.pool.is_modifying_relations(records._fields[name]) for name in values
        ):
            records.date_automation_last = values["date_automation_last"]
            return
        for name, value in values.items():
            records._fields[name].write(records, value)
        records.modified(values)

    def _kam_process_batch_only(self, records, domain_post):
        """``_process`` for a rule whose actions all handle batches: no loop over records.

        Mirrors the stock bookkeeping (records already done, recursion guard,
        trigger fields, ``date_automation_last``), then runs each action once
        on all records: the stock loop would build one environment and run
        every action once per record, which is most of the cost of a rule on
        a large write.
        """
        automation_done = self._context.get("__action_done", {})
        records_done = automation_done.get(self, records.browse())
        records -= records_done
        if not records:
            return None
        rule = self
        if self.env.context.get("__action_feedback"):
            automation_done[self] = records_done + records
        else:
            automation_done = dict(automation_done)
            automation_done[self] = records_done + records
            rule = self.with_context(__action_done=automation_done)
            records = records.with_context(__action_done=automation_done)
        records = records.filtered(rule._check_trigger_fields)
        automation_done[self] = records_done + records
        if not records:
            return None
        if "date_automation_last" in records._fields:
            rule._kam_stamp_last_run(records)
        Action = rule.env["ir.actions.server"].sudo()  # in the rule's context: old values, recursion guard
        for action_id, state, group_ids, model_name in rule._kam_get_rule_actions(rule.id):
            try:
                Action.browse(action_id).with_context(
                    active_model=records._name,
                    active_ids=records.ids,
                    active_id=records.ids[0],
                    domain_post=domain_post,
                    kam_batch_collect=None,
                )._kam_run_batch(state, group_ids, model_name)
            except Exception as e:
                rule._add_postmortem(e)
                raise
        return None
