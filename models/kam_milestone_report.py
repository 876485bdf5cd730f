"""What holds deals back: one row per milestone of a deal, with what a pivot adds up.

A SQL view over ``kam.lead.milestone`` (the way ``crm.activity.report`` is
built): per milestone, how many open deals wait on it and for how long, how
often it was met, waived or grandfathered, and by whom it was waived.
"""

from odoo import api, fields, models

from .kam_funnel_report import aggregate
from .kam_lead_milestone import STATES


class KamMilestoneReport(models.Model):
    _name = "kam.milestone.report"
    _description = "Milestone Analysis"
    _auto = False
    _order = "waiting_days desc"
    _rec_name = "milestone_id"
    _depends = {
        "kam.lead.milestone": ["milestone_id", "lead_id", "state", "passed", "grandfathered", "done_by_id",
                               "waive_reason", "done_date"],
        "kam.milestone": ["stage_id"],
        "crm.lead": ["team_id", "company_id", "user_id", "active", "type", "stage_id", "date_last_stage_update"],
    }  # fmt: skip

    milestone_id = fields.Many2one("kam.milestone", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    state = fields.Selection(STATES, string="Status", readonly=True)
    waiting = fields.Integer(
        string="Deals Waiting", readonly=True, help="Open deals in the milestone's stage that have not met it."
    )
    waiting_days = fields.Float(
        string="Days Waiting",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="How long the waiting deals have been in the stage.",
    )
    met = fields.Integer(readonly=True)
    waived = fields.Integer(readonly=True, help="Waived by a manager, directly or by forcing the stage.")
    grandfathered = fields.Integer(readonly=True, help="Skipped by deals placed by a re-mapping or an import.")
    waived_by_id = fields.Many2one("res.users", readonly=True)
    waive_reason = fields.Text(string="Reason", readonly=True)
    done_date = fields.Datetime(string="Done or Waived On", readonly=True)

    @property
    def _table_query(self):
        return """
SELECT r.id, r.milestone_id, m.stage_id, r.lead_id, l.team_id, l.company_id, l.user_id, r.state,
       w.waiting,
       CASE WHEN w.waiting = 1 AND l.date_last_stage_update IS NOT NULL
            THEN GREATEST(EXTRACT(EPOCH FROM ((NOW() AT TIME ZONE 'UTC') - l.date_last_stage_update)) / 86400.0, 0)
       END AS waiting_days,
       CASE WHEN r.state = 'done' THEN 1 ELSE 0 END AS met,
       CASE WHEN r.state = 'waived' THEN 1 ELSE 0 END AS waived,
       CASE WHEN r.grandfathered THEN 1 ELSE 0 END AS grandfathered,
       CASE WHEN r.state = 'waived' THEN r.done_by_id END AS waived_by_id,
       CASE WHEN r.state = 'waived' THEN r.waive_reason END AS waive_reason,
       r.done_date
  FROM kam_lead_milestone r
  JOIN kam_milestone m ON m.id = r.milestone_id
  JOIN crm_lead l ON l.id = r.lead_id
  CROSS JOIN LATERAL (
      SELECT CASE WHEN r.state = 'todo' AND NOT COALESCE(r.passed, FALSE) AND NOT COALESCE(r.grandfathered, FALSE)
                   AND l.active AND l.type = 'opportunity' AND l.stage_id = m.stage_id
                  THEN 1 ELSE 0 END AS waiting
  ) w
"""

    @api.model
    def _kam_blocking(self, team_id, limit=5):
        """The milestones the most open deals of ``team_id`` wait on: count, median and longest wait (days)."""
        rows = aggregate(
            self,
            [("team_id", "=", team_id), ("waiting", "=", 1)],
            """
SELECT %(table)s.milestone_id, COUNT(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY %(table)s.waiting_days), MAX(%(table)s.waiting_days)
  FROM %(from)s
 WHERE %(where)s
 GROUP BY %(table)s.milestone_id
 ORDER BY COUNT(*) DESC, 3 DESC
 LIMIT %(limit)s
                """,
            limit=limit,
        )
        Milestone = self.env["kam.milestone"]
        return [
            {
                "milestone_id": milestone_id,
                "milestone": Milestone.browse(milestone_id).display_name,
                "waiting": count,
                "median_days": round(median or 0.0, 1),
                "max_days": round(longest or 0.0, 1),
            }
            for milestone_id, count, median, longest in rows
        ]
