"""A funnel plan week by week: the cumulative target beside the cumulative actual, for the progress graph.

Rows are rebuilt from the plan when its progress is opened (``kam.funnel.plan._kam_build_weeks``).
"""

from odoo import fields, models

from .kam_fields import FiniteFloat, FiniteMonetary


class KamFunnelPlanWeek(models.Model):
    _name = "kam.funnel.plan.week"
    _description = "Week of a Funnel Plan"
    _order = "plan_id, week, series"
    _rec_name = "week"

    plan_id = fields.Many2one("kam.funnel.plan", required=True, ondelete="cascade", index=True)
    week = fields.Date(required=True, help="The first day of the week, as the language counts weeks.")
    series = fields.Selection(
        [("target", "Plan"), ("actual", "Actual")],
        required=True,
        help="Plan: the share of the period's target due by the end of the week. Actual: what was done by then.",
    )
    currency_id = fields.Many2one(related="plan_id.currency_id")
    revenue = FiniteMonetary(string="Revenue (cumulative)", aggregator="max")
    deals = FiniteFloat(string="Deals Won (cumulative)", aggregator="max", digits=(16, 1))
    opportunities = FiniteFloat(string="Opportunities (cumulative)", aggregator="max", digits=(16, 1))
    visits = FiniteFloat(string="Visits (cumulative)", aggregator="max", digits=(16, 1))
