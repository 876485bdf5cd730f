"""Account tiers: the value scorecard of each account, set-based and per company.

The figures of an account come from one shared query (``_kam_read_figures``)
over the deals of the customer and its contacts in the company's scope; the
arithmetic lives in ``kam_sales_process.tiering``.  A scoring run reads the
figures of many accounts at once and writes only what changed: figures in one
statement, tier changes through ``write()`` (automation rules see them), every
tier change recorded in the account's tier history.
"""

import dataclasses
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape
from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, split_every
from odoo.tools.misc import formatLang

from ..kam_sales_process.tiering import AccountFigures, Criterion, parse_thresholds, pick_tier, quadrant
from ..kam_sales_process.tiering import score_account as score_figures
from ..kam_sales_process.vocabulary import DEEP_LEVELS, QUADRANT_LABELS, RATING_CODES, RATING_LABELS, STAR_LABELS

#: Figures written by a scoring run (derived data).
FIGURE_FIELDS = (
    "tier_score",
    "quadrant",
    "won_revenue",
    "won_count",
    "lost_count",
    "pipeline",
    "last_won_date",
    "deep_contacts",
)
#: What a person sets that the score reads.
MANUAL_FIELDS = (*(f"rating_{code}" for code in RATING_CODES), "margin_rate")
BATCH_SIZE = 5000
RATING_HELP = {
    "strategic_fit": "How well the account fits your strategy (industry, region, products you want to grow).",
    "financial_health": "Solvency and payment behaviour: credit, collection period, overdue amounts.",
    "chain_transparency": "How clearly you know who decides, who evaluates and how the customer buys.",
    "demand_continuity": "Whether the account keeps buying: recurring needs, projects in sight, long-term plans.",
}


def _rating_field(code):
    return fields.Selection(list(STAR_LABELS), string=dict(RATING_LABELS)[code], default="0", help=RATING_HELP[code])


