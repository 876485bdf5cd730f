"""Account tiers: the value scorecard of each account, set-based and per company.

The figures of an account come from one shared query (``_kam_read_figures``)
over the deals of the customer and its contacts in the company's scope; the
arithmetic lives in ``kam_sales_process.tiering``.  A scoring run reads the
figures of many accounts at once and writes only what changed: figures in one
statement, tier changes through ``write()`` (automation rules see them), every
tier change recorded in the account's tier history.
"""

from collections import defaultdict
from datetime import datetime

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape
from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, split_every
from odoo.tools.misc import formatLang

from ..kam_sales_process.tiering import (
    AccountFigures,
    Criterion,
    make_scorer,
    parse_thresholds,
    pick_tier,
    quadrant,
)
from ..kam_sales_process.tiering import score_account as score_figures
from ..kam_sales_process.vocabulary import DEEP_LEVELS, QUADRANT_LABELS, RATING_CODES, RATING_LABELS, STAR_LABELS
from .kam_account import BULK_CREATE
from .kam_fields import FiniteFloat

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
#: What a scoring run reads of each account, in this order (``_kam_read_stored``), and where.
STORED_COLUMNS = (*FIGURE_FIELDS, "tier_id", "is_key_account", "tier_date", *MANUAL_FIELDS, "partner_id")
FIGURES = len(FIGURE_FIELDS)
TIER, KEY, TIER_DATE = FIGURES, FIGURES + 1, FIGURES + 2
RATINGS = slice(FIGURES + 3, FIGURES + 3 + len(RATING_CODES))
MARGIN = FIGURES + 3 + len(RATING_CODES)
UNRATED, NO_RATINGS = ["0"] * len(RATING_CODES), {}
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
        readonly=True,
        help="The account's value scorecard score 0-100: each criterion's points (0-100) weighted.",
    )
    quadrant = fields.Selection(
        list(QUADRANT_LABELS),
        readonly=True,
        help="Volume x profit: star (high, high), elephant (high volume, low margin), cash cow (low volume, high "
        "margin), dog (low, low). Cut-offs in Settings.",
    )
    is_key_account = fields.Boolean(
        string="Key Account", index=True, help="In the minimum key-account tier (Settings) or above."
    )
    tier_date = fields.Datetime(
        string="Scored On",
        readonly=True,
        help="When the scorecard first scored the account or last changed its figures.",
    )
    won_revenue = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="Expected revenue of the deals won within the look-back window, in the company's currency. A won deal "
        "counts from its closing date, or from when it entered its won stage when it has none.",
    )
    won_count = fields.Integer(string="Won Deals", readonly=True, help="Deals won within the look-back window.")
    lost_count = fields.Integer(string="Lost Deals", readonly=True, help="Deals lost within the look-back window.")
    pipeline = fields.Monetary(
        string="Weighted Pipeline",
        currency_field="currency_id",
        readonly=True,
        help="Expected revenue x probability of the open opportunities, in the company's currency.",
    )
    last_won_date = fields.Date(string="Last Won", readonly=True, help="When the account's last won deal was closed.")
    deep_contacts = fields.Integer(
        string="Deep Relationships",
        readonly=True,
        help="People in the account's buying centres with whom the relationship reached opinions, behaviour or values.",
    )
    margin_rate = FiniteFloat(
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
        criteria = self._kam_get_criteria()
        tiers = self.env["kam.tier"].sudo().search([("active", "=", True)])
        return {
            "criteria": criteria,
            "scorer": make_scorer(criteria),
            "tiers": [(tier.id, tier.min_score) for tier in tiers],
            "tier_min": {tier.id: tier.min_score for tier in tiers},
            "cutoffs": (company.kam_quadrant_volume_cutoff, company.kam_quadrant_margin_cutoff),
            "key_min": self.env["kam.tier"].with_company(company)._kam_key_account_min_score(),
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
    def _kam_account_deals_sql(self, company, partner_ids=None, columns=None, scope=None):
        """The deals of the accounts of ``company`` as a sub-query ``(account, deal, company, *columns)``.

        A deal belongs to the account of its customer's company (its
        commercial partner) and counts when it is of a company in scope; a
        deal without a company counts for ``company``.  Every account query
        (figures, evidence, interactions) starts from this one, used as a
        sub-query in FROM; ``columns`` (SQL on the deal ``l``) adds what the
        caller aggregates, so that the deals are read once.  ``scope``: the
        ids of ``_kam_scope_company_ids`` if the caller has them already.
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
                   %(columns)s
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
             WHERE (l.company_id = ANY(%(scope)s) OR l.company_id IS NULL) %(accounts)s
            """,
            company=company.id,
            columns=SQL(", %s", columns) if columns else SQL(),
            scope=scope if scope is not None else self._kam_scope_company_ids(company),
            accounts=accounts,
        )

    @api.model
    def _kam_read_figures(self, company, today, partner_ids=None):
        """``{customer id: (AccountFigures without ratings, last won date)}`` of ``company``'s accounts.

        One query for any number of accounts (``partner_ids``; all customers
        with deals when ``None``): the deals' aggregates per account and
        company, the deep contacts of their buying centres.  Amounts of other
        currencies are converted at today's rate.  A won deal counts from its
        closing date, or from when it entered its stage (created already won).
        """
        since = today - relativedelta(months=company.kam_tier_months or 12)
        self.env["crm.lead"].flush_model(
            [
                "active",
                "stage_id",
                "probability",
                "expected_revenue",
                "prorated_revenue",
                "date_closed",
                "date_last_stage_update",
                "type",
            ]
        )
        self.env["kam.stakeholder"].flush_model(["lead_id", "partner_id", "relationship_level"])
        self.env["crm.stage"].flush_model(["is_won"])
        scope = self._kam_scope_company_ids(company)
        columns = SQL(
            "l.active, l.stage_id, l.probability, l.expected_revenue, l.prorated_revenue, l.date_closed, l.type, "
            "COALESCE(l.date_closed, l.date_last_stage_update, l.create_date) AS won_day"
        )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT d.account, d.company,
                       SUM(d.expected_revenue) FILTER (WHERE d.active AND s.is_won AND d.won_day >= %(since)s),
                       COUNT(*) FILTER (WHERE d.active AND s.is_won AND d.won_day >= %(since)s),
                       COUNT(*) FILTER (WHERE NOT d.active AND d.probability = 0 AND d.date_closed >= %(since)s),
                       SUM(d.prorated_revenue) FILTER (WHERE d.active AND d.type = 'opportunity'
                                                       AND NOT COALESCE(s.is_won, FALSE)),
                       MAX(d.won_day) FILTER (WHERE d.active AND s.is_won),
                       NULL
                  FROM (%(deals)s) d
                  LEFT JOIN crm_stage s ON s.id = d.stage_id
              GROUP BY d.account, d.company
             UNION ALL
                SELECT d.account, NULL, NULL, NULL, NULL, NULL, NULL, COUNT(DISTINCT st.partner_id)
                  FROM (%(deals_only)s) d
                  JOIN kam_stakeholder st ON st.lead_id = d.deal
                 WHERE st.relationship_level IN %(levels)s
              GROUP BY d.account
                """,
                deals=self._kam_account_deals_sql(company, partner_ids, columns, scope),
                deals_only=self._kam_account_deals_sql(company, partner_ids, scope=scope),
                since=since,
                levels=DEEP_LEVELS,
            )
        )
        companies = self.env["res.company"].sudo().browse({row[1] for row in rows if row[1]})
        currency_of = {c.id: c.currency_id.id for c in companies}
        rates = self._kam_currency_rates(set(currency_of.values()), company, today)
        # [won, won count, lost count, pipeline, last won, deep contacts] per account, over its rows.
        totals = {}
        for account, deal_company, won, won_count, lost, pipeline, last_won, deep in rows:
            rate = rates.get(currency_of.get(deal_company), 1.0)
            total = totals.get(account)
            if total is None:
                totals[account] = [
                    (won or 0.0) * rate,
                    won_count or 0,
                    lost or 0,
                    (pipeline or 0.0) * rate,
                    last_won,
                    deep or 0,
                ]
                continue
            total[0] += (won or 0.0) * rate
            total[1] += won_count or 0
            total[2] += lost or 0
            total[3] += (pipeline or 0.0) * rate
            if last_won and (total[4] is None or last_won > total[4]):
                total[4] = last_won
            total[5] = max(total[5], deep or 0)
        figures, none = {}, (AccountFigures(), False)
        for account_id in totals if partner_ids is None else partner_ids:
            total = totals.get(account_id)
            if total is None:
                figures[account_id] = none
                continue
            won, won_count, lost, pipeline, last_won, deep = total
            last_won = last_won and (last_won.date() if isinstance(last_won, datetime) else last_won)
            figures[account_id] = (
                AccountFigures(
                    won_revenue=won,
                    won_count=won_count,
                    lost_count=lost,
                    pipeline=pipeline,
                    days_since_won=(today - last_won).days if last_won else None,
                    deep_contacts=deep,
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
        """Score these accounts (sudo), company by company: the figures in one query, then ``batch_size``
        accounts at a time, the cache dropped between batches (bounded memory).

        Writes only what changed; returns the number of accounts scored.
        """
        rows = self._kam_read_stored(SQL("id = ANY(%s)", self.ids))
        by_company = defaultdict(list)
        for row in rows:
            by_company[row[1]].append(row)
        return sum(
            self._kam_score_company(self.env["res.company"].browse(company_id), company_rows, batch_size=batch_size)
            for company_id, company_rows in by_company.items()
        )

    @api.model
    def _kam_read_stored(self, condition):
        """What a scoring run compares, as plain rows ``(id, company id, *STORED_COLUMNS)`` (one query)."""
        self.flush_model(["company_id", *STORED_COLUMNS])
        return self.env.execute_query(
            SQL(
                "SELECT id, company_id, %s FROM kam_account WHERE %s ORDER BY id",
                SQL(", ").join(SQL.identifier(name) for name in STORED_COLUMNS),
                condition,
            )
        )

    @api.model
    def _kam_score_company(self, company, rows, missing=(), batch_size=BATCH_SIZE):
        """Score ``company``'s accounts of ``rows`` (see ``_kam_read_stored``) and create, scored, the
        accounts of the customers ``missing`` (ids): the figures of all of them in one query."""
        Account = self.sudo()
        company = company.sudo()
        config = Account._kam_scoring_config(company)
        today = fields.Date.context_today(Account.with_company(company))
        many = len(rows) + len(missing) > batch_size
        # Many accounts: all the company's customers' figures at once (no list of ids to send).
        partner_ids = None if many else [row[-1] for row in rows] + list(missing)
        figures = Account._kam_read_figures(company, today, partner_ids)
        done = 0
        if len(missing) >= BULK_CREATE and not Account._kam_rules_watch_accounts():
            Account._kam_insert_scored(company, list(missing), figures, config)
            done += len(missing)
        elif missing:
            # Created plain, then scored as the others: the rules see their first tier as a change.
            created = Account.create([{"partner_id": partner_id, "company_id": company.id} for partner_id in missing])
            rows = [*rows, *Account._kam_read_stored(SQL("id = ANY(%s)", created.ids))]
        for batch in split_every(batch_size, rows):
            Account._kam_apply_figures(batch, figures, config, today)
            done += len(batch)
            if many:
                self.env.flush_all()
                self.env.invalidate_all()
        return done

    @api.model
    def _kam_score_row(self, stored, account_figures, last_won, config):
        """``(figure values in the order of FIGURE_FIELDS, tier id or None, key account)`` of one account;
        ``stored`` is its row of ``STORED_COLUMNS`` (the manual ratings and margin are read from it)."""
        rated = stored[RATINGS]
        if rated == UNRATED or not any(rated):
            ratings = NO_RATINGS
        else:
            ratings = {code: int(value or 0) for code, value in zip(RATING_CODES, rated, strict=True)}
        score = config["scorer"](account_figures, ratings)
        values = (
            round(score, 1),
            quadrant(account_figures.won_revenue, float(stored[MARGIN] or 0.0), *config["cutoffs"]),
            round(account_figures.won_revenue, 2),
            account_figures.won_count,
            account_figures.lost_count,
            round(account_figures.pipeline, 2),
            last_won or None,
            account_figures.deep_contacts,
        )
        tier_id = pick_tier(score, config["tiers"]) or None
        key_min = config["key_min"]
        is_key = bool(tier_id and key_min is not None and config["tier_min"][tier_id] >= key_min)
        return values, tier_id, is_key

    @api.model
    def _kam_apply_figures(self, rows, figures, config, today):
        """Score each account of ``rows`` (see ``_kam_read_stored``) from its figures and store what changed.

        Without automation rules watching accounts, the changes of a batch are
        written in one statement and the tier changes recorded in the tier
        history in another; with such rules, tier changes go through
        ``write()`` so that the rules see them.  Returns the number of accounts
        changed.
        """
        now = fields.Datetime.now()
        nothing = (AccountFigures(), False)
        updates, tier_changes = {}, {}
        for account_id, _company_id, *stored in rows:
            account_figures, last_won = figures.get(stored[-1]) or nothing  # no deal
            values, tier_id, is_key = self._kam_score_row(stored, account_figures, last_won, config)
            old_values = tuple(stored[:FIGURES])
            figures_changed = not stored[TIER_DATE] or (old_values != values and _figures_differ(values, old_values))
            tier_changed = (stored[TIER], bool(stored[KEY])) != (tier_id, is_key)
            if tier_changed:
                tier_changes[account_id] = (stored[TIER], tier_id, is_key)
            if figures_changed or tier_changed:
                updates[account_id] = (
                    *(values if figures_changed else old_values),
                    now if figures_changed else stored[TIER_DATE],
                    tier_id,
                    is_key,
                    figures_changed,
                )
        if not updates:
            return 0
        Account = self.sudo()
        names = (*FIGURE_FIELDS, "tier_date", "tier_id", "is_key_account")
        if tier_changes and Account._kam_rules_watch_accounts():
            # The rules see the tier changes: figures in one statement, tiers through write().
            figures_only = {aid: values[: FIGURES + 1] for aid, values in updates.items() if values[-1]}
            Account.browse(list(figures_only))._kam_update_columns(_transpose(names[: FIGURES + 1], figures_only))
            groups = defaultdict(list)
            for account_id, (_old, tier_id, is_key) in tier_changes.items():
                groups[(tier_id or False, is_key)].append(account_id)
            for (tier_id, is_key), ids in groups.items():
                Account.browse(ids).write({"tier_id": tier_id, "is_key_account": is_key})
        else:
            Account.browse(list(updates))._kam_update_columns(
                _transpose(names, {aid: values[:-1] for aid, values in updates.items()})
            )
            history = {aid: old for aid, (old, new, _key) in tier_changes.items() if old != new}
            self.env["kam.tier.history"].sudo()._kam_insert(history, self.env.uid)
        return sum(1 for values in updates.values() if values[-1])

    @api.model
    def _kam_insert_scored(self, company, partner_ids, figures, config):
        """Insert the accounts of the customers ``partner_ids`` with their figures and tier in one statement
        (see ``_kam_insert_accounts``: only when no automation rule watches accounts), each first tier
        recorded in the tier history."""
        Account = self.sudo()
        defaults = Account.default_get(list(STORED_COLUMNS))
        stored = [defaults.get(name) for name in STORED_COLUMNS]
        now = fields.Datetime.now()
        nothing = (AccountFigures(), False)
        scored = {}
        for partner_id in partner_ids:
            account_figures, last_won = figures.get(partner_id) or nothing
            values, tier_id, is_key = self._kam_score_row(stored, account_figures, last_won, config)
            scored[partner_id] = (*values, now, tier_id, is_key)
        names = (*FIGURE_FIELDS, "tier_date", "tier_id", "is_key_account")
        accounts = Account._kam_insert_accounts(list(scored), company, _transpose(names, scored))
        with_tier = {
            account_id: None
            for account_id, tier_id in self.env.execute_query(
                SQL("SELECT id, tier_id FROM kam_account WHERE id = ANY(%s)", accounts.ids)
            )
            if tier_id
        }
        self.env["kam.tier.history"].sudo()._kam_insert(with_tier, self.env.uid)
        return accounts

    # --- entry points --------------------------------------------------------------------

    @api.model
    def _kam_score_customers(self, partners, company=None):
        """Score the accounts of these companies (or of the companies of these people) now, creating the
        missing ones."""
        company = company or self.env.company
        customers = partners.sudo().commercial_partner_id.filtered("is_company") - self._kam_own_partners()
        if not customers:
            return 0
        existing = self._kam_existing(customers.ids, company)
        missing = [partner_id for partner_id in customers.ids if partner_id not in existing]
        rows = self._kam_read_stored(SQL("id = ANY(%s)", list(existing.values()))) if existing else []
        return self._kam_score_company(company, rows, missing)

    @api.model
    def _kam_score_all(self, company=None, batch_size=BATCH_SIZE):
        """Score every customer of ``company`` (accounts created on demand): the full run."""
        company = company or self.env.company
        customers = self.env["res.partner"].sudo().search(self._kam_customers_domain(company), order="id").ids
        wanted = set(customers)
        # Every account of the company in one query, those of customers kept.
        rows = [row for row in self._kam_read_stored(SQL("company_id = %s", company.id)) if row[-1] in wanted]
        have = {row[-1] for row in rows}
        missing = [partner_id for partner_id in customers if partner_id not in have]
        return self._kam_score_company(company, rows, missing, batch_size=batch_size)

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
        changed = [account.id for account in self if account.tier_id != before.get(account.id)]
        if changed:
            self.env["kam.tier.history"].sudo()._kam_insert(
                {account_id: before[account_id].id for account_id in changed}, self.env.uid
            )


MANUAL_FIELDS_SET = frozenset(MANUAL_FIELDS)
#: Figures compared with a tolerance (stored rounded).
ROUNDED = {"tier_score": 0.05, "won_revenue": 0.005, "pipeline": 0.005}


def _transpose(names, rows):
    """``{name: [value of each row]}`` from ``{key: tuple of values in the order of names}``."""
    columns = list(zip(*rows.values(), strict=True)) if rows else [()] * len(names)
    return {name: list(column) for name, column in zip(names, columns, strict=True)}


def _figures_differ(values, stored):
    """Whether freshly computed figures differ from the stored ones (tuples in the order of ``FIGURE_FIELDS``;
    amounts compared with the tolerance of their rounding)."""
    for name, value, old in zip(FIGURE_FIELDS, values, stored, strict=False):
        if name in ROUNDED:
            if abs(float(old or 0.0) - value) > ROUNDED[name]:
                return True
        elif (old or None) != (value or None):
            return True
    return False


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
    def _kam_insert(self, previous, user_id):
        """One history row per account of ``previous`` (``{account id: tier id left}``), recording the tier
        and score the account has now, in one statement: a scoring run can change thousands of tiers at once.
        """
        if not previous:
            return
        Account = self.env["kam.account"]
        Account.flush_model(["partner_id", "company_id", "tier_id", "tier_score"])
        account_ids = list(previous)
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO kam_tier_history (account_id, tier_id, previous_tier_id, score, date, user_id,
                                          partner_id, company_id, create_uid, create_date, write_uid, write_date)
            SELECT a.id, a.tier_id, v.previous_tier_id, a.tier_score, %(now)s, %(user)s,
                   a.partner_id, a.company_id, %(user)s, %(now)s, %(user)s, %(now)s
              FROM unnest(%(accounts)s::int[], %(previous)s::int[]) AS v(account_id, previous_tier_id)
              JOIN kam_account a ON a.id = v.account_id
                """,
                now=fields.Datetime.now(),
                user=user_id or None,
                accounts=account_ids,
                previous=[previous[account_id] or None for account_id in account_ids],
            )
        )
        Account.browse(account_ids).invalidate_recordset(["tier_history_ids"])
