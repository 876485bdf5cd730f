"""Account plans: what we want from a key account in a period, where we stand, and the actions that close the gap.

One ``kam.account.plan`` per account and period (earlier plans stay as the
history): objectives (revenue, share of wallet, phase, relationship depth,
depth with a key person, or anything else), the situation (strengths,
vulnerabilities, opportunities, threats), the strategy, and actions tied to
the objectives.  Progress comes from the account's deals in one query for any
number of plans; plans are reviewed on a cadence set in Settings, with a
reminder to the account manager.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..kam_sales_process.vocabulary import COMPANY_LEVEL_LABELS, PERSONAL_LEVEL_LABELS, PERSONAL_LEVELS, PHASE_LABELS
from .kam_fields import FiniteFloat, FiniteMonetary
from .kam_guards import (
    check_parents_writable,
    drop_forged_defaults,
    parent_ids,
    refuse_system_fields,
    strip_forged_defaults,
)

#: Settings key of the review cadence (days) and its default.
REVIEW_DAYS_PARAM = "kam_sales_process.plan_review_days"
REVIEW_DAYS_DEFAULT = 90
#: Phases in their order of depth (disintegrating reaches nothing).
PHASE_RANK = {code: rank for rank, (code, _label) in enumerate(PHASE_LABELS[:5])}
COMPANY_RANK = {code: rank for rank, (code, _label) in enumerate(COMPANY_LEVEL_LABELS)}
OBJECTIVE_KINDS = [
    ("revenue", "Revenue"),
    ("share", "Share of wallet"),
    ("phase", "Relationship phase"),
    ("depth", "Relationship depth"),
    ("person", "Depth with a key person"),
    ("other", "Other"),
]
RATINGS = [("1", "Poor"), ("2", "Weak"), ("3", "Fair"), ("4", "Good"), ("5", "Excellent")]


class KamAccountPlan(models.Model):
    _name = "kam.account.plan"
    _description = "Account Plan"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, help="The account and the plan's period.")
    account_id = fields.Many2one(
        "kam.account",
        string="Key Account",
        required=True,
        index=True,
        ondelete="cascade",
        tracking=True,
        check_company=True,
        help="The account the plan is for.",
    )
    partner_id = fields.Many2one(related="account_id.partner_id", store=True, string="Customer")
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    user_id = fields.Many2one(
        related="account_id.user_id", store=True, string="Account Manager", help="The account's manager."
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.context_today(self).replace(month=1, day=1)
    )
    date_to = fields.Date(
        string="To", required=True, default=lambda self: fields.Date.context_today(self).replace(month=12, day=31)
    )
    is_current = fields.Boolean(
        string="Current", compute="_compute_is_current", search="_search_is_current", help="Today lies in the period."
    )
    # --- objectives -------------------------------------------------------------------
    revenue_target = FiniteMonetary(
        currency_field="currency_id", tracking=True, help="Revenue to win from the account in the period."
    )
    wallet_estimate = FiniteMonetary(
        string="Customer's Spend",
        currency_field="currency_id",
        help="Your estimate of what the customer spends in the period on the categories you sell: the base of the "
        "share of wallet.",
    )
    share_target = FiniteFloat(
        string="Share of Wallet Target (%)", help="Share of the customer's spend to win: our revenue / their spend."
    )
    phase_target = fields.Selection(
        list(PHASE_LABELS[:5]), string="Target Phase", help="The relationship phase to reach by the end of the period."
    )
    depth_target = fields.Selection(
        list(COMPANY_LEVEL_LABELS),
        string="Target Depth",
        help="How deep the relationship between the companies should go by the end of the period.",
    )
    objective_ids = fields.One2many("kam.account.plan.objective", "plan_id", string="Objectives", copy=True)
    # --- situation and strategy --------------------------------------------------------------
    strengths = fields.Text(help="Where we are strong with this customer.")
    vulnerabilities = fields.Text(help="Where we are weak or exposed with this customer.")
    opportunities = fields.Text(help="Where we could sell more: new units, new offers, changes at the customer.")
    threats = fields.Text(help="What could cost us the account: competitors, substitutes, changes at the customer.")
    strategy = fields.Html(help="How we mean to reach the objectives.")
    action_ids = fields.One2many("kam.account.plan.action", "plan_id", string="Actions", copy=False)
    # --- progress (from the account's deals, one query for all plans) ------------------------
    won_revenue = fields.Monetary(
        string="Won", compute="_compute_progress", help="Expected revenue of the account's deals won in the period."
    )
    pipeline_revenue = fields.Monetary(
        string="Pipeline",
        compute="_compute_progress",
        help="Expected revenue of the account's open opportunities expected to close by the end of the period (or "
        "without a closing date).",
    )
    revenue_progress = fields.Float(
        string="Revenue Progress (%)", compute="_compute_progress", help="Won revenue out of the revenue target."
    )
    pipeline_coverage = fields.Float(
        compute="_compute_progress",
        digits=(16, 1),
        help="Pipeline / the revenue still to win: 3 means three times what is missing is in play.",
    )
    share_actual = fields.Float(
        string="Share of Wallet (%)",
        compute="_compute_progress",
        help="Won revenue out of the customer's estimated spend.",
    )
    phase_reached = fields.Boolean(
        compute="_compute_progress", help="The account's relationship phase is at or beyond the target phase."
    )
    depth_reached = fields.Boolean(
        compute="_compute_progress", help="The relationship between the companies is at or beyond the target depth."
    )
    actions_done = fields.Integer(compute="_compute_progress", help="Actions marked done.")
    actions_due = fields.Integer(
        compute="_compute_progress", help="Actions whose date has come: done or not (the ones to have done by now)."
    )
    actions_overdue = fields.Integer(compute="_compute_progress", help="Actions past their date and not done.")
    # --- review cadence ----------------------------------------------------------------------
    review_date = fields.Date(string="Last Review", tracking=True, help="When the plan was last reviewed.")
    review_rating = fields.Selection(
        RATINGS, tracking=True, help="How the last review judged the plan's execution: counts in the account health."
    )
    next_review_date = fields.Date(
        compute="_compute_next_review_date",
        store=True,
        help="The last review (or the plan's start) plus the review cadence of Settings.",
    )

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(self, super().default_get(fields_list), {"name"})

    @api.model_create_multi
    def create(self, vals_list):
        clean = drop_forged_defaults(self, {"name"})
        parent_ids(self, vals_list, "account_id")  # an id or refused in words, before anything reads it
        for vals in vals_list:
            refuse_system_fields(self, vals, {"name"})
        return super(KamAccountPlan, clean).create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals, {"name", "next_review_date"})
        if "account_id" in vals and not self.env.su and any(plan.account_id.id != vals["account_id"] for plan in self):
            raise UserError(self.env._("A plan stays with its account: make a new plan for the other account."))
        return super().write(vals)

    @api.depends("account_id.partner_id.name", "date_from", "date_to")
    def _compute_name(self):
        for plan in self:
            plan.name = self.env._(
                "%(customer)s: %(date_from)s to %(date_to)s",
                customer=plan.account_id.partner_id.name or "",
                date_from=plan.date_from or "",
                date_to=plan.date_to or "",
            )

    def _compute_is_current(self):
        today = fields.Date.context_today(self)
        for plan in self:
            plan.is_current = bool(plan.date_from and plan.date_to and plan.date_from <= today <= plan.date_to)

    def _search_is_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'Current' with 'is set' or 'is not set'."))
        today = fields.Date.context_today(self)
        if (operator == "=") == value:
            return [("date_from", "<=", today), ("date_to", ">=", today)]
        return ["|", ("date_from", ">", today), ("date_to", "<", today)]

    @api.depends("review_date", "date_from")
    def _compute_next_review_date(self):
        days = self._kam_review_days()
        for plan in self:
            start = plan.review_date or plan.date_from
            plan.next_review_date = start + timedelta(days=days) if start else False

    @api.model
    def _kam_review_days(self):
        try:
            days = int(self.env["ir.config_parameter"].sudo().get_param(REVIEW_DAYS_PARAM, REVIEW_DAYS_DEFAULT))
        except (TypeError, ValueError):
            days = REVIEW_DAYS_DEFAULT
        return max(days, 1)

    @api.constrains("date_from", "date_to", "account_id")
    def _check_period(self):
        for plan in self:
            if plan.date_from > plan.date_to:
                raise ValidationError(self.env._("A plan's period cannot end before it starts."))
        self.flush_model(["date_from", "date_to", "account_id"])
        overlapping = self.env.execute_query(
            SQL(
                """
                SELECT a.id FROM kam_account_plan a JOIN kam_account_plan b
                  ON b.account_id = a.account_id AND b.id != a.id
                 AND b.date_from <= a.date_to AND a.date_from <= b.date_to
                 WHERE a.id = ANY(%s) LIMIT 1
                """,
                self.ids,
            )
        )
        if overlapping:
            plan = self.browse(overlapping[0][0])
            raise ValidationError(
                self.env._(
                    "%(account)s already has a plan for part of this period: one plan per account and period "
                    "(earlier plans stay as the history).",
                    account=plan.account_id.display_name,
                )
            )

    @api.constrains("share_target", "revenue_target", "wallet_estimate")
    def _check_targets(self):
        for plan in self:
            if not 0 <= plan.share_target <= 100:
                raise ValidationError(self.env._("A share of wallet lies between 0 and 100 %."))
            if plan.revenue_target < 0 or plan.wallet_estimate < 0:
                raise ValidationError(self.env._("Targets and the customer's spend cannot be negative."))

    # --- progress ----------------------------------------------------------------------------

    @api.model
    def _kam_deal_figures(self, periods):
        """``{key: (won, pipeline)}`` for ``periods`` = ``[(key, customer id, company id, date from, date to)]``.

        One query for any number of periods: the deals of the customer's
        company (its commercial partner) in our company (or without a company),
        won in the period, or open and expected to close by its end.
        """
        if not periods:
            return {}
        deals = self.env["kam.account"]._kam_account_deals_from(
            [p[0] for p in periods],
            [p[1] for p in periods],
            [p[2] for p in periods],
            periods=([p[3] for p in periods], [p[4] for p in periods]),
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT a.key,
                       COALESCE(SUM(l.expected_revenue) FILTER (
                           WHERE l.active AND s.is_won AND l.date_closed::date BETWEEN a.date_from AND a.date_to), 0),
                       COALESCE(SUM(l.expected_revenue) FILTER (
                           WHERE l.active AND l.type = 'opportunity' AND NOT COALESCE(s.is_won, FALSE)
                             AND (l.date_deadline IS NULL OR l.date_deadline <= a.date_to)), 0)
                  FROM %s
                 GROUP BY a.key
                """,
                deals,
            )
        )
        return {key: (float(won), float(pipeline)) for key, won, pipeline in rows}

    @api.depends(
        "revenue_target",
        "wallet_estimate",
        "phase_target",
        "depth_target",
        "date_from",
        "date_to",
        "account_id.phase",
        "account_id.company_relationship",
        "action_ids.done",
        "action_ids.date_deadline",
    )
    def _compute_progress(self):
        plans = self.filtered(lambda p: p._origin.id and p.account_id and p.date_from and p.date_to)
        figures = self._kam_deal_figures(
            [
                (p._origin.id, p.account_id.partner_id.id, p.account_id.company_id.id, p.date_from, p.date_to)
                for p in plans
            ]
        )
        counts = self._kam_action_counts(plans._origin.ids)
        for plan in self:
            won, pipeline = figures.get(plan._origin.id, (0.0, 0.0))
            plan.won_revenue = won
            plan.pipeline_revenue = pipeline
            plan.revenue_progress = 100.0 * won / plan.revenue_target if plan.revenue_target else 0.0
            missing = max(plan.revenue_target - won, 0.0)
            plan.pipeline_coverage = pipeline / missing if missing else 0.0
            plan.share_actual = 100.0 * won / plan.wallet_estimate if plan.wallet_estimate else 0.0
            phase = plan.account_id.phase
            plan.phase_reached = bool(
                plan.phase_target and phase in PHASE_RANK and PHASE_RANK[phase] >= PHASE_RANK[plan.phase_target]
            )
            depth = plan.account_id.company_relationship
            plan.depth_reached = bool(
                plan.depth_target and depth and COMPANY_RANK[depth] >= COMPANY_RANK[plan.depth_target]
            )
            done, due, overdue = counts.get(plan._origin.id, (0, 0, 0))
            plan.actions_done, plan.actions_due, plan.actions_overdue = done, due, overdue

    @api.model
    def _kam_action_counts(self, plan_ids):
        """``{plan id: (done, due, overdue)}`` in one grouped query."""
        if not plan_ids:
            return {}
        today = fields.Date.context_today(self)
        Action = self.env["kam.account.plan.action"].sudo()
        counts = {plan_id: [0, 0, 0] for plan_id in plan_ids}
        for plan, done, count in Action._read_group([("plan_id", "in", plan_ids)], ["plan_id", "done"], ["__count"]):
            if done:
                counts[plan.id][0] += count
        for plan, done, count in Action._read_group(
            [("plan_id", "in", plan_ids), ("date_deadline", "<=", today)], ["plan_id", "done"], ["__count"]
        ):
            counts[plan.id][1] += count
            if not done:
                counts[plan.id][2] += count
        return {plan_id: tuple(values) for plan_id, values in counts.items()}

    # --- review -------------------------------------------------------------------------------

    def action_mark_reviewed(self):
        """Record today's review; the reminders of the plans are marked done."""
        self.check_access("write")
        self.write({"review_date": fields.Date.context_today(self)})
        self.activity_feedback(["kam_sales_process.mail_activity_type_plan_review"])
        return True

    @api.model
    def _cron_kam_plan_review_reminders(self):
        """Daily: remind the account manager of every current plan due for review (once per due date)."""
        today = fields.Date.context_today(self)
        plans = self.sudo().search([("is_current", "=", True), ("next_review_date", "<=", today)])
        reminder = self.env.ref("kam_sales_process.mail_activity_type_plan_review")
        pending = plans.filtered(lambda p: reminder not in p.activity_ids.activity_type_id)
        for plan in pending:
            plan.activity_schedule(
                "kam_sales_process.mail_activity_type_plan_review",
                date_deadline=plan.next_review_date,
                user_id=(plan.user_id or plan.create_uid).id,
            )
        return len(pending)

    def _kam_account_deals_domain(self):
        self.ensure_one()
        return [
            ("partner_id.commercial_partner_id", "=", self.partner_id.id),
            "|",
            ("company_id", "=", self.company_id.id),
            ("company_id", "=", False),
        ]

    def _kam_report_people(self):
        """Everyone in the buying centres of the account's open opportunities, as the reader may see them."""
        self.ensure_one()
        deals = self.env["crm.lead"].search([*self._kam_account_deals_domain(), ("type", "=", "opportunity")])
        return self.env["kam.stakeholder"].search([("lead_id", "in", deals.ids)], order="influence desc, id")

    def _kam_report_competitors(self):
        """The competitors in play on the account's opportunities (open or closed in the period)."""
        self.ensure_one()
        deals = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search([*self._kam_account_deals_domain(), ("type", "=", "opportunity")])
        )
        return self.env["kam.lead.competitor"].search([("lead_id", "in", deals.ids)], order="competitor_id, id")

    def _kam_report_whitespace(self):
        """``(offer lines, [(unit, [cell or None per line])])`` of the account, for the printed plan."""
        self.ensure_one()
        cells = self.account_id.whitespace_ids
        lines = cells.offer_line_id.sorted(lambda line: (line.sequence, line.id))
        by_key = {(cell.unit_id.id, cell.offer_line_id.id): cell for cell in cells}
        rows = [
            (unit, [by_key.get((unit.id, line.id)) for line in lines])
            for unit in self.account_id.unit_ids.sorted(lambda unit: (unit.sequence, unit.id))
        ]
        return lines, rows

    def action_print(self):
        return self.env.ref("kam_sales_process.action_report_kam_account_plan").report_action(self)