class KamAccount(models.Model):
    _inherit = "kam.account"

    tier_id = fields.Many2one(
        "kam.tier",
        string="Account Tier",
        index=True,
        ondelete="set null",
        help="Picked by the value scorecard score: the tier with the highest minimum score the account reaches.",
    )
    tier_score = fields.Float(
        digits=(5, 1),
        help="The account's value scorecard score 0-100: each criterion's points (0-100) weighted.",
    )
    quadrant = fields.Selection(
        list(QUADRANT_LABELS),
        help="Volume x profit: star (high, high), elephant (high volume, low margin), cash cow (low volume, high "
        "margin), dog (low, low). Cut-offs in Settings.",
    )
    is_key_account = fields.Boolean(
        string="Key Account", index=True, help="In the minimum key-account tier (Settings) or above."
    )
    tier_date = fields.Datetime(
        string="Scored On", help="When the scorecard first scored the account or last changed its figures."
    )
    won_revenue = fields.Monetary(
        currency_field="currency_id",
        help="Expected revenue of the deals won within the look-back window, in the company's currency. A won deal "
        "counts from its closing date, or from when it entered its won stage when it has none.",
    )
    won_count = fields.Integer(string="Won Deals", help="Deals won within the look-back window.")
    lost_count = fields.Integer(string="Lost Deals", help="Deals lost within the look-back window.")
    pipeline = fields.Monetary(
        string="Weighted Pipeline",
        currency_field="currency_id",
        help="Expected revenue x probability of the open opportunities, in the company's currency.",
    )
    last_won_date = fields.Date(string="Last Won", help="When the account's last won deal was closed.")
    deep_contacts = fields.Integer(
        string="Deep Relationships",
        help="People in the account's buying centres with whom the relationship reached opinions, behaviour or values.",
    )
    margin_rate = fields.Float(
        string="Estimated Margin (%)",
        help="Your estimate of the gross margin earned on this account: the profit axis of the quadrant.",
    )
    rating_strategic_fit = _rating_field("strategic_fit")
    rating_financial_health = _rating_field("financial_health")
    rating_chain_transparency = _rating_field("chain_transparency")
    rating_demand_continuity = _rating_field("demand_continuity")
    tier_breakdown = fields.Html(
        string="Why This Tier",
        compute="_compute_tier_breakdown",
        sanitize=False,
        help="Each criterion's raw value, points and weight as last scored.",
    )
    tier_history_ids = fields.One2many("kam.tier.history", "account_id", readonly=True, help="Every change of tier.")

    # --- why this tier --------------------------------------------------------

    @api.depends_context("lang")
    @api.depends(*FIGURE_FIELDS, *MANUAL_FIELDS, "tier_date")
    def _compute_tier_breakdown(self):
        records = self._kam_get_criterion_records()
        criteria = self._kam_get_criteria(records)
        labels = {criterion.code: criterion.name for criterion in records}
        today = fields.Date.context_today(self)
        head = Markup(
            "<tr><th>%s</th><th class='text-end'>%s</th><th class='text-end'>%s</th>"
            "<th class='text-end'>%s</th><th class='text-end'>%s</th></tr>"
        ) % (
            self.env._("Criterion"),
            self.env._("Value"),
            self.env._("Points"),
            self.env._("Weight"),
            self.env._("Contribution"),
        )
        for account in self:
            if not account.tier_date:
                account.tier_breakdown = Markup("<p class='text-muted'>%s</p>") % self.env._(
                    "Not scored yet: the scorecard is computed daily, or with Recompute Tiers."
                )
                continue
            score, lines = score_figures(account._kam_stored_figures(today), criteria)
            currency = account.currency_id
            rows = Markup("").join(
                Markup(
                    "<tr><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
                )
                % (
                    labels.get(line["code"], line["code"]),
                    account._kam_format_value(line["code"], line["value"], currency),
                    formatLang(self.env, line["points"], digits=0),
                    formatLang(self.env, line["weight"], digits=1),
                    formatLang(self.env, line["contribution"], digits=1),
                )
                for line in lines
            )
            foot = Markup("<tr class='fw-bold'><td colspan='4'>%s</td><td class='text-end'>%s</td></tr>") % (
                self.env._("Score"),
                formatLang(self.env, score, digits=1),
            )
            account.tier_breakdown = Markup(
                "<table class='table table-sm o_kam_tier_breakdown'><thead>%s</thead><tbody>%s</tbody>"
                "<tfoot>%s</tfoot></table>"
            ) % (head, rows, foot)

    def _kam_format_value(self, code, value, currency):
        if value is None:
            return self.env._("none")
        if code in ("won_revenue", "average_won", "pipeline"):
            return formatLang(self.env, value, currency_obj=currency)
        if code == "win_rate":
            return f"{formatLang(self.env, value, digits=0)} %"
        if code in RATING_CODES:
            return "★" * int(value) or "-"
        return escape(formatLang(self.env, value, digits=0))

    def _kam_ratings(self):
        self.ensure_one()
        return {code: int(self[f"rating_{code}"] or 0) for code in RATING_CODES}

    def _kam_stored_figures(self, today):
        self.ensure_one()
        return AccountFigures(
            won_revenue=self.won_revenue,
            won_count=self.won_count,
            lost_count=self.lost_count,
            pipeline=self.pipeline,
            days_since_won=(today - self.last_won_date).days if self.last_won_date else None,
            deep_contacts=self.deep_contacts,
            ratings=self._kam_ratings(),
        )

    # --- configuration -----------------------------------------------------------

    @api.model
    def _kam_get_criterion_records(self):
        return self.env["kam.tier.criterion"].sudo().search([("weight", ">", 0)])

    @api.model
    def _kam_get_criteria(self, records=None):
        """The active criteria of the scorecard (or of ``records``) as plain values."""
        if records is None:
            records = self._kam_get_criterion_records()
        criteria = []
        for criterion in records:
            try:
                thresholds = parse_thresholds(criterion.thresholds)
            except ValueError:
                thresholds = ()
            criteria.append(Criterion(criterion.code, criterion.weight, thresholds, criterion.higher_is_better))
        return criteria

    @api.model
    def _kam_scoring_config(self, company):
        tiers = self.env["kam.tier"].sudo().search([("active", "=", True)])
        return {
            "criteria": self._kam_get_criteria(),
            "tiers": [(tier.id, tier.min_score) for tier in tiers],
            "key_min": self.env["kam.tier"].with_company(company)._kam_key_account_min_score(),
            "volume_cutoff": company.kam_quadrant_volume_cutoff,
            "margin_cutoff": company.kam_quadrant_margin_cutoff,
        }

    # --- figures: the one query -------------------------------------------------------

    @api.model
    def _kam_scope_company_ids(self, company):
        """The companies whose deals count in ``company``'s accounts: itself and its branches, or every
        company with the "All companies" scope (amounts converted)."""
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        if company.kam_tier_scope == "group":
            return companies.search([("active", "in", (True, False))]).ids
        return companies.search([("id", "child_of", company.id)]).ids

    @api.model
    def _kam_account_deals_sql(self, company, partner_ids=None):
        """The deals of the accounts of ``company`` as a sub-query ``(account, deal, company)``.

        A deal belongs to the account of its customer's company (its
        commercial partner) and counts when it is of a company in scope; a
        deal without a company counts for ``company``.  Every account query
        (figures, evidence, interactions) starts from this one.
        """
        for model, names in (
            ("crm.lead", ["partner_id", "company_id"]),
            ("res.partner", ["commercial_partner_id"]),
        ):
            self.env[model].flush_model(names)
        accounts = SQL("AND p.commercial_partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL()
        return SQL(
            """
            SELECT p.commercial_partner_id AS account, l.id AS deal, COALESCE(l.company_id, %(company)s) AS company
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
             WHERE COALESCE(l.company_id, %(company)s) = ANY(%(scope)s) %(accounts)s
            """,
            company=company.id,
            scope=self._kam_scope_company_ids(company),
            accounts=accounts,
        )

    @api.model
    def _kam_read_figures(self, company, today, partner_ids=None):
        """``{customer id: (AccountFigures without ratings, last won date)}`` of ``company``'s accounts.

        One query for any number of accounts (``partner_ids``; all customers
        with deals when ``None``): the deals' aggregates per account and
        currency, the deep contacts of their buying centres.  Amounts of other
        currencies are converted at today's rate.  A won deal counts from its
        closing date, or from when it entered its stage (created already won).
        """
        since = today - relativedelta(months=company.kam_tier_months or 12)
        self.env["crm.lead"].flush_model(
            ["active", "stage_id", "probability", "expected_revenue", "prorated_revenue", "date_closed", "type"]
        )
        self.env["kam.stakeholder"].flush_model(["lead_id", "partner_id", "relationship_level"])
        rows = self.env.execute_query(
            SQL(
                """
            WITH deals AS (%(deals)s),
            figures AS (
                SELECT d.account, c.currency_id,
                       SUM(l.expected_revenue) FILTER (WHERE l.active AND s.is_won AND won.day >= %(since)s) AS won,
                       COUNT(*) FILTER (WHERE l.active AND s.is_won AND won.day >= %(since)s) AS won_count,
                       COUNT(*) FILTER (WHERE NOT l.active AND l.probability = 0 AND l.date_closed >= %(since)s)
                           AS lost_count,
                       SUM(l.prorated_revenue) FILTER (WHERE l.active AND l.type = 'opportunity'
                                                       AND NOT COALESCE(s.is_won, FALSE)) AS pipeline,
                       MAX(won.day) FILTER (WHERE l.active AND s.is_won) AS last_won
                  FROM deals d
                  JOIN crm_lead l ON l.id = d.deal
                  JOIN res_company c ON c.id = d.company
                  LEFT JOIN crm_stage s ON s.id = l.stage_id
                 CROSS JOIN LATERAL (SELECT COALESCE(l.date_closed, l.date_last_stage_update, l.create_date) AS day)
                       won
              GROUP BY d.account, c.currency_id
            ),
            deep AS (
                SELECT d.account, COUNT(DISTINCT st.partner_id) AS people
                  FROM deals d
                  JOIN kam_stakeholder st ON st.lead_id = d.deal
                 WHERE st.relationship_level IN %(levels)s
              GROUP BY d.account
            )
            SELECT COALESCE(f.account, deep.account), f.currency_id, f.won, f.won_count, f.lost_count, f.pipeline,
                   f.last_won, deep.people
              FROM figures f FULL JOIN deep ON deep.account = f.account
                """,
                deals=self._kam_account_deals_sql(company, partner_ids),
                since=since,
                levels=DEEP_LEVELS,
            )
        )
        rates = self._kam_currency_rates({row[1] for row in rows if row[1]}, company, today)
        totals = defaultdict(lambda: {"won": 0.0, "won_count": 0, "lost": 0, "pipeline": 0.0, "last": None, "deep": 0})
        for account, currency_id, won, won_count, lost, pipeline, last_won, deep in rows:
            total = totals[account]
            rate = rates.get(currency_id, 1.0)
            total["won"] += (won or 0.0) * rate
            total["won_count"] += won_count or 0
            total["lost"] += lost or 0
            total["pipeline"] += (pipeline or 0.0) * rate
            total["deep"] = max(total["deep"], deep or 0)
            if last_won and (total["last"] is None or last_won > total["last"]):
                total["last"] = last_won
        figures = {}
        for account_id in totals if partner_ids is None else partner_ids:
            total = totals.get(account_id)
            last_won = total and total["last"] and fields.Date.to_date(total["last"])
            figures[account_id] = (
                AccountFigures(
                    won_revenue=total["won"] if total else 0.0,
                    won_count=total["won_count"] if total else 0,
                    lost_count=total["lost"] if total else 0,
                    pipeline=total["pipeline"] if total else 0.0,
                    days_since_won=(today - last_won).days if last_won else None,
                    deep_contacts=total["deep"] if total else 0,
                ),
                last_won or False,
            )
        return figures

    @api.model
    def _kam_currency_rates(self, currency_ids, company, today):
        """Factor converting an amount of each currency to the company's currency (today's rate)."""
        target = company.currency_id
        currencies = self.env["res.currency"].sudo().browse(currency_ids)
        return {
            currency.id: 1.0 if currency == target else currency._convert(1.0, target, company, today, round=False)
            for currency in currencies
        }

    # --- scoring ---------------------------------------------------------------------

    @api.model
    def _kam_customers_domain(self, company):
        """The companies that can be accounts of ``company``: companies, not the database's own ones."""
        own = self.env["res.company"].sudo().with_context(active_test=False).search([("active", "in", (True, False))])
        return [
            ("is_company", "=", True),
            ("id", "not in", own.partner_id.ids),
            "|",
            ("company_id", "=", False),
            ("company_id", "in", self._kam_scope_company_ids(company)),
        ]

    def _kam_score(self, batch_size=BATCH_SIZE):
        """Score these accounts (sudo), company by company, ``batch_size`` accounts at a time.

        Writes only what changed; returns the number of accounts scored.
        """
        by_company = defaultdict(list)
        for account in self.sudo():
            by_company[account.company_id].append(account.id)
        done = 0
        for company, ids in by_company.items():
            accounts = self.sudo().browse(ids)
            config = self._kam_scoring_config(company)
            today = fields.Date.context_today(self.with_company(company))
            for batch_ids in split_every(batch_size, accounts.ids):
                batch = accounts.browse(batch_ids)
                figures = self._kam_read_figures(company, today, batch.partner_id.ids)
                batch._kam_apply_figures(figures, config, today)
                done += len(batch)
        return done

    def _kam_apply_figures(self, figures, config, today):
        """Score each account from its figures; store what changed; tier changes through ``write()``."""
        now = fields.Datetime.now()
        self.fetch([*FIGURE_FIELDS, *MANUAL_FIELDS, "tier_id", "is_key_account", "tier_date", "partner_id"])
        changed_figures = []
        tier_changes = defaultdict(list)
        for account in self:
            account_figures, last_won = figures.get(account.partner_id.id) or (AccountFigures(), False)
            account_figures = dataclasses.replace(account_figures, ratings=account._kam_ratings())
            score, _lines = score_figures(account_figures, config["criteria"])
            tier_id = pick_tier(score, config["tiers"]) or False
            tier_min = dict(config["tiers"]).get(tier_id)
            is_key = bool(tier_id and config["key_min"] is not None and tier_min >= config["key_min"])
            values = {
                "tier_score": round(score, 1),
                "quadrant": quadrant(
                    account_figures.won_revenue, account.margin_rate, config["volume_cutoff"], config["margin_cutoff"]
                ),
                "won_revenue": round(account_figures.won_revenue, 2),
                "won_count": account_figures.won_count,
                "lost_count": account_figures.lost_count,
                "pipeline": round(account_figures.pipeline, 2),
                "last_won_date": last_won,
                "deep_contacts": account_figures.deep_contacts,
            }
            if not account.tier_date or any(
                account._fields[name].convert_to_cache(value, account) != account[name]
                for name, value in values.items()
            ):
                changed_figures.append((account, {**values, "tier_date": now}))
            if (account.tier_id.id, account.is_key_account) != (tier_id, is_key):
                tier_changes[(tier_id, is_key)].append(account.id)
        if changed_figures:
            # Derived figures of many accounts, in one statement (no tracking, no rules).
            accounts = self.browse([account.id for account, _values in changed_figures])
            accounts._write_multi(
                [
                    {name: account._fields[name].convert_to_column(value, account) for name, value in values.items()}
                    for account, values in changed_figures
                ]
            )
            accounts.invalidate_recordset([*FIGURE_FIELDS, "tier_date", "tier_breakdown"])
        for (tier_id, is_key), ids in tier_changes.items():
            self.browse(ids).write({"tier_id": tier_id, "is_key_account": is_key})
        return len(changed_figures)

    # --- entry points --------------------------------------------------------------------

    @api.model
    def _kam_score_customers(self, partners, company=None):
        """Score the accounts of these companies (or of the companies of these people) now."""
        company = company or self.env.company
        own = self.env["res.company"].sudo().with_context(active_test=False).search([("active", "in", (True, False))])
        own = own.partner_id
        customers = partners.sudo().commercial_partner_id.filtered("is_company") - own
        if not customers:
            return 0
        return self._kam_get_or_create(customers, company)._kam_score()

    @api.model
    def _kam_score_all(self, company=None, batch_size=BATCH_SIZE):
        """Score every customer of ``company`` (accounts created on demand): the full run."""
        company = company or self.env.company
        customers = self.env["res.partner"].sudo().search(self._kam_customers_domain(company), order="id")
        accounts = self._kam_get_or_create(customers, company)
        return accounts._kam_score(batch_size=batch_size)

    @api.model
    def _cron_kam_recompute_tiers(self, batch_size=BATCH_SIZE):
        """Daily: score every customer of every company, one batch per call, with progress.

        The run's jobs (one per company, the customers in id order) are made by
        the first call of the day, or of a full rescore asked for later that
        day; the cron framework calls again while customers remain and commits
        between calls, so a large database is scored in many short transactions.
        """

        def starts():
            Partner = self.env["res.partner"].sudo()
            return [
                (Partner.search(self._kam_customers_domain(company), order="id"), company)
                for company in self.env["res.company"].sudo().search([("active", "=", True)], order="id")
            ]

        run = self.env["ir.config_parameter"].sudo().get_param("kam_sales_process.tier_run") or ""
        run_key = max(fields.Date.to_string(fields.Date.today()), run)
        return self.env["kam.recompute.job"]._kam_run_daily("tiers", starts, run_key=run_key, batch_size=batch_size)

    @api.model
    def _kam_request_full_rescore(self):
        """Every account is due again; the scheduled action is started now."""
        self.env["ir.config_parameter"].sudo().set_param(
            "kam_sales_process.tier_run", fields.Datetime.to_string(fields.Datetime.now())
        )
        self.env.ref("kam_sales_process.ir_cron_kam_recompute_tiers").sudo()._trigger()

    def action_kam_recompute_tiers(self):
        """Button and list action for managers: rescore the selected accounts now."""
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only sales managers can recompute account tiers."))
        count = self._kam_score() if self else self._kam_score_all()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s accounts scored.", count=count),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # --- tier history and manual ratings ----------------------------------------------

    def write(self, vals):
        before = {account.id: account.tier_id for account in self} if "tier_id" in vals else {}
        result = super().write(vals)
        if before:
            self._kam_log_tier_changes(before)
        if MANUAL_FIELDS_SET & vals.keys() and not self.env.context.get("kam_no_rescore"):
            self._kam_score()
        return result

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        with_tier = accounts.filtered("tier_id")
        if with_tier:
            with_tier._kam_log_tier_changes(dict.fromkeys(with_tier.ids, self.env["kam.tier"]))
        return accounts

    def _kam_log_tier_changes(self, before):
        """One tier history row per account whose tier changed (the first tier included), in one insert."""
        now = fields.Datetime.now()
        values = [
            {
                "account_id": account.id,
                "tier_id": account.tier_id.id,
                "previous_tier_id": before[account.id].id,
                "score": account.tier_score,
                "date": now,
                "user_id": self.env.uid,
            }
            for account in self
            if account.tier_id != before.get(account.id)
        ]
        if values:
            self.env["kam.tier.history"].sudo()._kam_insert(values)


MANUAL_FIELDS_SET = frozenset(MANUAL_FIELDS)


class KamTierHistory(models.Model):
    _name = "kam.tier.history"
    _description = "Account Tier Change"
    _order = "date desc, id desc"
    _rec_name = "tier_id"

    account_id = fields.Many2one("kam.account", required=True, index=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one(related="account_id.partner_id", store=True, string="Customer")
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    tier_id = fields.Many2one("kam.tier", readonly=True, ondelete="set null", help="The tier entered.")
    previous_tier_id = fields.Many2one("kam.tier", readonly=True, ondelete="set null", help="The tier left.")
    score = fields.Float(digits=(5, 1), readonly=True, help="The score that placed the account in the tier.")
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    user_id = fields.Many2one(
        "res.users", string="Changed By", readonly=True, help="Who changed it (the scheduled scoring runs as OdooBot)."
    )

    @api.model
    def _kam_insert(self, values):
        """Insert many history rows in one statement (a scoring run can change thousands of tiers at once)."""
        if not values:
            return
        self.env["kam.account"].flush_model(["partner_id", "company_id"])
        for chunk in split_every(BATCH_SIZE, values):
            self.env.cr.execute(
                SQL(
                    """
                INSERT INTO kam_tier_history (account_id, tier_id, previous_tier_id, score, date, user_id,
                                              partner_id, company_id, create_uid, create_date, write_uid, write_date)
                SELECT v.account_id, v.tier_id, v.previous_tier_id, v.score, v.date, v.user_id,
                       a.partner_id, a.company_id, v.user_id, v.date, v.user_id, v.date
                  FROM (VALUES %s) AS v(account_id, tier_id, previous_tier_id, score, date, user_id)
                  JOIN kam_account a ON a.id = v.account_id
                    """,
                    SQL(", ").join(
                        SQL(
                            "(%s::int, %s::int, %s::int, %s::float, %s::timestamp, %s::int)",
                            row["account_id"],
                            row["tier_id"] or None,
                            row["previous_tier_id"] or None,
                            row["score"],
                            row["date"],
                            row["user_id"] or None,
                        )
                        for row in chunk
                    ),
                )
            )
        self.env["kam.account"].browse([row["account_id"] for row in values]).invalidate_recordset(["tier_history_ids"])
