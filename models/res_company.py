from odoo import fields, models

from .kam_fields import FiniteFloat, FiniteMonetary


class ResCompany(models.Model):
    _inherit = "res.company"

    kam_key_account_tier_id = fields.Many2one(
        "kam.tier",
        string="Minimum Key-Account Tier",
        help="Accounts in this tier or a tier with a higher minimum score are key accounts. Empty: no key accounts.",
    )
    kam_tier_scope = fields.Selection(
        [("company", "This company and its branches"), ("group", "All companies (amounts converted)")],
        string="Scorecard Scope",
        default="company",
        required=True,
        help="Whose deals count in this company's account scorecards. 'All companies' gives a group-wide view: "
        "amounts of companies in other currencies are converted to this company's currency at today's rate.",
    )
    kam_tier_months = fields.Integer(
        string="Look-back (months)",
        default=12,
        help="Won revenue, won deals and win rate count the deals closed within this many months.",
    )
    kam_quadrant_volume_cutoff = FiniteMonetary(
        string="High Volume From",
        currency_field="currency_id",
        default=1_000_000,
        help="Accounts whose won revenue over the look-back window reaches this amount have a high volume.",
    )
    kam_quadrant_margin_cutoff = FiniteFloat(
        string="High Margin From (%)",
        default=20.0,
        help="Accounts whose estimated gross margin reaches this percentage are highly profitable.",
    )
    kam_phase_alert_days = fields.Integer(
        string="Disintegration Alert After (days)",
        default=180,
        help="An account in a relationship phase with no won deal and no logged interaction for this many days is "
        "flagged and its manager gets an activity. 0 switches the alert off.",
    )
    kam_key_deal_amount = FiniteMonetary(
        string="Key Deal From",
        currency_field="currency_id",
        default=100_000,
        help="Losing a deal of at least this expected revenue (or marked with three stars) flags its account.",
    )
