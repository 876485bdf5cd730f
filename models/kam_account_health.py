"""The key account seen whole: its plans, relationship coverage, lifetime value and health.

Every figure here is computed for a whole page of accounts at once (a few
grouped queries, never one per account), so that the Key Accounts list of
thousands of accounts opens as fast as any list.  Coverage reads the buying
centres of the account's deals (it writes nothing twice); the health score is
stored by a daily job (so that lists sort and group by it) with the previous
value for its trend.
"""

from dateutil.relativedelta import relativedelta
from odoo import api, fields, models
from odoo.tools import SQL, format_amount

from ..kam_sales_process.vocabulary import DEEP_LEVELS
from .kam_account_tier import FIGURE_FIELDS
from .kam_guards import drop_forged_defaults, refuse_system_fields, strip_forged_defaults

#: Health components: code, label, Settings key of the weight and its default.
HEALTH_COMPONENTS = [
    ("profile", "Profile complete", 15),
    ("players", "Key players covered", 30),
    ("plan", "Plan with current actions", 20),
    ("freshness", "Relationship freshness", 20),
    ("review", "Review rating", 15),
]
HEALTH_WEIGHT_PARAM = "kam_sales_process.health_weight_%s"
LTV_YEARS_PARAM = "kam_sales_process.ltv_years"
LTV_YEARS_DEFAULT = 3
#: Relationship freshness: full until this many days without contact, nothing from FRESH_ZERO_DAYS on.
FRESH_FULL_DAYS = 14
FRESH_ZERO_DAYS = 90
#: The deal fields the account queries read (flushed first).
DEAL_FIELDS = [
    "partner_id",
    "company_id",
    "active",
    "type",
    "stage_id",
    "expected_revenue",
    "probability",
    "date_closed",
    "date_deadline",
]
HEALTH_FIELDS = {
    "health_score",
    "health_previous",
    "health_trend",
    "health_weakest",
    "health_details",
    "health_date",
}
#: What the addon writes on an account (in sudo), never a client: the health, the scorecard's figures and
#: their date, the date of the last phase change and the disintegration alert.
ACCOUNT_SYSTEM_FIELDS = frozenset(
    {*HEALTH_FIELDS, *FIGURE_FIELDS, "tier_date", "phase_date", "phase_alert", "phase_alert_reason"}
)


