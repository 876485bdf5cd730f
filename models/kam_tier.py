from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..kam_sales_process.tiering import RATING_CODES, parse_thresholds
from .kam_fields import FiniteFloat


class KamTier(models.Model):
    _name = "kam.tier"
    _description = "Account Tier"
    _order = "min_score desc, sequence, id"

    name = fields.Char(required=True, translate=True, help="E.g. Strategic, Key, Growth, Maintain; or VIP, Platinum…")
    sequence = fields.Integer(default=10, help="Order of the tiers in lists and kanban columns.")
    min_score = FiniteFloat(
        string="Minimum Score",
        required=True,
        help="An account reaching this value scorecard score (0-100) gets this tier, unless it reaches a tier with "
        "a higher minimum.",
    )
    color = fields.Integer(help="Colour of the tier's badge.")
    active = fields.Boolean(default=True, help="Archived tiers are no longer given to accounts.")
    description = fields.Text(translate=True, help="How accounts of this tier are served.")
    is_key_account = fields.Boolean(
        string="Key Account Tier",
        compute="_compute_is_key_account",
        help="Accounts of this tier count as key accounts (Settings: minimum key-account tier).",
    )

    _sql_constraints = [
        (
            "min_score_range",
            "CHECK(min_score >= 0 AND min_score <= 100)",
            "A tier's minimum score is between 0 and 100.",
        ),
    ]

    @api.depends_context("company")
    def _compute_is_key_account(self):
        threshold = self._kam_key_account_min_score()
        for tier in self:
            tier.is_key_account = threshold is not None and tier.min_score >= threshold

    @api.model
    def _kam_key_account_min_score(self):
        """The minimum score of the configured minimum key-account tier, or ``None`` (no key accounts)."""
        tier = self.env.company.sudo().kam_key_account_tier_id
        return tier.min_score if tier else None


class KamTierCriterion(models.Model):
    _name = "kam.tier.criterion"
    _description = "Account Scorecard Criterion"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(
        [
            ("won_revenue", "Won revenue (look-back window)"),
            ("won_count", "Number of won deals"),
            ("average_won", "Average won deal"),
            ("win_rate", "Win rate (%)"),
            ("pipeline", "Open weighted pipeline"),
            ("days_since_won", "Days since the last won deal"),
            ("relationship_depth", "Buying-centre relationship depth"),
            ("strategic_fit", "Strategic fit (rating)"),
            ("financial_health", "Financial health (rating)"),
            ("chain_transparency", "Decision-chain transparency (rating)"),
            ("demand_continuity", "Demand continuity (rating)"),
        ],
        required=True,
        help="What the criterion measures. Amounts are in the company's currency; ratings are the 0-5 stars set by "
        "hand on the company.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, help="Archived criteria do not count.")
    weight = FiniteFloat(default=1.0, help="Relative weight in the account score; 0 leaves the criterion out.")
    thresholds = fields.Char(
        help="Ascending values, separated by commas: reaching the k-th of n thresholds earns k/n of 100 points "
        "(e.g. '100000, 500000, 1000000, 5000000'). Not used by ratings, which earn 20 points a star.",
    )
    higher_is_better = fields.Boolean(
        default=True,
        help="Untick when a lower value is better (days since the last won deal): then a value at or below a "
        "threshold earns its points.",
    )
    is_rating = fields.Boolean(compute="_compute_is_rating", help="A manual rating, scored by stars.")
    description = fields.Text(string="Guidance", translate=True, help="How to read and tune this criterion.")

    _sql_constraints = [
        ("code_unique", "UNIQUE(code)", "Each criterion can be in the scorecard only once."),
        ("weight_positive", "CHECK(weight >= 0)", "A criterion's weight cannot be negative."),
    ]

    @api.depends("code")
    def _compute_is_rating(self):
        for criterion in self:
            criterion.is_rating = criterion.code in RATING_CODES

    @api.constrains("thresholds")
    def _check_thresholds(self):
        for criterion in self:
            try:
                parse_thresholds(criterion.thresholds)
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "The thresholds of '%(criterion)s' must be numbers in ascending order, separated by commas "
                        "(e.g. 100000, 500000, 1000000); got '%(value)s'.",
                        criterion=criterion.name,
                        value=criterion.thresholds,
                    )
                ) from None
