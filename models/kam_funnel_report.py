"""Funnel report: one row per stay of a deal in a stage, with the measures a pivot adds up.

A SQL view over ``kam.stage.history`` (the way ``crm.activity.report`` is
built), so the usual filters (team, salesperson, period, tier, grade) apply
before anything is added up.  Rates are averages of 0/100 per stay, left empty
where the outcome is not known yet, so "Average" in a pivot is the rate.
Medians and percentiles, which no pivot aggregates, come from
``_kam_stage_figures`` (one query per pipeline).
"""

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models, tools

from ..kam_sales_process.funnel import StageFigures, balance, bottleneck
from ..kam_sales_process.vocabulary import EXIT_KIND_LABELS
from .crm_lead_grade import GRADES
from .kam_guards import is_record_id


def aggregate(model, domain, template, **params):
    """Rows of ``template`` (SQL with ``%(table)s``, ``%(from)s`` and ``%(where)s``) over the records of
    ``model`` that ``domain`` selects, as the user's record rules let them see them (one query)."""
    query = model._search(domain)
    model.env.cr.execute(
        tools.SQL(
            template,
            table=tools.SQL.identifier(query.table),
            **{"from": query.from_clause, "where": query.where_clause or tools.SQL("TRUE")},
            **params,
        )
    )
    return model.env.cr.fetchall()


