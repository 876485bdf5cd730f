"""Funnel plan: a revenue target turned into the deals, opportunities and visits it takes, per week,
beside what was done so far.

The arithmetic is ``kam_sales_process.planning``; the actuals are read with
one grouped query per measure for the plan's salesperson or team.
"""

import math
from datetime import date, datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..kam_sales_process.planning import PlanLine, needs, per_week, split, total, weekly_gap, weeks_between
from .kam_fields import FiniteFloat, FiniteMonetary
from .kam_guards import check_parents_writable, field_labels, parent_ids

#: who a plan is for and who may edit it: a sales manager's to decide, not the plan's owner's
OWNER_FIELDS = frozenset({"user_id", "team_id", "parent_id", "company_id", "owner_can_edit"})


def _week_start(value):
    """The first day of a grouped week (read_group gives datetimes for datetime fields)."""
    if not value:
        return None
    return value.date() if isinstance(value, datetime) else value


class KamFunnelPlan(models.Model):
    _name = "kam.funnel.plan"
    _description = "Funnel Plan"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"

    name = fields.Char(required=True, tracking=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", tracking=True, help="Whose plan this is; empty for a team plan."
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", tracking=True, help="The team whose plan this is.")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.context_today(self).replace(month=1, day=1)
    )
    date_to = fields.Date(
        string="To", required=True, default=lambda self: fields.Date.context_today(self).replace(month=12, day=31)
    )
    target_amount = FiniteMonetary(string="Revenue Target", tracking=True, help="The revenue to win in the period.")
    owner_can_edit = fields.Boolean(
        string="Salesperson Edits", help="The salesperson may edit their own plan (otherwise only managers do)."
    )
    parent_id = fields.Many2one(
        "kam.funnel.plan", string="Team Plan", ondelete="set null", help="The team plan this plan is a share of."
    )
    child_ids = fields.One2many("kam.funnel.plan", "parent_id", string="Members' Plans")
    line_ids = fields.One2many("kam.funnel.plan.line", "plan_id", string="Lines", copy=True)
    planned_amount = fields.Monetary(
        compute="_compute_needs", string="Planned in Lines", help="The targets of the lines added up."
    )
    weeks = fields.Float(compute="_compute_needs", string="Working Weeks", digits=(16, 1))
    deals_needed = fields.Integer(compute="_compute_needs")
    attempts_needed = fields.Float(compute="_compute_needs", digits=(16, 1))
    opportunities_needed = fields.Float(compute="_compute_needs", digits=(16, 1))
    visits_needed = fields.Float(compute="_compute_needs", digits=(16, 1))
    opportunities_per_week = fields.Float(compute="_compute_needs", digits=(16, 1))
    visits_per_week = fields.Float(compute="_compute_needs", digits=(16, 1))
    actual_opportunities = fields.Integer(
        compute="_compute_actuals", string="Opportunities Created", help="Opportunities created in the period."
    )
    actual_visits = fields.Integer(
        compute="_compute_actuals",
        string="Visits Made",
        help="Meetings on deals or with the people of a key account, and done activities of a visit type "
        "(Configuration > Activity Types) in the period.",
    )
    actual_won = fields.Integer(compute="_compute_actuals", string="Deals Won", help="Deals won in the period.")
    actual_revenue = fields.Monetary(
        compute="_compute_actuals", string="Revenue Won", help="Expected revenue of the deals won in the period."
    )
    revenue_gap = fields.Monetary(compute="_compute_actuals", help="Revenue still to win.")
    visits_per_week_to_go = fields.Float(
        compute="_compute_actuals",
        string="Visits a Week Still Needed",
        digits=(16, 1),
        help="The visits each remaining week must bring to reach the plan.",
    )
    opportunities_per_week_to_go = fields.Float(
        compute="_compute_actuals",
        string="Opportunities a Week Still Needed",
        digits=(16, 1),
        help="The opportunities each remaining week must bring to reach the plan.",
    )

    _sql_constraints = [
        ("dates", "CHECK(date_from <= date_to)", "A plan ends after it starts."),
        ("target_positive", "CHECK(target_amount >= 0)", "A revenue target cannot be negative."),
    ]

    @api.constrains("name", "user_id", "team_id")
    def _check_owner(self):
        for plan in self:
            if not plan.user_id and not plan.team_id:
                raise ValidationError(self.env._("A plan is a salesperson's or a sales team's."))

    def write(self, vals):
        if (
            OWNER_FIELDS & vals.keys()
            and not self.env.su
            and not self.env.user.has_group("kam_sales_process.group_kam_manager")
        ):
            raise UserError(
                self.env._(
                    "Only a sales manager decides whose plan this is (salesperson, team, company, the team plan "
                    "above it) and whether its owner may edit it: %(fields)s",
                    fields=field_labels(self, OWNER_FIELDS & vals.keys()),
                )
            )
        return super().write(vals)

    def _plan_lines(self):
        return [line._kam_plan_line() for line in self.line_ids]

    @api.depends(
        "date_from",
        "date_to",
        "line_ids.target_amount",
        "line_ids.average_amount",
        "line_ids.win_rate",
        "line_ids.visits_per_attempt",
        "line_ids.opportunities_per_deal",
    )
    def _compute_needs(self):
        for plan in self:
            result = total(plan._plan_lines())
            weeks = weeks_between(((plan.date_to or date.today()) - (plan.date_from or date.today())).days + 1)
            plan.planned_amount = sum(plan.line_ids.mapped("target_amount"))
            plan.weeks = weeks
            plan.deals_needed = result.deals
            plan.attempts_needed = result.attempts
            plan.opportunities_needed = result.opportunities
            plan.visits_needed = result.visits
            plan.opportunities_per_week = per_week(result.opportunities, weeks)
            plan.visits_per_week = per_week(result.visits, weeks)

    def _kam_users(self):
        """The salespeople the plan counts: its salesperson, or the members of its team."""
        self.ensure_one()
        return self.user_id or self.team_id.member_ids

    def _kam_get_measures(self, start, end):
        """Hook: what the plan counts as done between ``start`` and ``end``, one grouped query each:
        ``{measure: (model, domain, date field, aggregates)}``; the aggregates are a count and, for won deals,
        the revenue. Visits are meetings on deals or with the people of a key account, plus done activities of
        a visit type."""
        self.ensure_one()
        users = self._kam_users()
        scope = [("company_id", "in", [self.company_id.id, False])]
        # the people of the key accounts, as a subquery (a join per meeting costs ten times more)
        account_people = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            ._search([("commercial_partner_id.kam_account_ids.company_id", "=", self.company_id.id)])
        )
        measures = {
            "opportunities": (
                "crm.lead",
                [("type", "=", "opportunity"), ("user_id", "in", users.ids), ("create_date", ">=", start),
                 ("create_date", "<", end), *scope],
                "create_date",
                ["__count"],
            ),
            "won": (
                "crm.lead",
                [("stage_id.is_won", "=", True), ("active", "=", True), ("user_id", "in", users.ids),
                 ("date_closed", ">=", start), ("date_closed", "<", end), *scope],
                "date_closed",
                ["__count", "expected_revenue:sum"],
            ),
            "meetings": (
                "calendar.event",
                ["|", ("opportunity_id", "!=", False), ("partner_ids", "in", account_people),
                 ("user_id", "in", users.ids), ("start", ">=", start), ("start", "<", end)],
                "start",
                ["__count"],
            ),
        }  # fmt: skip
        visit_types = self.env["mail.activity.type"].search([("kam_is_visit", "=", True)])
        if visit_types:
            measures["visit_activities"] = (
                "mail.message",
                [("model", "=", "crm.lead"), ("mail_activity_type_id", "in", visit_types.ids),
                 ("author_id", "in", users.partner_id.ids), ("date", ">=", start), ("date", "<", end),
                 ("message_type", "=", "notification")],
                "date",
                ["__count"],
            )  # fmt: skip
        return measures

    def _kam_period(self):
        self.ensure_one()
        return (
            fields.Datetime.to_datetime(self.date_from),
            fields.Datetime.to_datetime(self.date_to) + timedelta(days=1),
        )

    def _kam_read_measures(self, by_week=False):
        """``{measure: {week start or None: (count, revenue)}}`` of this plan: one grouped query per measure,
        not per salesperson."""
        self.ensure_one()
        result = {}
        if not self._kam_users():
            return result
        for measure, (model, domain, date_field, aggregates) in self._kam_get_measures(*self._kam_period()).items():
            # whoever reads the plan reads its figures: the same for every reader (its users and company are
            # the scope), not what each reader may see of the deals behind them
            Model = self.env[model].sudo().with_context(active_test=False)
            groupby = [f"{date_field}:week"] if by_week else []
            rows = Model._read_group(domain, groupby, aggregates)
            result[measure] = {
                (_week_start(row[0]) if by_week else None): (
                    row[-len(aggregates)],
                    row[-1] if len(aggregates) > 1 else 0.0,
                )
                for row in rows
            }
        return result

    def _kam_actuals(self):
        """``{plan id: (opportunities, visits, won, revenue)}``."""
        result = {}
        for plan in self:
            totals = {measure: values.get(None, (0, 0.0)) for measure, values in plan._kam_read_measures().items()}
            count = {measure: total[0] or 0 for measure, total in totals.items()}
            result[plan.id] = [
                count.get("opportunities", 0),
                count.get("meetings", 0) + count.get("visit_activities", 0),
                count.get("won", 0),
                totals.get("won", (0, 0.0))[1] or 0.0,
            ]
        return result

    @api.depends("user_id", "team_id", "date_from", "date_to", "target_amount")
    def _compute_actuals(self):
        actuals = self._kam_actuals()
        today = fields.Date.context_today(self)
        for plan in self:
            created, visits, won, revenue = actuals.get(plan._origin.id or plan.id, (0, 0, 0, 0.0))
            plan.actual_opportunities = created
            plan.actual_visits = visits
            plan.actual_won = won
            plan.actual_revenue = revenue
            plan.revenue_gap = max((plan.target_amount or 0.0) - revenue, 0.0)
            days_left = ((plan.date_to or today) - max(today, plan.date_from or today)).days + 1
            weeks_left = weeks_between(days_left) if days_left > 0 else 0.0
            plan.visits_per_week_to_go = weekly_gap(plan.visits_needed, visits, weeks_left)
            plan.opportunities_per_week_to_go = weekly_gap(plan.opportunities_needed, created, weeks_left)

    # ------------------------------------------------------------------
    # Week by week: the plan's cumulative target beside what was done
    # ------------------------------------------------------------------

    def _kam_build_weeks(self):
        """Rebuild the weekly rows of these plans (cumulative target and actual), a fixed number of queries
        per plan."""
        Week = self.env["kam.funnel.plan.week"].sudo()
        Week.search([("plan_id", "in", self.ids)]).unlink()
        today = fields.Date.context_today(self)
        # weeks begin on the day the user's language begins them, as read_group groups them
        week_start = int(self.env["res.lang"]._get_data(code=self.env.lang or "en_US").week_start or 1)
        values = []
        for plan in self:
            first = plan.date_from - timedelta(days=(plan.date_from.isoweekday() - week_start) % 7)
            weeks = []
            while first <= plan.date_to:
                weeks.append(first)
                first += timedelta(days=7)
            measured = plan._kam_read_measures(by_week=True)

            def weekly(measure, index=0, _measured=measured):
                return {week: value[index] or 0 for week, value in _measured.get(measure, {}).items()}

            meetings, activities = weekly("meetings"), weekly("visit_activities")
            actual = {
                "revenue": weekly("won", 1),
                "deals": weekly("won"),
                "opportunities": weekly("opportunities"),
                "visits": {
                    week: meetings.get(week, 0) + activities.get(week, 0) for week in meetings.keys() | activities
                },
            }
            targets = {
                "revenue": plan.target_amount or plan.planned_amount,
                "deals": plan.deals_needed,
                "opportunities": plan.opportunities_needed,
                "visits": plan.visits_needed,
            }
            running = dict.fromkeys(actual, 0.0)
            for index, week in enumerate(weeks, start=1):
                share = index / len(weeks)
                values.append(
                    {"plan_id": plan.id, "week": week, "series": "target",
                     **{name: round(total * share, 2) for name, total in targets.items()}}
                )  # fmt: skip
                for name in running:
                    running[name] += actual[name].get(week, 0)
                if week <= today:
                    values.append({"plan_id": plan.id, "week": week, "series": "actual", **running})
        return Week.create(values)

    def action_kam_open_progress(self):
        """The plan week by week: its cumulative target and what was done, in a graph."""
        self.ensure_one()
        self._kam_build_weeks()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Progress of %(plan)s", plan=self.display_name),
            "res_model": "kam.funnel.plan.week",
            "view_mode": "graph,pivot,list",
            "domain": [("plan_id", "=", self.id)],
            "context": {"graph_groupbys": ["week:week", "series"], "pivot_row_groupby": ["week:week"]},
        }

    # ------------------------------------------------------------------
    # Defaults from history, team split
    # ------------------------------------------------------------------

    def _kam_history(self):
        """Last twelve months of the plan's salesperson or team: (average won size, win rate 0-100, visits per
        won deal)."""
        self.ensure_one()
        users = self._kam_users()
        if not users:
            return 0.0, 0.0, 0.0
        since = fields.Datetime.now() - timedelta(days=365)
        Lead = self.env["crm.lead"].with_context(active_test=False)
        base = [("type", "=", "opportunity"), ("user_id", "in", users.ids), ("date_closed", ">=", since)]
        [(won, revenue)] = Lead._read_group(
            [*base, ("stage_id.is_won", "=", True), ("active", "=", True)], [], ["__count", "expected_revenue:sum"]
        )
        lost = Lead.search_count([*base, ("active", "=", False), ("probability", "=", 0)])
        meetings = self.env["calendar.event"].search_count(
            [("opportunity_id", "!=", False), ("user_id", "in", users.ids), ("start", ">=", since)]
        )
        average = (revenue or 0.0) / won if won else 0.0
        rate = 100.0 * won / (won + lost) if won + lost else 0.0
        visits = meetings / won if won else 0.0
        return round(average, 2), round(rate, 1), round(visits, 1)

    def action_kam_fill_from_history(self):
        """Fill the empty figures of the lines from the last twelve months."""
        for plan in self:
            average, rate, visits = plan._kam_history()
            for line in plan.line_ids:
                values = {}
                if not line.average_amount and average:
                    values["average_amount"] = average
                if not line.win_rate and rate:
                    values["win_rate"] = rate
                if not line.visits_per_attempt and visits:
                    values["visits_per_attempt"] = round(visits * (rate / 100.0), 1) if rate else visits
                if values:
                    line.write(values)
        return True

    def action_kam_split_team(self, weights=None):
        """Split a team plan among its members: ``weights`` maps user ids to weights (evenly without)."""
        self.ensure_one()
        if not self.team_id or self.user_id:
            raise UserError(self.env._("Only a team plan is split among its members."))
        members = self.team_id.member_ids
        if not members:
            raise UserError(self.env._("The team %(team)s has no members.", team=self.team_id.name))
        weights = weights or {}
        if not isinstance(weights, dict):
            raise UserError(self.env._("Give the weights as a mapping of salespeople to numbers."))
        try:
            factors = [float(weights.get(user.id, weights.get(str(user.id), 0)) or 0) for user in members]
        except (TypeError, ValueError):
            factors = None
        if factors is None or not all(math.isfinite(factor) and 0 <= factor <= 1e9 for factor in factors):
            raise UserError(self.env._("The weights must be numbers between 0 and 1,000,000,000."))
        targets = split(self.target_amount, factors)
        line_targets = [split(line.target_amount, factors) for line in self.line_ids]
        plans = self.browse()
        for index, user in enumerate(members):
            plans |= self.create(
                {
                    "name": f"{self.name} — {user.name}",
                    "user_id": user.id,
                    "team_id": self.team_id.id,
                    "company_id": self.company_id.id,
                    "date_from": self.date_from,
                    "date_to": self.date_to,
                    "parent_id": self.id,
                    "target_amount": targets[index],
                    "line_ids": [
                        (0, 0, {**line._kam_values(), "target_amount": parts[index]})
                        for line, parts in zip(self.line_ids, line_targets, strict=True)
                    ],
                }
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Members' Plans"),
            "res_model": self._name,
            "view_mode": "list,form",
            "domain": [("id", "in", plans.ids)],
        }