class KamAccountPlanObjective(models.Model):
    _name = "kam.account.plan.objective"
    _description = "Account Plan Objective"
    _order = "plan_id, sequence, id"

    sequence = fields.Integer(default=10)
    plan_id = fields.Many2one("kam.account.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    name = fields.Char(string="Objective", required=True, translate=False)
    kind = fields.Selection(
        OBJECTIVE_KINDS,
        required=True,
        default="other",
        help="Revenue, share of wallet, phase and depth read the plan's targets; a key person's depth reads the "
        "deepest relationship with that person in the account's buying centres; other objectives are ticked by "
        "hand.",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Key Person", help="For a key person's depth: whom we want to know better."
    )
    target_level = fields.Selection(list(PERSONAL_LEVEL_LABELS), help="For a key person: the depth to reach.")
    current_level = fields.Selection(
        list(PERSONAL_LEVEL_LABELS),
        compute="_compute_achieved",
        help="For a key person: the deepest relationship with that person in the account's buying centres.",
    )
    done = fields.Boolean(string="Done by Hand", help="For other objectives: tick when reached.")
    achieved = fields.Boolean(compute="_compute_achieved", help="The objective is reached.")
    action_ids = fields.One2many("kam.account.plan.action", "objective_id", string="Actions")

    @api.depends(
        "kind",
        "done",
        "partner_id",
        "target_level",
        "plan_id.won_revenue",
        "plan_id.revenue_target",
        "plan_id.share_actual",
        "plan_id.share_target",
    )
    def _compute_achieved(self):
        people = self.filtered(lambda o: o.kind == "person" and o.partner_id)
        levels = {}
        if people:
            self.env["kam.stakeholder"].flush_model(["partner_id", "lead_id", "relationship_level"])
            self.env["crm.lead"].flush_model(["partner_id"])
            self.env["res.partner"].flush_model(["commercial_partner_id"])
            for partner_id, customer_id, level in self.env.execute_query(
                SQL(
                    """
                    SELECT s.partner_id, p.commercial_partner_id, s.relationship_level
                      FROM kam_stakeholder s
                      JOIN crm_lead l ON l.id = s.lead_id
                      JOIN res_partner p ON p.id = l.partner_id
                     WHERE s.partner_id = ANY(%s) AND p.commercial_partner_id = ANY(%s)
                    """,
                    people.partner_id.ids,
                    people.plan_id.partner_id.ids,
                )
            ):
                key = (partner_id, customer_id)
                if level in PERSONAL_LEVELS and (
                    key not in levels or PERSONAL_LEVELS.index(level) > PERSONAL_LEVELS.index(levels[key])
                ):
                    levels[key] = level
        for objective in self:
            plan = objective.plan_id
            objective.current_level = False
            if objective.kind == "revenue":
                achieved = bool(plan.revenue_target) and plan.won_revenue >= plan.revenue_target
            elif objective.kind == "share":
                achieved = bool(plan.share_target) and plan.share_actual >= plan.share_target
            elif objective.kind == "phase":
                achieved = plan.phase_reached
            elif objective.kind == "depth":
                achieved = plan.depth_reached
            elif objective.kind == "person":
                level = levels.get((objective.partner_id.id, plan.partner_id.id))
                objective.current_level = level or False
                achieved = bool(
                    level
                    and objective.target_level
                    and PERSONAL_LEVELS.index(level) >= PERSONAL_LEVELS.index(objective.target_level)
                )
            else:
                achieved = objective.done
            objective.achieved = achieved

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(self, super().default_get(fields_list))

    @api.model_create_multi
    def create(self, vals_list):
        clean = drop_forged_defaults(self)
        for vals in vals_list:
            refuse_system_fields(self, vals)
        plans = self.env["kam.account.plan"].browse(set(parent_ids(self, vals_list, "plan_id")))
        check_parents_writable(self, plans)
        parent_ids(self, vals_list, "partner_id")  # the person, checked like the plan: an id or refused in words
        return super(KamAccountPlanObjective, clean).create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals)
        check_parents_writable(
            self,
            self.plan_id | self.env["kam.account.plan"].browse(parent_ids(self, [vals], "plan_id", defaults=False)),
        )
        return super().write(vals)

    def unlink(self):
        check_parents_writable(self, self.plan_id)
        return super().unlink()

    @api.constrains("kind", "partner_id", "target_level")
    def _check_person(self):
        for objective in self:
            if objective.kind == "person" and not (objective.partner_id and objective.target_level):
                raise ValidationError(
                    self.env._("The objective '%(name)s' needs a key person and a target level.", name=objective.name)
                )


