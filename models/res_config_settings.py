from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .crm_lead_grade import GRADE_PARAMS
from .kam_account_health import HEALTH_COMPONENTS, HEALTH_WEIGHT_PARAM
from .kam_fields import FiniteFloat, FiniteMonetary

HEALTH_DEFAULTS = {code: weight for code, _label, weight in HEALTH_COMPONENTS}


def _grade_field(key, string, help_text):
    return fields.Integer(
        string=string,
        config_parameter=f"kam_sales_process.grade_{key}",
        default=GRADE_PARAMS[key],
        help=help_text,
    )


def _health_field(code, string):
    return fields.Integer(
        string=string,
        config_parameter=HEALTH_WEIGHT_PARAM % code,
        default=HEALTH_DEFAULTS[code],
        help="The weight of this component in the account health score (the weights need not add up to 100).",
    )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    kam_new_face_days = fields.Integer(
        string="New Face Follow-up (days)",
        config_parameter="kam_sales_process.new_face_days",
        default=14,
        help="A person who joined a deal's buying centre and was not contacted within this many days raises the "
        "red flag 'new face not followed up'.",
    )
    kam_grade_a_probability = _grade_field(
        "a_probability", "Grade A: Probability ≥ (%)", "Grade A needs this win probability…"
    )
    kam_grade_a_days = _grade_field(
        "a_days", "Grade A: Closing Within (days)", "…and the expected closing within this many days."
    )
    kam_grade_b_probability = _grade_field(
        "b_probability", "Grade B: Probability ≥ (%)", "Grade B needs this win probability…"
    )
    kam_grade_b_days = _grade_field(
        "b_days", "Grade B: Closing Within (days)", "…and the expected closing within this many days."
    )
    kam_grade_c_probability = _grade_field(
        "c_probability",
        "Grade C: Probability ≥ (%)",
        "Grade C needs this win probability (deals without a closing date are graded C at best); below, D.",
    )
    kam_grade_c_days = _grade_field(
        "c_days", "Grade C: Closing Within (days)", "…and the expected closing within this many days."
    )
    kam_review_weeks = fields.Integer(
        string="Flag Deals Not Reviewed for (weeks)",
        config_parameter="kam_sales_process.review_weeks",
        default=4,
        help="An open deal that no closed deal review took for this many weeks is flagged 'Not Reviewed Lately' "
        "(0: never flagged).",
    )
    kam_plan_review_days = fields.Integer(
        string="Review Account Plans Every (days)",
        config_parameter="kam_sales_process.plan_review_days",
        default=90,
        help="The account manager is reminded to review a current plan this many days after its last review (or "
        "its start).",
    )
    kam_ltv_years = fields.Integer(
        string="Lifetime Value Horizon (years)",
        config_parameter="kam_sales_process.ltv_years",
        default=3,
        help="How many years of the account's yearly revenue its lifetime value counts (1 to 10; 3 to 5 is usual).",
    )
    kam_health_weight_profile = _health_field("profile", "Health: Profile Complete (weight)")
    kam_health_weight_players = _health_field("players", "Health: Key Players Covered (weight)")
    kam_health_weight_plan = _health_field("plan", "Health: Plan With Current Actions (weight)")
    kam_health_weight_freshness = _health_field("freshness", "Health: Relationship Freshness (weight)")
    kam_health_weight_review = _health_field("review", "Health: Review Rating (weight)")
    kam_key_account_tier_id = fields.Many2one(
        related="company_id.kam_key_account_tier_id", readonly=False, string="Minimum Key-Account Tier"
    )
    kam_tier_scope = fields.Selection(related="company_id.kam_tier_scope", readonly=False)
    kam_tier_months = fields.Integer(related="company_id.kam_tier_months", readonly=False)
    kam_quadrant_volume_cutoff = FiniteMonetary(
        related="company_id.kam_quadrant_volume_cutoff", readonly=False, currency_field="company_currency_id"
    )
    kam_quadrant_margin_cutoff = FiniteFloat(related="company_id.kam_quadrant_margin_cutoff", readonly=False)
    kam_phase_alert_days = fields.Integer(related="company_id.kam_phase_alert_days", readonly=False)
    kam_key_deal_amount = FiniteMonetary(
        related="company_id.kam_key_deal_amount", readonly=False, currency_field="company_currency_id"
    )
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")

    @api.constrains(
        "kam_grade_a_probability",
        "kam_grade_b_probability",
        "kam_grade_c_probability",
        "kam_grade_a_days",
        "kam_grade_b_days",
        "kam_grade_c_days",
    )
    def _check_kam_grade_matrix(self):
        for settings in self:
            probabilities = (
                settings.kam_grade_a_probability,
                settings.kam_grade_b_probability,
                settings.kam_grade_c_probability,
            )
            days = (settings.kam_grade_a_days, settings.kam_grade_b_days, settings.kam_grade_c_days)
            if not all(0 <= p <= 100 for p in probabilities) or any(d < 0 for d in days):
                raise ValidationError(
                    self.env._("Grade probabilities are between 0 and 100 and days cannot be negative.")
                )
            if not (probabilities[0] >= probabilities[1] >= probabilities[2] and days[0] <= days[1] <= days[2]):
                raise ValidationError(
                    self.env._(
                        "The grade matrix must be graded: A asks at least the probability of B, B of C; and A's "
                        "closing window is at most B's, B's at most C's."
                    )
                )

    def set_values(self):
        lead = self.env["crm.lead"]
        before = lead._kam_get_new_face_days()
        grades_before = lead._kam_get_grade_matrix()
        Plan = self.env["kam.account.plan"]
        cadence_before = Plan._kam_review_days()
        result = super().set_values()
        if Plan._kam_review_days() != cadence_before:
            # the next review of every plan follows the new cadence
            plans = Plan.sudo().with_context(active_test=False).search([("date_from", "!=", False)])
            self.env.add_to_compute(Plan._fields["next_review_date"], plans)
        if lead._kam_get_new_face_days() != before:
            lead._kam_refresh_all_red_flags()
        if lead._kam_get_grade_matrix() != grades_before:
            # Regrade every open deal with the new matrix (deals without a closing date too).
            self.env["kam.recompute.job"]._kam_schedule("grades", lead._kam_open_deals_to_grade(False))
        return result

    def action_kam_recompute_tiers(self):
        """Recompute every account's tier in the background (scheduled action, with progress)."""
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only sales managers can recompute account tiers."))
        self.env["kam.account"]._kam_request_full_rescore()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("The account tiers are being recomputed in the background."),
            },
        }