class KamFunnelReport(models.Model):
    _name = "kam.funnel.report"
    _description = "Funnel Analysis"
    _auto = False
    _order = "date_in desc"
    _rec_name = "stage_id"
    _depends = {
        "kam.stage.history": ["lead_id", "stage_id", "team_id", "company_id", "user_id", "date_in", "date_out",
                              "exit_kind", "days"],
        "crm.lead": ["active", "stage_id", "partner_id", "company_id", "kam_grade", "kam_is_stuck",
                     "expected_revenue", "probability"],
        "crm.stage": ["sequence", "is_won"],
        "res.partner": ["commercial_partner_id"],
        "kam.account": ["partner_id", "company_id", "tier_id"],
    }  # fmt: skip

    lead_id = fields.Many2one("crm.lead", string="Deal", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    stage_sequence = fields.Integer(readonly=True, aggregator=False)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    tier_id = fields.Many2one("kam.tier", string="Account Tier", readonly=True)
    grade = fields.Selection([(grade, grade) for grade in GRADES], readonly=True)
    date_in = fields.Datetime(string="Entered", readonly=True)
    date_out = fields.Datetime(string="Left", readonly=True)
    exit_kind = fields.Selection(EXIT_KIND_LABELS, string="Left By", readonly=True)
    entered = fields.Integer(string="Deals Entered", readonly=True, help="Stays begun in the stage.")
    moved_forward = fields.Integer(readonly=True, help="Stays that ended in a later stage.")
    lost = fields.Integer(readonly=True, help="Stays that ended with the deal lost or archived.")
    forced = fields.Integer(readonly=True, help="Stays that a manager ended past unmet milestones.")
    conversion_next = fields.Float(
        string="Conversion to Next (%)",
        readonly=True,
        aggregator="avg",
        help="Of the stays that ended, the share that moved on to a later stage.",
    )
    conversion_won = fields.Float(
        string="Conversion to Won (%)",
        readonly=True,
        aggregator="avg",
        help="Of the deals decided since, the share won.",
    )
    days = fields.Float(
        string="Days in Stage",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Length of the stay (so far, for deals still in the stage).",
    )
    open_now = fields.Integer(string="Open Deals Now", readonly=True, help="Deals in the stage today.")
    stuck = fields.Integer(
        string="Stuck Deals", readonly=True, help="Deals in the stage today beyond its maximum stay."
    )
    open_value = fields.Float(readonly=True, help="Expected revenue of the deals in the stage today.")
    weighted_value = fields.Float(readonly=True, help="Expected revenue x probability of the deals in the stage today.")

    @property
    def _table_query(self):
        return """
SELECT h.id, h.lead_id, h.stage_id, s.sequence AS stage_sequence, h.team_id, h.company_id, h.user_id,
       p.commercial_partner_id AS partner_id, a.tier_id, l.kam_grade AS grade,
       h.date_in, h.date_out, h.exit_kind,
       1 AS entered,
       CASE WHEN h.exit_kind IN ('forward', 'won') THEN 1 ELSE 0 END AS moved_forward,
       CASE WHEN h.exit_kind = 'lost' THEN 1 ELSE 0 END AS lost,
       CASE WHEN h.exit_kind = 'forced' THEN 1 ELSE 0 END AS forced,
       CASE WHEN h.date_out IS NULL THEN NULL
            WHEN h.exit_kind IN ('forward', 'won') THEN 100.0 ELSE 0.0 END AS conversion_next,
       CASE WHEN l.active AND ls.is_won THEN 100.0
            WHEN NOT l.active THEN 0.0 END AS conversion_won,
       CASE WHEN h.date_out IS NULL
            THEN GREATEST(EXTRACT(EPOCH FROM ((NOW() AT TIME ZONE 'UTC') - h.date_in)) / 86400.0, 0)
            ELSE h.days END AS days,
       CASE WHEN h.date_out IS NULL THEN 1 ELSE 0 END AS open_now,
       CASE WHEN h.date_out IS NULL AND l.kam_is_stuck THEN 1 ELSE 0 END AS stuck,
       CASE WHEN h.date_out IS NULL THEN COALESCE(l.expected_revenue, 0) ELSE 0 END AS open_value,
       CASE WHEN h.date_out IS NULL THEN COALESCE(l.expected_revenue, 0) * COALESCE(l.probability, 0) / 100.0
            ELSE 0 END AS weighted_value
  FROM kam_stage_history h
  JOIN crm_lead l ON l.id = h.lead_id
  LEFT JOIN crm_stage s ON s.id = h.stage_id
  LEFT JOIN crm_stage ls ON ls.id = l.stage_id
  LEFT JOIN res_partner p ON p.id = l.partner_id
  LEFT JOIN kam_account a ON a.partner_id = p.commercial_partner_id AND a.company_id = l.company_id
"""

    # ------------------------------------------------------------------
    # Per-stage figures with medians, the balanced funnel, the bottleneck
    # ------------------------------------------------------------------

    @api.model
    def _kam_stage_figures(self, team_id, date_from=None, date_to=None):
        """The pipeline of ``team_id``, stage by stage, as the user's access rights let them see it.

        Returns a list of dicts (stage id and name, entered, moved forward,
        lost, forced, conversion to next and to won (%), median and 90th
        percentile days, open deals, open and weighted value, stuck deals,
        expected open deals of a balanced funnel) and the bottleneck stage id.
        Stays are counted when they began within the period.
        """
        self.env["kam.stage.history"].flush_model()
        pipeline = [
            stage_id
            for stage_id, _seq in self.env["crm.stage"]._kam_get_pipeline(team_id)
            if not self.env["crm.stage"].browse(stage_id).is_won
        ]
        domain = [("team_id", "=", team_id), ("stage_id", "in", pipeline)]
        if date_from:
            domain.append("|")
            domain += [("date_in", ">=", date_from), ("open_now", "=", 1)]
        if date_to:
            domain.append(("date_in", "<", date_to))
        rows = aggregate(
            self,
            domain,
            """
SELECT %(table)s.stage_id,
       SUM(%(table)s.entered), SUM(%(table)s.moved_forward), SUM(%(table)s.lost), SUM(%(table)s.forced),
       AVG(%(table)s.conversion_next), AVG(%(table)s.conversion_won),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY %(table)s.days) FILTER (WHERE %(table)s.open_now = 0),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY %(table)s.days) FILTER (WHERE %(table)s.open_now = 0),
       AVG(%(table)s.days) FILTER (WHERE %(table)s.open_now = 0),
       SUM(%(table)s.open_now), SUM(%(table)s.open_value), SUM(%(table)s.weighted_value), SUM(%(table)s.stuck),
       COUNT(*) FILTER (WHERE %(table)s.open_now = 0)
  FROM %(from)s
 WHERE %(where)s
 GROUP BY %(table)s.stage_id
            """,
        )
        by_stage = {row[0]: row for row in rows}
        stages, figures = [], []
        for stage_id in pipeline:
            row = by_stage.get(stage_id) or (stage_id, 0, 0, 0, 0, None, None, None, None, None, 0, 0, 0, 0, 0)
            (
                _sid,
                entered,
                forward,
                lost,
                forced,
                conv,
                conv_won,
                median,
                p90,
                average,
                open_now,
                value,
                weighted,
                stuck,
                finished,
            ) = row
            stages.append(
                {
                    "stage_id": stage_id,
                    "stage": self.env["crm.stage"].browse(stage_id).display_name,
                    "entered": entered or 0,
                    "moved_forward": forward or 0,
                    "lost": lost or 0,
                    "forced": forced or 0,
                    "conversion_next": round(conv, 1) if conv is not None else None,
                    "conversion_won": round(conv_won, 1) if conv_won is not None else None,
                    "median_days": round(median, 1) if median is not None else None,
                    "p90_days": round(p90, 1) if p90 is not None else None,
                    "open_now": open_now or 0,
                    "open_value": value or 0.0,
                    "weighted_value": weighted or 0.0,
                    "stuck": stuck or 0,
                }
            )
            figures.append(
                StageFigures(
                    stage=stage_id,
                    finished=finished or 0,
                    forward=forward or 0,
                    average_days=average,
                    open_now=open_now or 0,
                )
            )
        balances = balance(figures)
        for line, result in zip(stages, balances, strict=True):
            line["expected_open"] = round(result.expected, 1)
        return stages, bottleneck(balances)

    # ------------------------------------------------------------------
    # The dashboard
    # ------------------------------------------------------------------

    @api.model
    def get_kam_dashboard(self, team_id=None):
        """Everything the funnel dashboard shows, for one pipeline, as the user may see it.

        The funnel of the last twelve months, its bottleneck, the stuck deals,
        the milestones holding the most deals back, and this month's
        overrides and waivers by manager.
        """
        self.check_access("read")
        Team = self.env["crm.team"]
        teams = Team.search([], limit=500)
        team = Team.browse(team_id).exists() if is_record_id(team_id) else Team
        if not team or team not in teams:
            team = self.env.user.sale_team_id if self.env.user.sale_team_id in teams else teams[:1]
        result = {
            "teams": [{"id": t.id, "name": t.display_name} for t in teams],
            "team_id": team.id,
            "stages": [],
            "bottleneck": None,
            "stuck": {"count": 0, "deals": []},
            "blocking": [],
            "overrides": {"count": 0, "waivers": 0, "by_manager": []},
            "currency": self.env.company.currency_id.name,
        }
        if not team:
            return result
        today = fields.Date.context_today(self)
        stages, bottleneck_id = self._kam_stage_figures(team.id, date_from=today - relativedelta(years=1))
        result["stages"] = stages
        if bottleneck_id:
            result["bottleneck"] = next(stage for stage in stages if stage["stage_id"] == bottleneck_id)
        Lead = self.env["crm.lead"]
        stuck_domain = [("team_id", "=", team.id), ("kam_is_stuck", "=", True)]
        result["stuck"]["count"] = Lead.search_count(stuck_domain)
        result["stuck"]["deals"] = [
            {
                "id": lead.id,
                "name": lead.name,
                "stage": lead.stage_id.name,
                "stage_id": lead.stage_id.id,
                "user": lead.user_id.name or "",
                "days": lead.kam_days_in_stage,
            }
            for lead in Lead.search(stuck_domain, order="date_last_stage_update asc", limit=8)
        ]
        result["blocking"] = self.env["kam.milestone.report"]._kam_blocking(team.id)
        month_start = today.replace(day=1)
        History = self.env["kam.stage.history"]
        forced_domain = [("team_id", "=", team.id), ("exit_kind", "=", "forced"), ("date_out", ">=", month_start)]
        result["overrides"]["count"] = History.search_count(forced_domain)
        waived_domain = [("team_id", "=", team.id), ("waived", "=", 1), ("done_date", ">=", month_start)]
        result["overrides"]["waivers"] = self.env["kam.milestone.report"].search_count(waived_domain)
        result["overrides"]["by_manager"] = [
            {"user": user.name, "count": count}
            for user, count in History._read_group(
                forced_domain, ["closed_by_id"], ["__count"], order="__count desc", limit=5
            )
            if user
        ]
        result["overrides"]["month_start"] = fields.Date.to_string(month_start)
        return result