class KamAccount(models.Model):
    _inherit = "kam.account"

    plan_ids = fields.One2many(
        "kam.account.plan", "account_id", string="Plans", help="The account's plans, past and current."
    )
    current_plan_id = fields.Many2one(
        "kam.account.plan", compute="_compute_current_plan", help="The plan of today's period."
    )
    plan_revenue_progress = fields.Float(
        string="Plan Progress (%)",
        compute="_compute_current_plan",
        help="Won revenue out of the current plan's target.",
    )
    plan_pipeline_coverage = fields.Float(
        string="Plan Coverage",
        compute="_compute_current_plan",
        digits=(16, 1),
        help="The current plan's pipeline / the revenue still to win.",
    )
    plan_actions_overdue = fields.Integer(
        string="Overdue Actions", compute="_compute_current_plan", help="Actions of the current plan past their date."
    )
    coverage_score = fields.Integer(
        string="Coverage",
        compute="_compute_coverage",
        help="How well we know the people who decide, over the open deals of the account (0-100): core roles known "
        "at depth (opinions or deeper) 50, a coach 25, no single-threaded deal 25.",
    )
    coverage_gaps = fields.Text(compute="_compute_coverage", help="What the coverage misses.")
    last_contact_date = fields.Date(
        compute="_compute_coverage", help="The last contact with anyone in the account's buying centres."
    )
    ltv_estimate = fields.Monetary(
        string="Lifetime Value",
        compute="_compute_ltv",
        currency_field="currency_id",
        help="Estimated revenue from the account over the horizon of Settings (3 years by default): the yearly "
        "won revenue of the last three years times the horizon; the weighted pipeline when nothing was won yet.",
    )
    ltv_method = fields.Text(
        string="Why This Value", compute="_compute_ltv", help="How the lifetime value was reached."
    )
    health_score = fields.Integer(
        string="Health",
        readonly=True,
        index=True,
        help="0-100, the weighted components of Settings: profile complete, key players covered, plan with current "
        "actions, relationship freshness, review rating. Refreshed daily.",
    )
    health_previous = fields.Integer(
        string="Previous Health",
        readonly=True,
        help="The score of the last refresh on an earlier day: the trend compares with it.",
    )
    health_trend = fields.Selection(
        [("up", "Improving"), ("steady", "Steady"), ("down", "Worsening")],
        readonly=True,
        help="How the score moved at the last refresh.",
    )
    health_weakest = fields.Selection(
        [(code, label) for code, label, _weight in HEALTH_COMPONENTS],
        string="Weakest Component",
        readonly=True,
        help="The component that costs the account most points.",
    )
    health_details = fields.Text(string="Health Components", readonly=True, help="Each component's score.")
    health_date = fields.Datetime(string="Health Refreshed", readonly=True)

    @api.model
    def default_get(self, fields_list):
        # neither the context nor a personal default (ir.default) fills what only the addon sets
        return strip_forged_defaults(self, super().default_get(fields_list), ACCOUNT_SYSTEM_FIELDS)

    @api.model_create_multi
    def create(self, vals_list):
        clean = drop_forged_defaults(self, ACCOUNT_SYSTEM_FIELDS)
        for vals in vals_list:
            refuse_system_fields(self, vals, ACCOUNT_SYSTEM_FIELDS)
        return super(KamAccount, clean).create(vals_list)

    def write(self, vals):
        # the health is the daily job's (or Refresh Health's), the figures the scorecard's, the phase's date
        # and alert the phase changes' and the daily check's: never a client's (managers included)
        refuse_system_fields(self, vals, ACCOUNT_SYSTEM_FIELDS)
        return super().write(vals)

    # --- current plan ---------------------------------------------------------------------

    def _compute_current_plan(self):
        today = fields.Date.context_today(self)
        plans = self.env["kam.account.plan"].search(
            [("account_id", "in", self._origin.ids), ("date_from", "<=", today), ("date_to", ">=", today)]
        )
        by_account = {plan.account_id.id: plan for plan in plans}
        for account in self:
            plan = by_account.get(account._origin.id)
            account.current_plan_id = plan
            account.plan_revenue_progress = plan.revenue_progress if plan else 0.0
            account.plan_pipeline_coverage = plan.pipeline_coverage if plan else 0.0
            account.plan_actions_overdue = plan.actions_overdue if plan else 0

    # --- the accounts' deals ------------------------------------------------------------

    @api.model
    def _kam_account_deals_from(self, keys, customers, companies, periods=None):
        """The ``FROM`` of the account queries (plan progress, coverage, lifetime value).

        ``a(key, customer, company)`` per account (``periods``: a list of date
        from and a list of date to add ``a.date_from``, ``a.date_to``), each deal
        ``l`` of the customer's company (its commercial partner) in our company or
        in none, and the deal's stage ``s``.  Flushes what the queries read.
        """
        self.env["crm.lead"].flush_model(DEAL_FIELDS)
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        if periods is None:
            accounts = SQL(
                "unnest(%s::int[], %s::int[], %s::int[]) AS a(key, customer, company)", keys, customers, companies
            )
        else:
            accounts = SQL(
                "unnest(%s::int[], %s::int[], %s::int[], %s::date[], %s::date[])"
                " AS a(key, customer, company, date_from, date_to)",
                keys,
                customers,
                companies,
                *periods,
            )
        return SQL(
            """%s
                  JOIN res_partner p ON p.commercial_partner_id = a.customer
                  JOIN crm_lead l ON l.partner_id = p.id AND (l.company_id = a.company OR l.company_id IS NULL)
                  LEFT JOIN crm_stage s ON s.id = l.stage_id""",
            accounts,
        )

    def _kam_deals_of_accounts(self):
        """``_kam_account_deals_from`` for these accounts (saved ones, with a customer and a company)."""
        return self._kam_account_deals_from(
            [a._origin.id for a in self], [a.partner_id.id for a in self], [a.company_id.id for a in self]
        )

    # --- coverage -------------------------------------------------------------------------

    def _kam_coverage_rows(self):
        """``[(account, deal, stakeholder, level, role ids, last contact)]`` of the open deals (one query)."""
        accounts = self.filtered(lambda a: a._origin.id and a.partner_id and a.company_id)
        if not accounts:
            return []
        self.env["kam.stakeholder"].flush_model(["lead_id", "relationship_level", "role_ids", "last_contact_date"])
        deals = accounts._kam_deals_of_accounts()
        return self.env.execute_query(
            SQL(
                """
                SELECT a.key, l.id, sh.id, sh.relationship_level, array_remove(array_agg(r.role_id), NULL),
                       sh.last_contact_date
                  FROM %s
                  LEFT JOIN kam_stakeholder sh ON sh.lead_id = l.id
                  LEFT JOIN kam_stakeholder_role_rel r ON r.stakeholder_id = sh.id
                 WHERE l.active AND l.type = 'opportunity' AND NOT COALESCE(s.is_won, FALSE)
                 GROUP BY a.key, l.id, sh.id
                """,
                deals,
            )
        )

    @api.depends_context("uid")  # the gaps name the deals the reader may see
    def _compute_coverage(self):
        roles = self.env["kam.buying.role"].sudo().search([("active", "=", True)])
        core = roles.filtered("is_core")
        coach = roles.filtered(lambda r: r.code == "coach")
        deals, people = {}, {}
        rows = self._kam_coverage_rows()
        # the gaps name only the deals the reader may see (one query for all of them)
        visible = {
            lead.id: lead.name
            for lead in self.env["crm.lead"].search_fetch([("id", "in", list({row[1] for row in rows}))], ["name"])
        }
        for account_id, deal_id, stakeholder_id, level, role_ids, last_contact in rows:
            deals.setdefault(account_id, {}).setdefault(deal_id, 0)
            if stakeholder_id:
                deals[account_id][deal_id] += 1
                people.setdefault(account_id, []).append((level, set(role_ids), last_contact))
        for account in self:
            account_deals = deals.get(account._origin.id, {})
            account_people = people.get(account._origin.id, [])
            account.last_contact_date = max((p[2] for p in account_people if p[2]), default=False)
            if not account_deals:
                account.coverage_score = 0
                account.coverage_gaps = self.env._("No open opportunity: nobody to cover.")
                continue
            deep_roles = set().union(*(p[1] for p in account_people if p[0] in DEEP_LEVELS))
            all_roles = set().union(*(p[1] for p in account_people))
            missing = core.filtered(lambda r, deep=deep_roles: r.id not in deep)
            single = [deal for deal, count in account_deals.items() if count <= 1]
            has_coach = bool(coach) and bool(coach.id in all_roles)
            score = 50.0 * (len(core) - len(missing)) / len(core) if core else 50.0
            score += 25.0 if has_coach or not coach else 0.0
            score += 25.0 * (len(account_deals) - len(single)) / len(account_deals)
            gaps = []
            if missing:
                gaps.append(self.env._("Not known at depth: %(roles)s", roles=", ".join(missing.mapped("name"))))
            if coach and not has_coach:
                gaps.append(self.env._("No coach"))
            if single:
                names = [visible[deal] for deal in single if deal in visible][:3]
                gaps.append(
                    self.env._(
                        "Single-threaded deals (one person or none): %(deals)s%(more)s",
                        deals=", ".join(names) if names else str(len(single)),
                        more=" …" if names and len(single) > len(names) else "",
                    )
                )
            account.coverage_score = round(score)
            account.coverage_gaps = "\n".join(gaps) or False

    def action_open_coverage(self):
        """Everyone of the account across its deals' buying centres (the stakeholders themselves: nothing copied)."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("kam_sales_process.kam_stakeholder_action_coverage")
        action["domain"] = [
            ("lead_id.partner_id.commercial_partner_id", "=", self.partner_id.id),
            "|",
            ("lead_id.company_id", "=", self.company_id.id),
            ("lead_id.company_id", "=", False),
        ]
        action["display_name"] = self.env._("Relationship coverage: %(account)s", account=self.display_name)
        return action

    # --- lifetime value -----------------------------------------------------------------

    @api.model
    def _kam_ltv_years(self):
        try:
            years = int(self.env["ir.config_parameter"].sudo().get_param(LTV_YEARS_PARAM, LTV_YEARS_DEFAULT))
        except (TypeError, ValueError):
            years = LTV_YEARS_DEFAULT
        return min(max(years, 1), 10)

    def _compute_ltv(self):
        today = fields.Date.context_today(self)
        since = today - relativedelta(years=3)
        accounts = self.filtered(lambda a: a._origin.id and a.partner_id and a.company_id)
        figures = {}
        if accounts:
            deals = accounts._kam_deals_of_accounts()
            for account_id, won, first_won, weighted in self.env.execute_query(
                SQL(
                    """
                    SELECT a.key,
                           COALESCE(SUM(l.expected_revenue) FILTER (WHERE l.active AND s.is_won
                                                                      AND l.date_closed::date >= %(since)s), 0),
                           MIN(l.date_closed::date) FILTER (WHERE l.active AND s.is_won
                                                              AND l.date_closed::date >= %(since)s),
                           COALESCE(SUM(l.expected_revenue * COALESCE(l.probability, 0) / 100.0)
                                    FILTER (WHERE l.active AND l.type = 'opportunity'
                                              AND NOT COALESCE(s.is_won, FALSE)), 0)
                      FROM %(deals)s
                     GROUP BY a.key
                    """,
                    since=since,
                    deals=deals,
                )
            ):
                figures[account_id] = (float(won), first_won, float(weighted))
        horizon = self._kam_ltv_years()
        for account in self:
            won, first_won, weighted = figures.get(account._origin.id, (0.0, None, 0.0))
            account.ltv_estimate, account.ltv_method = account._kam_ltv(won, first_won, weighted, horizon, today)

    def _kam_ltv(self, won, first_won, weighted, horizon, today):
        """``(value, explanation)``: the yearly won revenue times the horizon, or the weighted pipeline."""
        currency = self.currency_id or self.env.company.currency_id

        def money(amount):
            return format_amount(self.env, amount, currency)

        if won and first_won:
            years = min(max((today - first_won).days / 365.25, 1.0), 3.0)
            yearly = won / years
            value = yearly * horizon
            return value, self.env._(
                "Won %(won)s over the last %(years).1f years, %(yearly)s a year, times a horizon of %(horizon)s "
                "years = %(value)s.",
                won=money(won),
                years=years,
                yearly=money(yearly),
                horizon=horizon,
                value=money(value),
            )
        if weighted:
            return weighted, self.env._(
                "Nothing won in the last three years: the weighted pipeline (expected revenue x probability of the "
                "open opportunities), %(value)s.",
                value=money(weighted),
            )
        return 0.0, self.env._("Nothing won in the last three years and no open opportunity.")

    # --- health ----------------------------------------------------------------------------

    @api.model
    def _kam_health_weights(self):
        params = self.env["ir.config_parameter"].sudo()
        weights = {}
        for code, _label, default in HEALTH_COMPONENTS:
            try:
                weights[code] = max(float(params.get_param(HEALTH_WEIGHT_PARAM % code, default)), 0.0)
            except (TypeError, ValueError):
                weights[code] = float(default)
        return weights

    def _kam_health_components(self):
        """``{account id: {component: 0-100}}`` for these accounts (grouped queries)."""
        today = fields.Date.context_today(self)
        result = {}
        for account in self:
            plan = account.current_plan_id
            profile_items = [
                account.user_id,
                account.tier_id,
                account.phase,
                account.company_relationship,
                account.partner_id.industry_id,
                account.unit_ids,
                plan.wallet_estimate if plan else account.share_of_wallet,
            ]
            if plan:
                actions = len(plan.action_ids)
                plan_score = 40.0 + (60.0 * (actions - plan.actions_overdue) / actions if actions else 0.0)
            else:
                plan_score = 0.0
            last = account.last_contact_date
            if not last:
                fresh = 0.0
            else:
                days = (today - last).days
                fresh = 100.0 * min(max((FRESH_ZERO_DAYS - days) / (FRESH_ZERO_DAYS - FRESH_FULL_DAYS), 0.0), 1.0)
            result[account.id] = {
                "profile": 100.0 * sum(1 for item in profile_items if item) / len(profile_items),
                "players": float(account.coverage_score),
                "plan": plan_score,
                "freshness": fresh,
                "review": 20.0 * int(plan.review_rating) if plan and plan.review_rating else 0.0,
            }
        return result

    def _kam_refresh_health(self):
        """Score these accounts, keep the previous score for the trend, name the weakest component."""
        weights = self._kam_health_weights()
        total = sum(weights.values()) or 1.0
        labels = dict(self._fields["health_weakest"]._description_selection(self.env))
        components = self._kam_health_components()
        now = fields.Datetime.now()
        today = now.date()  # the server's (UTC) day, whoever refreshes: not a client's time zone
        for account in self:
            parts = components[account.id]
            score = round(sum(parts[code] * weights[code] for code in parts) / total)
            weakest = max(parts, key=lambda code: (weights[code] * (100.0 - parts[code]), code))
            # the trend is against the last score of an earlier day: refreshing again today keeps it
            if not account.health_date:
                previous = score
            elif account.health_date.date() < today:
                previous = account.health_score
            else:
                previous = account.health_previous
            account.sudo().write(
                {
                    "health_previous": previous,
                    "health_score": score,
                    "health_trend": "up" if score > previous else "down" if score < previous else "steady",
                    "health_weakest": weakest,
                    "health_details": "\n".join(
                        f"{labels[code]}: {round(parts[code])} ({round(weights[code])})"
                        for code, _l, _w in HEALTH_COMPONENTS
                    ),
                    "health_date": now,
                }
            )
        return True

    def action_refresh_health(self):
        """Score the accounts now, from everything the daily job reads: what the reader may see of the
        account's plans and deals does not change its health (the score is the same for every reader)."""
        self.check_access("read")
        self.sudo()._kam_refresh_health()
        self.invalidate_recordset()
        return True

    @api.model
    def _cron_kam_refresh_health(self, batch_size=1000):
        """Daily: refresh the health of every key account, a batch at a time."""
        accounts = self.sudo().search([("company_id", "!=", False)], order="id")
        for start in range(0, len(accounts), batch_size):
            batch = accounts[start : start + batch_size]
            batch.filtered("unit_ids")._kam_fill_whitespace()
            batch._kam_refresh_health()
        return len(accounts)