class KamAccountPlanAction(models.Model):
    _name = "kam.account.plan.action"
    _description = "Account Plan Action"
    _order = "done, date_deadline, id"

    plan_id = fields.Many2one("kam.account.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    objective_id = fields.Many2one(
        "kam.account.plan.objective",
        required=True,
        ondelete="cascade",
        domain="[('plan_id', '=', plan_id)]",
        help="The objective this action serves.",
    )
    name = fields.Char(string="Action", required=True)
    user_id = fields.Many2one(
        "res.users", string="Owner", required=True, default=lambda self: self.env.user, help="Who does it."
    )
    date_deadline = fields.Date(
        string="Due",
        required=True,
        default=lambda self: fields.Date.context_today(self) + timedelta(days=7),
        help="When it should be done.",
    )
    done = fields.Boolean(help="Tick when done.")
    date_done = fields.Date(string="Done On", readonly=True)
    is_overdue = fields.Boolean(string="Overdue", compute="_compute_is_overdue", help="Past its date and not done.")

    @api.depends("done", "date_deadline")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for action in self:
            action.is_overdue = bool(not action.done and action.date_deadline and action.date_deadline < today)

    @api.constrains("objective_id", "plan_id")
    def _check_objective(self):
        for action in self:
            if action.objective_id.plan_id != action.plan_id:
                raise ValidationError(
                    self.env._("The action '%(name)s' must serve an objective of its own plan.", name=action.name)
                )

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(self, super().default_get(fields_list), {"date_done"})

    @api.model_create_multi
    def create(self, vals_list):
        clean = drop_forged_defaults(self, {"date_done"})
        for vals in vals_list:
            refuse_system_fields(self, vals)
        plans = self.env["kam.account.plan"].browse(set(parent_ids(self, vals_list, "plan_id")))
        check_parents_writable(self, plans)
        parent_ids(self, vals_list, "objective_id")  # ids or refused in words, like the plan
        parent_ids(self, vals_list, "user_id")
        for vals in vals_list:
            vals.pop("date_done", None)
            if vals.get("done"):
                vals["date_done"] = fields.Date.context_today(self)
        return super(KamAccountPlanAction, clean).create(vals_list)

    def write(self, vals):
        refuse_system_fields(self, vals)
        parent_ids(self, [vals], "objective_id", defaults=False)
        parent_ids(self, [vals], "user_id", defaults=False)
        vals = dict(vals)
        vals.pop("date_done", None)
        # The owner of an action may tick it; anything else needs the right to edit the plan.
        if not (vals.keys() <= {"done"} and all(action.user_id == self.env.user for action in self)):
            check_parents_writable(
                self,
                self.plan_id | self.env["kam.account.plan"].browse(parent_ids(self, [vals], "plan_id", defaults=False)),
            )
        if "done" in vals:
            vals["date_done"] = fields.Date.context_today(self) if vals["done"] else False
        return super().write(vals)

    def unlink(self):
        check_parents_writable(self, self.plan_id)
        return super().unlink()
