"""Account tiers on companies: the value scorecard, set-based and per company.

The scorecard fields are company-dependent: each company of the database
scores the same customer with its own deals (or, when its scope is "all
companies", the whole group's deals converted to its currency), so tiers never
leak between companies.  Figures come from grouped SQL aggregates, a batch of
accounts at a time; the arithmetic lives in ``kam_sales_process.tiering``.
"""

import contextlib
import dataclasses
from collections import defaultdict

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape
from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, split_every
from odoo.tools.misc import formatLang

from ..kam_sales_process.tiering import RATING_CODES, AccountFigures, Criterion, parse_thresholds, pick_tier, quadrant
from ..kam_sales_process.tiering import score_account as score_figures

RATINGS = [
    ("0", "Not rated"),
    ("1", "Poor"),
    ("2", "Fair"),
    ("3", "Good"),
    ("4", "Very good"),
    ("5", "Excellent"),
]
QUADRANTS = [("star", "Star"), ("elephant", "Elephant"), ("cash_cow", "Cash Cow"), ("dog", "Dog")]
DEEP_LEVELS = ("opinions", "behaviour", "values")
#: Scorecard figures written by the recompute (company-dependent columns).
FIGURE_FIELDS = (
    "kam_tier_score",
    "kam_quadrant",
    "kam_tier_date",
    "kam_won_revenue",
    "kam_won_count",
    "kam_lost_count",
    "kam_pipeline",
    "kam_last_won_date",
    "kam_deep_contacts",
)
MANUAL_FIELDS = (*("kam_rating_" + code for code in RATING_CODES), "kam_margin_rate")
BATCH_SIZE = 5000
#: Who reads the deal figures on companies.
SALES_USERS = "kam_sales_process.group_kam_user"
#: Company-dependent account values only the scorecard (superuser) and managers write.
MANAGED_FIELDS = frozenset(
    {
        "kam_tier_id",
        "kam_is_key_account",
        *FIGURE_FIELDS,
        *MANUAL_FIELDS,
        "kam_phase",
        "kam_phase_date",
        "kam_share_of_wallet",
        "kam_company_relationship",
        "kam_phase_alert",
        "kam_phase_alert_reason",
    }
)
ZERO_IS_NULL_FIELDS = frozenset(
    {
        "kam_tier_score",
        "kam_won_revenue",
        "kam_won_count",
        "kam_lost_count",
        "kam_pipeline",
        "kam_deep_contacts",
        "kam_margin_rate",
    }
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    kam_tier_id = fields.Many2one(
        "kam.tier",
        string="Account Tier",
        company_dependent=True,
        tracking=True,
        index=True,
        ondelete="set null",
        help="Picked by the value scorecard score: the tier with the highest minimum score the account reaches.",
        groups=SALES_USERS,
    )
    kam_tier_score = fields.Float(
        string="Tier Score",
        company_dependent=True,
        digits=(5, 1),
        index=False,
        help="The account's value scorecard score 0-100: each criterion's points (0-100) weighted.",
        groups=SALES_USERS,
    )
    kam_quadrant = fields.Selection(
        QUADRANTS,
        string="Quadrant",
        company_dependent=True,
        index=False,
        help="Volume x profit: star (high, high), elephant (high volume, low margin), cash cow (low volume, high "
        "margin), dog (low, low). Cut-offs in Settings.",
        groups=SALES_USERS,
    )
    kam_is_key_account = fields.Boolean(
        string="Key Account",
        company_dependent=True,
        index=False,
        help="In the minimum key-account tier (Settings) or above.",
        groups=SALES_USERS,
    )
    kam_tier_date = fields.Datetime(
        string="Scored On",
        company_dependent=True,
        index=False,
        help="When the scorecard was last computed.",
        groups=SALES_USERS,
    )
    kam_won_revenue = fields.Float(
        string="Won Revenue",
        company_dependent=True,
        digits="Account",
        index=False,
        help="Expected revenue of the deals won within the look-back window, in the company's currency.",
        groups=SALES_USERS,
    )
    kam_won_count = fields.Integer(
        string="Won Deals",
        company_dependent=True,
        index=False,
        help="Deals won within the look-back window.",
        groups=SALES_USERS,
    )
    kam_lost_count = fields.Integer(
        string="Lost Deals",
        company_dependent=True,
        index=False,
        help="Deals lost within the look-back window.",
        groups=SALES_USERS,
    )
    kam_pipeline = fields.Float(
        string="Weighted Pipeline",
        company_dependent=True,
        digits="Account",
        index=False,
        help="Expected revenue x probability of the open opportunities, in the company's currency.",
        groups=SALES_USERS,
    )
    kam_last_won_date = fields.Date(
        string="Last Won",
        company_dependent=True,
        index=False,
        help="When the account's last won deal was closed.",
        groups=SALES_USERS,
    )
    kam_deep_contacts = fields.Integer(
        string="Deep Relationships",
        company_dependent=True,
        index=False,
        help="People in the account's buying centres with whom the relationship reached opinions, behaviour or values.",
        groups=SALES_USERS,
    )
    kam_margin_rate = fields.Float(
        string="Estimated Margin (%)",
        company_dependent=True,
        index=False,
        help="Your estimate of the gross margin earned on this account: the profit axis of the quadrant.",
    )
    kam_rating_strategic_fit = fields.Selection(
        RATINGS,
        string="Strategic Fit",
        company_dependent=True,
        index=False,
        help="How well the account fits your strategy (industry, region, products you want to grow).",
    )
    kam_rating_financial_health = fields.Selection(
        RATINGS,
        string="Financial Health",
        company_dependent=True,
        index=False,
        help="Solvency and payment behaviour: credit, collection period, overdue amounts.",
    )
    kam_rating_chain_transparency = fields.Selection(
        RATINGS,
        string="Decision-Chain Transparency",
        company_dependent=True,
        index=False,
        help="How clearly you know who decides, who evaluates and how the customer buys.",
    )
    kam_rating_demand_continuity = fields.Selection(
        RATINGS,
        string="Demand Continuity",
        company_dependent=True,
        index=False,
        help="Whether the account keeps buying: recurring needs, projects in sight, long-term plans.",
    )
    kam_tier_breakdown = fields.Html(
        string="Why This Tier",
        compute="_compute_kam_tier_breakdown",
        sanitize=False,
        help="Each criterion's raw value, points and weight as last scored.",
        groups=SALES_USERS,
    )

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        # A company-dependent number equal to its fallback (0) is stored as NULL: sort
        # it as the 0 it means, not before every score in a descending order.
        if field_name in ZERO_IS_NULL_FIELDS and not nulls.code:
            nulls = SQL("NULLS LAST") if direction.code.upper() == "DESC" else SQL("NULLS FIRST")
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    # --- why this tier -----------------------------------------------------

    @api.depends_context("company", "lang")
    def _compute_kam_tier_breakdown(self):
        records = self._kam_get_criterion_records()
        criteria = self._kam_get_criteria(records)
        labels = {criterion.code: criterion.name for criterion in records}
        today = fields.Date.context_today(self)
        currency = self.env.company.currency_id
        for partner in self:
            if not partner.kam_tier_date:
                partner.kam_tier_breakdown = Markup("<p class='text-muted'>%s</p>") % self.env._(
                    "Not scored yet: the scorecard is computed daily, or with Recompute Tiers."
                )
                continue
            score, lines = score_figures(partner._kam_stored_figures(today), criteria)
            rows = Markup("").join(
                Markup(
                    "<tr><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td>"
                    "<td class='text-end'>%s</td><td class='text-end'>%s</td></tr>"
                )
                % (
                    labels.get(line["code"], line["code"]),
                    partner._kam_format_value(line["code"], line["value"], currency),
                    formatLang(self.env, line["points"], digits=0),
                    formatLang(self.env, line["weight"], digits=1),
                    formatLang(self.env, line["contribution"], digits=1),
                )
                for line in lines
            )
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
            foot = Markup("<tr class='fw-bold'><td colspan='4'>%s</td><td class='text-end'>%s</td></tr>") % (
                self.env._("Score"),
                formatLang(self.env, score, digits=1),
            )
            partner.kam_tier_breakdown = Markup(
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

    def _kam_stored_figures(self, today):
        self.ensure_one()
        return AccountFigures(
            won_revenue=self.kam_won_revenue,
            won_count=self.kam_won_count,
            lost_count=self.kam_lost_count,
            pipeline=self.kam_pipeline,
            days_since_won=(today - self.kam_last_won_date).days if self.kam_last_won_date else None,
            deep_contacts=self.kam_deep_contacts,
            ratings={code: int(self["kam_rating_" + code] or 0) for code in RATING_CODES},
        )

    # --- configuration ---------------------------------------------------------

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
    def _kam_scope_companies(self, company):
        """The companies whose deals count in ``company``'s scorecards."""
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        if company.kam_tier_scope == "group":
            return companies.search([("active", "in", (True, False))])
        return companies.search([("id", "child_of", company.id)])

    @api.model
    def _kam_own_company_partners(self):
        """The partners of the database's own companies: never scored as customers."""
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        return companies.search([("active", "in", (True, False))]).partner_id

    @api.model
    def _kam_accounts_domain(self, company):
        own = self._kam_own_company_partners()
        return [
            ("is_company", "=", True),
            ("id", "not in", own.ids),  # the database's own companies are no customers
            "|",
            ("company_id", "=", False),
            ("company_id", "in", self._kam_scope_companies(company).ids),
        ]

    # --- figures -------------------------------------------------------------------

    @api.model
    def _kam_read_figures(self, account_ids, company, today):
        """AccountFigures (without ratings) by account id, from two grouped queries."""
        scope = self._kam_scope_companies(company)
        since = today - relativedelta(months=company.kam_tier_months or 12)
        self.env["crm.lead"].flush_model(
            [
                "partner_id",
                "company_id",
                "active",
                "stage_id",
                "probability",
                "expected_revenue",
                "prorated_revenue",
                "date_closed",
                "type",
            ]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["kam.stakeholder"].flush_model(["lead_id", "partner_id", "relationship_level"])
        rows = self.env.execute_query(
            SQL(
                """
            SELECT p.commercial_partner_id,
                   c.currency_id,
                   SUM(l.expected_revenue) FILTER (WHERE l.active AND s.is_won AND l.date_closed >= %(since)s),
                   COUNT(*) FILTER (WHERE l.active AND s.is_won AND l.date_closed >= %(since)s),
                   COUNT(*) FILTER (WHERE NOT l.active AND l.probability = 0 AND l.date_closed >= %(since)s),
                   SUM(l.prorated_revenue) FILTER (WHERE l.active AND l.type = 'opportunity'
                                                   AND NOT COALESCE(s.is_won, FALSE)),
                   MAX(l.date_closed) FILTER (WHERE l.active AND s.is_won)
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
              JOIN res_company c ON c.id = COALESCE(l.company_id, %(company)s)
              LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE p.commercial_partner_id = ANY(%(accounts)s)
               AND COALESCE(l.company_id, %(company)s) = ANY(%(scope)s)
          GROUP BY p.commercial_partner_id, c.currency_id
            """,
                since=since,
                company=company.id,
                accounts=list(account_ids),
                scope=scope.ids,
            )
        )
        deep = dict(
            self.env.execute_query(
                SQL(
                    """
            SELECT p.commercial_partner_id, COUNT(DISTINCT st.partner_id)
              FROM kam_stakeholder st
              JOIN crm_lead l ON l.id = st.lead_id
              JOIN res_partner p ON p.id = l.partner_id
             WHERE p.commercial_partner_id = ANY(%(accounts)s)
               AND COALESCE(l.company_id, %(company)s) = ANY(%(scope)s)
               AND st.relationship_level IN %(levels)s
          GROUP BY p.commercial_partner_id
            """,
                    accounts=list(account_ids),
                    company=company.id,
                    scope=scope.ids,
                    levels=DEEP_LEVELS,
                )
            )
        )
        rates = self._kam_currency_rates({row[1] for row in rows}, company, today)
        totals = defaultdict(
            lambda: {"won_revenue": 0.0, "won_count": 0, "lost_count": 0, "pipeline": 0.0, "last_won": None}
        )
        for account_id, currency_id, won, won_count, lost_count, pipeline, last_won in rows:
            rate = rates[currency_id]
            total = totals[account_id]
            total["won_revenue"] += (won or 0.0) * rate
            total["won_count"] += won_count
            total["lost_count"] += lost_count
            total["pipeline"] += (pipeline or 0.0) * rate
            if last_won and (total["last_won"] is None or last_won > total["last_won"]):
                total["last_won"] = last_won
        figures = {}
        for account_id in account_ids:
            total = totals.get(account_id)
            last_won = total and total["last_won"] and total["last_won"].date()
            figures[account_id] = (
                AccountFigures(
                    won_revenue=total["won_revenue"] if total else 0.0,
                    won_count=total["won_count"] if total else 0,
                    lost_count=total["lost_count"] if total else 0,
                    pipeline=total["pipeline"] if total else 0.0,
                    days_since_won=(today - last_won).days if last_won else None,
                    deep_contacts=deep.get(account_id, 0),
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

    # --- recompute -------------------------------------------------------------------------

    def _kam_recompute_tiers(self, batch_size=BATCH_SIZE):
        """Score the companies of ``self`` (and the companies of the people in it) in the current company."""
        own = self._kam_own_company_partners()
        accounts = self.commercial_partner_id.filtered("is_company") - own
        return accounts.sudo()._kam_score_accounts(batch_size=batch_size)

    @api.model
    def _kam_recompute_all_tiers(self, batch_size=BATCH_SIZE):
        """Score every company of the database for the current company, batch by batch."""
        domain = self._kam_accounts_domain(self.env.company)
        accounts = self.sudo().search(domain, order="id")
        return accounts._kam_score_accounts(batch_size=batch_size)

    def _kam_score_accounts(self, batch_size=BATCH_SIZE):
        """Score these accounts (sudo) by batches; between batches the cache is dropped (bounded memory)."""
        company = self.env.company
        today = fields.Date.context_today(self)
        config = {
            "now": fields.Datetime.now(),
            "criteria": self._kam_get_criteria(),
            "tiers": [(tier.id, tier.min_score) for tier in self.env["kam.tier"].sudo().search([])],
            "key_min": self.env["kam.tier"]._kam_key_account_min_score(),
            "volume_cutoff": company.kam_quadrant_volume_cutoff,
            "margin_cutoff": company.kam_quadrant_margin_cutoff,
        }
        ids = self.ids
        done = 0
        for batch_ids in split_every(batch_size, ids):
            self.browse(batch_ids)._kam_score_batch(company, today, config)
            done += len(batch_ids)
            if done < len(ids):
                self.env.flush_all()
                self.env.invalidate_all()
        return done

    def _kam_score_batch(self, company, today, config):
        figures = self._kam_read_figures(self.ids, company, today)
        ratings, old_tiers = self._kam_read_ratings_and_tiers(company)
        field_names = FIGURE_FIELDS
        vals_list = []
        tier_changes = defaultdict(list)
        for partner in self:
            account_figures, last_won = figures[partner.id]
            account_figures = dataclasses.replace(account_figures, ratings=ratings.get(partner.id, {}))
            score, _lines = score_figures(account_figures, config["criteria"])
            tier_id = pick_tier(score, config["tiers"]) or False
            tier_min = dict(config["tiers"]).get(tier_id)
            is_key = bool(tier_id and config["key_min"] is not None and tier_min >= config["key_min"])
            margin = ratings.get(partner.id, {}).get("margin", 0.0)
            values = {
                "kam_tier_score": score,
                "kam_quadrant": quadrant(
                    account_figures.won_revenue, margin, config["volume_cutoff"], config["margin_cutoff"]
                ),
                "kam_tier_date": config["now"],
                "kam_won_revenue": round(account_figures.won_revenue, 2),
                "kam_won_count": account_figures.won_count,
                "kam_lost_count": account_figures.lost_count,
                "kam_pipeline": round(account_figures.pipeline, 2),
                "kam_last_won_date": last_won,
                "kam_deep_contacts": account_figures.deep_contacts,
            }
            vals_list.append({name: values[name] for name in field_names})
            old_tier, old_key = old_tiers.get(partner.id, (False, False))
            if (old_tier, old_key) != (tier_id, is_key):
                tier_changes[(tier_id, is_key, bool(old_tier))].append(partner.id)
        self._kam_write_company_values(company, vals_list)
        # Tier changes go through write(): automation rules see them, and the chatter
        # tracks them; an account's first tier is not posted (it would flood every chatter
        # of the database with "Tier: Maintain" when the addon is installed).
        if tier_changes:
            # res.partner.write() syncs commercial fields to each company's contacts, one
            # contact at a time: read what it looks at for the whole batch first.
            changed = self.browse([pid for ids in tier_changes.values() for pid in ids])
            contacts = changed.child_ids
            (changed | contacts).mapped("user_ids")
            contacts.mapped("child_ids")
        for (tier_id, is_key, had_tier), partner_ids in tier_changes.items():
            self.browse(partner_ids).with_context(mail_notrack=not had_tier).write(
                {"kam_tier_id": tier_id, "kam_is_key_account": is_key}
            )

    def _kam_read_company_values(self, company, field_names):
        """{id: (values...)} of company-dependent fields for ``company``, read in one query."""
        columns = SQL(", ").join(SQL("%s->%s", SQL.identifier(name), str(company.id)) for name in field_names)
        self.flush_recordset(list(field_names))
        rows = self.env.execute_query(SQL("SELECT id, %s FROM res_partner WHERE id = ANY(%s)", columns, self.ids))
        return {row[0]: tuple(value or False for value in row[1:]) for row in rows}

    def _kam_read_ratings_and_tiers(self, company):
        """({id: {rating code: stars, "margin": %}}, {id: (tier id, key account)}) in one query."""
        names = [f"kam_rating_{code}" for code in RATING_CODES] + [
            "kam_margin_rate",
            "kam_tier_id",
            "kam_is_key_account",
        ]
        values = self._kam_read_company_values(company, names)
        ratings = {}
        tiers = {}
        count = len(RATING_CODES)
        for partner_id, row in values.items():
            ratings[partner_id] = {code: int(value or 0) for code, value in zip(RATING_CODES, row[:count], strict=True)}
            ratings[partner_id]["margin"] = float(row[count] or 0.0)
            tiers[partner_id] = tuple(row[count + 1 :])
        return ratings, tiers

    def _kam_write_company_values(self, company, vals_list):
        """Store figures of many accounts in few UPDATEs (one per batch, not per record).

        The figures are derived data: written below the ORM's ``write`` (no
        tracking, no automation rules), as the ORM itself flushes them.
        """
        if not self:
            return
        column_vals = []
        for partner, vals in zip(self, vals_list, strict=True):
            column_vals.append(
                {
                    name: self._fields[name].convert_to_column_update(
                        {company.id: self._fields[name].convert_to_cache(value, partner)}, partner
                    )
                    for name, value in vals.items()
                }
            )
        self.flush_recordset(list(vals_list[0]))
        self._write_multi(column_vals)
        self.invalidate_recordset([*vals_list[0], "write_date", "write_uid"])

    # --- entry points ------------------------------------------------------------------------

    def action_kam_recompute_tiers(self):
        """Button and list action for managers: rescore the selected companies now."""
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only sales managers can recompute account tiers."))
        count = self._kam_recompute_tiers() if self else self._kam_recompute_all_tiers()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s accounts scored.", count=count),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_kam_recompute_tiers(self, batch_size=BATCH_SIZE):
        """Daily: score the accounts not scored today, one batch per call, with progress.

        The cron framework calls again while ``remaining`` is positive, and
        commits between calls: a large database is done in many short steps.
        """
        run_start = self._kam_tier_run_start()
        remaining = 0
        todo = None
        for company in self.env["res.company"].sudo().search([("active", "=", True)]):
            partners = self.sudo().with_company(company)
            domain = [
                *partners._kam_accounts_domain(company),
                "|",
                ("kam_tier_date", "=", False),
                ("kam_tier_date", "<", run_start),
            ]
            if todo is None:
                batch = partners.search(domain, order="id", limit=batch_size)
                if batch:
                    todo = batch
                    remaining += partners.search_count(domain) - len(batch)
                    continue
            remaining += partners.search_count(domain)
        if todo is None:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        done = todo._kam_score_accounts(batch_size=batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def _kam_tier_run_start(self):
        """Accounts scored before this moment are due: the start of today (UTC), or a later full run asked for."""
        start = fields.Datetime.to_datetime(fields.Date.today())
        asked = self.env["ir.config_parameter"].sudo().get_param("kam_sales_process.tier_run_start")
        if asked:
            with contextlib.suppress(ValueError):
                start = max(start, fields.Datetime.to_datetime(asked))
        return start

    @api.model
    def _kam_request_full_rescore(self):
        """Every account is due again; the scheduled action is started now."""
        self.env["ir.config_parameter"].sudo().set_param(
            "kam_sales_process.tier_run_start", fields.Datetime.to_string(fields.Datetime.now())
        )
        self.env.ref("kam_sales_process.ir_cron_kam_recompute_tiers").sudo()._trigger()

    @api.model
    def _kam_check_managed(self, names):
        """Tiers, figures, ratings and phases of accounts are set by the scorecard or by sales managers."""
        managed = MANAGED_FIELDS & set(names)
        if managed and not self.env.su and not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(
                self.env._(
                    "Only sales managers set the tier, ratings or relationship phase of an account (%(fields)s).",
                    fields=", ".join(sorted(self._fields[name]._description_string(self.env) for name in managed)),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._kam_check_managed(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._kam_check_managed(vals)
        result = super().write(vals)
        if any(name in vals for name in MANUAL_FIELDS) and not self.env.context.get("kam_no_rescore"):
            self._kam_recompute_tiers()
        return result
