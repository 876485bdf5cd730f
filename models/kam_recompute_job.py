"""Background recomputes: large sets of records, processed in many short transactions.

Everything the addon recomputes over a whole database — red flags and grades
every night, account tiers every night, milestone rows after a milestone is
added to a stage every team shares, red flags after a buying role or a
setting changes — goes through one helper.  A job keeps the ids still to do;
the scheduled action "Key accounts: background recomputes" (or the daily
action of the kind) takes one batch per call, reports its progress with
``ir.cron._notify_progress`` and the cron framework commits after each batch
and calls again while work remains.  A set that fits in one batch is done at
once, in the caller's transaction.
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import config

_logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
#: A batch that met a concurrent change of the same records is tried again this much later.
RETRY_AFTER = timedelta(minutes=1)
#: A failed job of a nightly run is forgotten this long after it failed (the next night does its work again).
FORGET_FAILED_RUNS_AFTER = timedelta(days=7)


class KamRecomputeJob(models.Model):
    _name = "kam.recompute.job"
    _description = "Background Recompute"
    _order = "id"

    kind = fields.Char(
        required=True, readonly=True, help="What is recomputed: the records' _kam_recompute_<kind>() method."
    )
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_ids = fields.Json(string="Records Left", readonly=True, help="The ids still to do.")
    total = fields.Integer(readonly=True, help="Records in the job.")
    done = fields.Integer(readonly=True, help="Records done so far.")
    company_id = fields.Many2one("res.company", readonly=True, help="The company the records are recomputed for.")
    run_key = fields.Char(
        string="Run", readonly=True, index=True, help="A daily run's day: each run of a kind starts once."
    )
    state = fields.Selection(
        [("todo", "To Do"), ("done", "Done"), ("failed", "Failed")],
        default="todo",
        readonly=True,
        index=True,
        help="Failed: a batch met an error (shown below, the whole of it in the server's log); what it did was "
        "undone and the jobs behind it went on. An administrator tries it again once the cause is mended; a "
        "nightly run's job is done again by the next night's run.",
    )
    error = fields.Text(readonly=True, copy=False, help="Why the job's last batch failed.")
    start_after = fields.Datetime(
        string="Not Before", readonly=True, help="The job is not started before this time (empty: at once)."
    )

    # --- starting work --------------------------------------------------------------

    @api.model
    def _kam_schedule(self, kind, records, batch_size=BATCH_SIZE):
        """Recompute ``kind`` of ``records``: at once when they fit in one batch, else in the background."""
        if len(records) <= batch_size:
            self._kam_apply(kind, records)
            return self.browse()
        job = self._kam_create(kind, records)
        self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs").sudo()._trigger()
        return job

    @api.model
    def _kam_schedule_settling(self, sources, leads):
        """The milestone rows of ``leads`` settled with a change of the gate's configuration (``sources``: the
        milestones added or re-scoped, the stages re-ordered): now, or in the background (``_kam_schedule``),
        and once more when every request running at the change has ended.

        A request another worker is serving when the change commits still gates with the configuration it
        read before (Odoo's caches follow a change at each worker's next request): a deal it moves past a
        stage given a new milestone meanwhile, or creates or brings there, is settled where it then stands
        by the second pass, as if that had happened just before the change (grandfathered), instead of
        standing past a milestone nobody met or waived. The second pass looks for the sources' deals again
        (those created meanwhile included); changes close together share one pass."""
        self._kam_schedule("milestone_rows", leads)
        if not leads:
            return
        due = self.env.cr.now() + self._kam_settle_delay()  # the database's clock, as the scheduler's
        pending = self.sudo().search(
            [("kind", "=", "gate_settling"), ("res_model", "=", sources._name), ("state", "=", "todo"),
             ("start_after", "!=", False)], limit=1,
        )  # fmt: skip
        if pending:
            ids = sorted(set(pending.res_ids or []) | set(sources.ids))
            pending.write({"res_ids": ids, "total": len(ids), "start_after": max(pending.start_after, due)})
        else:
            self._kam_create("gate_settling", sources, start_after=due)
        self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs").sudo()._trigger(due)

    @api.model
    def _kam_settle_delay(self):
        """How long after a change of the gate's configuration its deals are settled again: the longest a
        request or a scheduled action may run (``limit_time_real``, ``limit_time_real_cron``; 120 s when
        unlimited or shorter), and a minute more."""
        limits = [config.get("limit_time_real") or 0, config.get("limit_time_real_cron") or 0]
        return timedelta(seconds=max(*(int(limit) for limit in limits), 120)) + timedelta(minutes=1)

    @api.model
    def _kam_create(self, kind, records, company=None, run_key=False, start_after=False):
        ids = records.ids
        return self.sudo().create(
            {
                "kind": kind,
                "res_model": records._name,
                "res_ids": ids,
                "total": len(ids),
                "company_id": company.id if company else False,
                "run_key": run_key,
                "start_after": start_after,
                "state": "todo" if ids else "done",
            }
        )

    @api.model
    def _kam_apply(self, kind, records, company=None):
        if records:
            if company:
                records = records.with_company(company)
            getattr(records, f"_kam_recompute_{kind}")()

    # --- doing it, a batch per call --------------------------------------------------------

    def _kam_step(self, batch_size=BATCH_SIZE):
        """Do the next batch of this job; returns how many records it did."""
        self.ensure_one()
        ids = list(self.res_ids or [])
        batch, rest = ids[:batch_size], ids[batch_size:]
        records = self.env[self.res_model].sudo().browse(batch).exists()
        try:
            with self.env.cr.savepoint():
                self._kam_apply(self.kind, records, self.company_id)
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise  # the same batch again soon (_cron_kam_run_jobs), or at the scheduled action's next call
        except Exception as error:
            # the savepoint undid the batch (and cleared the cache): the jobs behind this one go on, instead of
            # failing behind it at every call until Odoo deactivates the scheduled action
            _logger.exception("Background recompute %s (%s) failed; the jobs behind it go on", self.id, self.kind)
            self.write({"state": "failed", "error": f"{type(error).__name__}: {error}"})
            return 0
        self.write({"res_ids": rest, "done": self.done + len(batch), "state": "todo" if rest else "done"})
        return len(batch)

    def action_kam_retry(self):
        """Try failed jobs again (once their cause is mended): the scheduled action takes them at its next call."""
        if not self.env.user._is_system():
            raise AccessError(self.env._("Only an administrator may start a background recompute again."))
        if any(job.state != "failed" for job in self):
            raise UserError(self.env._("You can try again only a job that failed."))
        if any(job.run_key for job in self):
            raise UserError(self.env._("A job of a nightly run is done again by the next night's run."))
        self.sudo().write({"state": "todo", "error": False})
        self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs").sudo()._trigger()
        return True

    @api.model
    def _kam_run(self, domain, batch_size=BATCH_SIZE):
        """One batch of the oldest pending job of ``domain``; progress for the cron framework."""
        jobs = self.sudo().search([*domain, ("state", "=", "todo")])
        done = 0
        for job in jobs:  # a job that fails stops alone: the next one takes its turn in the same call
            done = job._kam_step(batch_size)
            if job.state != "failed":
                break
        # done 0 with work remaining would tell the cron framework that nothing is left for this run
        remaining = sum(len(job.res_ids or []) for job in jobs if job.state == "todo")
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _cron_kam_run_jobs(self, batch_size=BATCH_SIZE):
        """Scheduled action: work through the background jobs, one batch per call."""
        now = self.env.cr.now()  # the database's clock, as the scheduler's
        cron = self.env.ref("kam_sales_process.ir_cron_kam_recompute_jobs").sudo()
        try:
            with self.env.cr.savepoint():
                done = self._kam_run(
                    [("run_key", "=", False), "|", ("start_after", "=", False), ("start_after", "<=", now)],
                    batch_size,
                )
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            # another transaction changed the same records: the batch again in a minute, not at the next daily run
            cron._trigger(now + RETRY_AFTER)
            done = 0
        # the jobs not due yet keep their call, whatever happened to the one that scheduled them
        later = self.sudo().search([("state", "=", "todo"), ("start_after", ">", now)], order="start_after", limit=1)
        if later and not self.env["ir.cron.trigger"].sudo().search_count(
            [("cron_id", "=", cron.id), ("call_at", ">=", later.start_after)], limit=1
        ):
            cron._trigger(later.start_after)
        return done

    @api.model
    def _kam_run_daily(self, kind, starts, run_key=None, batch_size=BATCH_SIZE):
        """A daily run of ``kind``: the first call of the day creates its jobs, each call does one batch.

        ``starts`` returns ``[(records, company or None)]``: the work of the
        run.  Returns how many records the call did (0 once the run is over).
        """
        run_key = run_key or fields.Date.to_string(fields.Date.today())
        domain = [("kind", "=", kind), ("run_key", "=", run_key)]
        if not self.sudo().search_count(domain):
            for records, company in starts():
                self._kam_create(kind, records, company=company, run_key=run_key)
        return self._kam_run(domain, batch_size)

    @api.autovacuum
    def _gc_kam_finished_jobs(self):
        """Forget the jobs finished before yesterday, and the failed jobs of nightly runs a week after they
        failed (the next nights did their work again); other failed jobs wait for an administrator."""
        yesterday = fields.Date.to_string(fields.Date.subtract(fields.Date.today(), days=1))
        self.sudo().search([("state", "=", "done"), ("write_date", "<", yesterday)]).unlink()
        long_ago = self.env.cr.now() - FORGET_FAILED_RUNS_AFTER
        self.sudo().search([("state", "=", "failed"), ("run_key", "!=", False), ("write_date", "<", long_ago)]).unlink()
