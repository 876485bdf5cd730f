"""The public names of key accounts on companies: fields of the current company's account.

Automation rules, filters, imports and RPC clients written against the
partner names of the contract (``kam_tier_id``, ``kam_phase``, …) keep working:
each reads the account of the partner in the current company, searches it,
and writes it (the account is created on demand).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..kam_sales_process.vocabulary import PERSONAL_LEVEL_LABELS, PHASE_LABELS
from .kam_fields import FiniteFloat
from .kam_guards import field_labels

#: partner field -> account field, for every public name.
MIRRORED_FIELDS = {
    "kam_tier_id": "tier_id",
    "kam_tier_score": "tier_score",
    "kam_quadrant": "quadrant",
    "kam_is_key_account": "is_key_account",
    "kam_tier_date": "tier_date",
    "kam_won_revenue": "won_revenue",
    "kam_won_count": "won_count",
    "kam_lost_count": "lost_count",
    "kam_pipeline": "pipeline",
    "kam_last_won_date": "last_won_date",
    "kam_deep_contacts": "deep_contacts",
    "kam_margin_rate": "margin_rate",
    "kam_rating_strategic_fit": "rating_strategic_fit",
    "kam_rating_financial_health": "rating_financial_health",
    "kam_rating_chain_transparency": "rating_chain_transparency",
    "kam_rating_demand_continuity": "rating_demand_continuity",
    "kam_phase": "phase",
    "kam_phase_date": "phase_date",
    "kam_share_of_wallet": "share_of_wallet",
    "kam_company_relationship": "company_relationship",
    "kam_phase_alert": "phase_alert",
    "kam_phase_alert_reason": "phase_alert_reason",
}
#: Computed from the account (or from what an account would show): nobody sets them.
DERIVED_FIELDS = frozenset(
    {
        "kam_tier_breakdown",
        "kam_phase_suggested",
        "kam_phase_suggestion",
        "kam_departments",
        "kam_deepest_level",
        "kam_relationship_months",
        "kam_relationship_grid",
    }
)
#: Who reads the deal figures and the tier of companies.
SALES_USERS = "kam_sales_process.group_kam_user"
#: Mirrored fields a sales manager may set through the company (the others are the scorecard's).
WRITABLE = frozenset(
    {
        "kam_tier_id",
        "kam_is_key_account",
        "kam_margin_rate",
        "kam_rating_strategic_fit",
        "kam_rating_financial_health",
        "kam_rating_chain_transparency",
        "kam_rating_demand_continuity",
        "kam_phase",
        "kam_share_of_wallet",
        "kam_company_relationship",
    }
)


class ResPartner(models.Model):
    _inherit = "res.partner"

    kam_account_ids = fields.One2many(
        "kam.account", "partner_id", string="Key Accounts", help="This customer's account with each of our companies."
    )
    kam_account_id = fields.Many2one(
        "kam.account",
        string="Account in This Company",
        compute="_compute_kam_account_id",
        search="_search_kam_account_id",
        help="This customer's account with the current company.",
    )
    kam_tier_id = fields.Many2one(
        related="kam_account_id.tier_id", depends_context=("company",), readonly=False, groups=SALES_USERS
    )
    kam_tier_score = fields.Float(related="kam_account_id.tier_score", depends_context=("company",), groups=SALES_USERS)
    kam_quadrant = fields.Selection(related="kam_account_id.quadrant", depends_context=("company",), groups=SALES_USERS)
    kam_is_key_account = fields.Boolean(
        related="kam_account_id.is_key_account", depends_context=("company",), readonly=False, groups=SALES_USERS
    )
    kam_tier_date = fields.Datetime(
        related="kam_account_id.tier_date", depends_context=("company",), groups=SALES_USERS
    )
    kam_won_revenue = fields.Monetary(
        related="kam_account_id.won_revenue",
        depends_context=("company",),
        currency_field="kam_currency_id",
        groups=SALES_USERS,
    )
    kam_won_count = fields.Integer(related="kam_account_id.won_count", depends_context=("company",), groups=SALES_USERS)
    kam_lost_count = fields.Integer(
        related="kam_account_id.lost_count", depends_context=("company",), groups=SALES_USERS
    )
    kam_pipeline = fields.Monetary(
        related="kam_account_id.pipeline",
        depends_context=("company",),
        currency_field="kam_currency_id",
        groups=SALES_USERS,
    )
    kam_last_won_date = fields.Date(
        related="kam_account_id.last_won_date", depends_context=("company",), groups=SALES_USERS
    )
    kam_deep_contacts = fields.Integer(
        related="kam_account_id.deep_contacts", depends_context=("company",), groups=SALES_USERS
    )
    kam_currency_id = fields.Many2one("res.currency", compute="_compute_kam_currency_id", string="Account Currency")
    kam_margin_rate = FiniteFloat(related="kam_account_id.margin_rate", depends_context=("company",), readonly=False)
    kam_rating_strategic_fit = fields.Selection(
        related="kam_account_id.rating_strategic_fit", depends_context=("company",), readonly=False
    )
    kam_rating_financial_health = fields.Selection(
        related="kam_account_id.rating_financial_health", depends_context=("company",), readonly=False
    )
    kam_rating_chain_transparency = fields.Selection(
        related="kam_account_id.rating_chain_transparency", depends_context=("company",), readonly=False
    )
    kam_rating_demand_continuity = fields.Selection(
        related="kam_account_id.rating_demand_continuity", depends_context=("company",), readonly=False
    )
    kam_tier_breakdown = fields.Html(
        string="Why This Tier",
        compute="_compute_kam_tier_breakdown",
        sanitize=False,
        groups=SALES_USERS,
        help="Each criterion's raw value, points and weight as last scored.",
    )
    kam_phase = fields.Selection(related="kam_account_id.phase", depends_context=("company",), readonly=False)
    kam_phase_date = fields.Date(related="kam_account_id.phase_date", depends_context=("company",))
    kam_phase_history_ids = fields.One2many(related="kam_account_id.phase_history_ids", depends_context=("company",))
    kam_share_of_wallet = FiniteFloat(
        related="kam_account_id.share_of_wallet", depends_context=("company",), readonly=False
    )
    kam_company_relationship = fields.Selection(
        related="kam_account_id.company_relationship", depends_context=("company",), readonly=False
    )
    kam_phase_alert = fields.Boolean(related="kam_account_id.phase_alert", depends_context=("company",))
    kam_phase_alert_reason = fields.Char(related="kam_account_id.phase_alert_reason", depends_context=("company",))
    kam_phase_suggested = fields.Selection(
        list(PHASE_LABELS),
        string="Suggested Phase",
        compute="_compute_kam_phase_evidence",
        help="The phase the evidence points to: share of wallet, departments engaged, deepest relationship, won "
        "deals, months of relationship (or the disintegration alert).",
    )
    kam_phase_suggestion = fields.Char(
        string="Because", compute="_compute_kam_phase_evidence", help="The evidence behind the suggestion."
    )
    kam_departments = fields.Integer(
        string="Departments Engaged",
        compute="_compute_kam_phase_evidence",
        help="Distinct job positions of the people in the account's buying centres.",
    )
    kam_deepest_level = fields.Selection(
        list(PERSONAL_LEVEL_LABELS),
        string="Deepest Personal Relationship",
        compute="_compute_kam_phase_evidence",
        help="The deepest relationship level reached with someone in the account's buying centres.",
    )
    kam_relationship_months = fields.Integer(
        string="Months of Relationship", compute="_compute_kam_phase_evidence", help="Since the account's first deal."
    )
    kam_relationship_grid = fields.Html(
        string="Relationship Grid",
        compute="_compute_kam_phase_evidence",
        sanitize=False,
        help="Company relationship level x deepest personal relationship level (the 25-cell grid).",
    )

    @api.depends("kam_account_ids.company_id")
    @api.depends_context("company")
    def _compute_kam_account_id(self):
        company = self.env.company
        accounts = self.env["kam.account"].search_fetch(
            [("partner_id", "in", self._origin.ids), ("company_id", "=", company.id)], ["partner_id"]
        )
        by_partner = {account.partner_id.id: account for account in accounts}
        Account = self.env["kam.account"]
        for partner in self:
            partner.kam_account_id = by_partner.get(partner._origin.id, Account)

    def _search_kam_account_id(self, operator, value):
        in_company = [("company_id", "=", self.env.company.id)]
        if operator in ("any", "not any"):
            return [("kam_account_ids", operator, in_company + list(value))]
        if operator in ("=", "!=") and not value:
            return [("kam_account_ids", "not any" if operator == "=" else "any", in_company)]
        return [("kam_account_ids", "any", [*in_company, ("id", operator, value)])]

    def _kam_accounts_or_new(self):
        """The current company's account of each of these partners, or a new (unsaved) one where none exists:
        what an account would show, without creating one by reading."""
        Account = self.env["kam.account"]
        accounts = [
            partner.kam_account_id or Account.new({"partner_id": partner._origin.id, "company_id": self.env.company.id})
            for partner in self
        ]
        return Account.concat(*accounts)

    @api.depends("kam_account_ids.tier_date", "kam_account_ids.tier_score")
    @api.depends_context("company", "lang")
    def _compute_kam_tier_breakdown(self):
        for partner, account in zip(self, self._kam_accounts_or_new(), strict=True):
            partner.kam_tier_breakdown = account.tier_breakdown

    @api.depends(
        "kam_account_ids.phase_alert", "kam_account_ids.share_of_wallet", "kam_account_ids.company_relationship"
    )
    @api.depends_context("company", "lang")
    def _compute_kam_phase_evidence(self):
        companies = self.filtered(lambda partner: partner.is_company and partner._origin.id)
        (self - companies).update(
            {
                "kam_phase_suggested": False,
                "kam_phase_suggestion": False,
                "kam_departments": 0,
                "kam_deepest_level": False,
                "kam_relationship_months": 0,
                "kam_relationship_grid": False,
            }
        )
        for partner, account in zip(companies, companies._kam_accounts_or_new(), strict=True):
            partner.kam_phase_suggested = account.phase_suggested
            partner.kam_phase_suggestion = account.phase_suggestion
            partner.kam_departments = account.departments
            partner.kam_deepest_level = account.deepest_level
            partner.kam_relationship_months = account.relationship_months
            partner.kam_relationship_grid = account.relationship_grid

    @api.depends_context("company")
    def _compute_kam_currency_id(self):
        self.kam_currency_id = self.env.company.currency_id

    # --- writing through the company ---------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        mirrored = [
            {name: vals.pop(name) for name in list(vals) if name in MIRRORED_FIELDS or name in DERIVED_FIELDS}
            for vals in vals_list
        ]
        partners = super().create(vals_list)
        for partner, values in zip(partners, mirrored, strict=True):
            if values:
                partner.write(values)
        return partners

    def write(self, vals):
        mirrored = (MIRRORED_FIELDS.keys() | DERIVED_FIELDS) & vals.keys()
        if mirrored and not self.env.su:
            if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
                raise AccessError(
                    self.env._(
                        "Only sales managers set the tier, ratings or relationship phase of an account (%(fields)s).",
                        fields=field_labels(self, mirrored),
                    )
                )
            computed = mirrored - WRITABLE
            if computed:
                raise UserError(
                    self.env._(
                        "%(fields)s of an account are computed by the scorecard and cannot be set.",
                        fields=field_labels(self, computed),
                    )
                )
        if not mirrored:
            return super().write(vals)
        people = self.filtered(lambda partner: not partner.is_company)
        if people:
            raise UserError(
                self.env._(
                    "Key-account values belong to companies, not to people: %(people)s",
                    people=", ".join(people.mapped("display_name")[:10]),
                )
            )
        # Written on the current company's accounts, in one write (created where missing).
        accounts = self._kam_accounts_to_write()
        accounts.write({MIRRORED_FIELDS[name]: vals[name] for name in mirrored if name in MIRRORED_FIELDS})
        self.invalidate_recordset([*mirrored, "kam_account_id"])
        rest = {name: value for name, value in vals.items() if name not in mirrored}
        return super().write(rest) if rest else True

    def _kam_accounts_to_write(self):
        """The current company's accounts of these companies, created (as the current user) where missing."""
        Account = self.env["kam.account"]
        accounts = Account.search([("partner_id", "in", self.ids), ("company_id", "=", self.env.company.id)])
        missing = self - accounts.partner_id
        if missing:
            accounts |= Account.create(
                [{"partner_id": partner.id, "company_id": self.env.company.id} for partner in missing]
            )
        return accounts

    # --- actions on the current company's account ---------------------------------------

    def _kam_accounts(self):
        """The current company's accounts of these companies (or of these people's companies), created on demand."""
        customers = self.commercial_partner_id.filtered("is_company")
        return self.env["kam.account"]._kam_get_or_create(customers, self.env.company).with_env(self.env)

    def _kam_recompute_tiers(self):
        """Score the accounts of these companies (or of the companies of these people) in the current company."""
        return self.env["kam.account"]._kam_score_customers(self, self.env.company)

    def action_kam_recompute_tiers(self):
        return self._kam_accounts().action_kam_recompute_tiers()

    def action_kam_apply_suggested_phase(self):
        return self._kam_accounts().action_kam_apply_suggested_phase()

    def action_kam_change_phase(self):
        self.ensure_one()
        return self._kam_accounts().action_kam_change_phase()

    def action_kam_open_account(self):
        """Open the current company's account of this customer."""
        self.ensure_one()
        account = self._kam_accounts()
        if not account:
            raise UserError(self.env._("Only a customer company has a key account: not a person, nor our own company."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "kam.account",
            "res_id": account.id,
            "view_mode": "form",
        }