class KamFunnelPlanLine(models.Model):
    _name = "kam.funnel.plan.line"
    _description = "Line of a Funnel Plan"
    _order = "plan_id, sequence, id"

    plan_id = fields.Many2one("kam.funnel.plan", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, help="A deal type or product line, e.g. small projects, consumables.")
    currency_id = fields.Many2one(related="plan_id.currency_id")
    target_amount = FiniteMonetary(string="Target", help="The revenue this line must bring.")
    average_amount = FiniteMonetary(string="Average Deal Size")
    win_rate = FiniteFloat(string="Win Rate (%)", help="Of the deals pursued to the end, the share won (0-100).")
    visits_per_attempt = FiniteFloat(help="Visits a deal pursued to the end takes.")
    opportunities_per_deal = FiniteFloat(help="Opportunities to open for one deal to come out of them.")
    deals_needed = fields.Integer(compute="_compute_needs")
    attempts_needed = fields.Float(compute="_compute_needs", digits=(16, 1))
    opportunities_needed = fields.Float(compute="_compute_needs", digits=(16, 1))
    visits_needed = fields.Float(compute="_compute_needs", digits=(16, 1))

    _sql_constraints = [
        ("win_rate_range", "CHECK(win_rate >= 0 AND win_rate <= 100)", "A win rate is between 0 and 100 %."),
        (
            "figures_positive",
            "CHECK(target_amount >= 0 AND average_amount >= 0 AND visits_per_attempt >= 0 "
            "AND opportunities_per_deal >= 0)",
            "The figures of a plan line cannot be negative.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        parent_ids(self, vals_list, "plan_id")  # a plan given as anything but a record id is refused in words
        return super().create(vals_list)

    def write(self, vals):
        if "plan_id" in vals and not self.env.su:
            # record rules are checked on the lines as they were: the plan they move to is checked here
            new_plan = self.env["kam.funnel.plan"].browse(parent_ids(self, [vals], "plan_id", defaults=False))
            check_parents_writable(self, self.plan_id | new_plan)
        return super().write(vals)

    def _kam_plan_line(self):
        return PlanLine(
            target_amount=self.target_amount or 0.0,
            average_amount=self.average_amount or 0.0,
            win_rate=(self.win_rate or 0.0) / 100.0,
            visits_per_attempt=self.visits_per_attempt or 0.0,
            opportunities_per_deal=self.opportunities_per_deal or 0.0,
        )

    def _kam_values(self):
        return {
            name: self[name]
            for name in (
                "sequence",
                "name",
                "target_amount",
                "average_amount",
                "win_rate",
                "visits_per_attempt",
                "opportunities_per_deal",
            )
        }

    @api.depends("target_amount", "average_amount", "win_rate", "visits_per_attempt", "opportunities_per_deal")
    def _compute_needs(self):
        for line in self:
            result = needs(line._kam_plan_line())
            line.deals_needed = result.deals
            line.attempts_needed = result.attempts
            line.opportunities_needed = result.opportunities
            line.visits_needed = result.visits
