"""Deals and the weekly review: their review history and the flag of a deal nobody reviewed lately."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

#: Settings key: weeks without a review before an open deal is flagged (0: never).
REVIEW_WEEKS_PARAM = "kam_sales_process.review_weeks"
REVIEW_WEEKS_DEFAULT = 4


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kam_review_line_ids = fields.One2many(
        "kam.deal.review.line", "lead_id", string="Reviews", readonly=True, help="What each review said of the deal."
    )
    kam_last_review_date = fields.Datetime(
        string="Last Reviewed",
        compute="_compute_kam_last_review_date",
        store=True,
        help="When the deal was last put through a closed deal review.",
    )
    kam_review_overdue = fields.Boolean(
        string="Not Reviewed Lately",
        compute="_compute_kam_review_overdue",
        search="_search_kam_review_overdue",
        help="An open deal no closed review took for the number of weeks set in Settings.",
    )

    @api.model
    def _kam_get_review_cutoff(self):
        """The date before which an open deal's last review is overdue, or None when the flag is off."""
        try:
            weeks = int(self.env["ir.config_parameter"].sudo().get_param(REVIEW_WEEKS_PARAM, REVIEW_WEEKS_DEFAULT))
        except (TypeError, ValueError):
            weeks = REVIEW_WEEKS_DEFAULT
        return fields.Datetime.now() - timedelta(weeks=weeks) if weeks > 0 else None

    @api.depends("kam_review_line_ids.review_id.state", "kam_review_line_ids.review_date")
    def _compute_kam_last_review_date(self):
        """Stored (a review closes once a week; a deal is opened all day long), in one query for the batch."""
        last = {}
        if self._origin.ids:
            Line = self.env["kam.deal.review.line"].sudo()
            last = {
                lead.id: date
                for lead, date in Line._read_group(
                    [("lead_id", "in", self._origin.ids), ("review_id.state", "=", "done")],
                    ["lead_id"],
                    ["review_date:max"],
                )
            }
        for lead in self:
            lead.kam_last_review_date = last.get(lead._origin.id)

    def _compute_kam_review_overdue(self):
        cutoff = self._kam_get_review_cutoff()
        for lead in self:
            date = lead.kam_last_review_date
            lead.kam_review_overdue = bool(
                cutoff
                and lead.type == "opportunity"
                and lead.active
                and not lead.stage_id.is_won
                and (date or lead.create_date or cutoff) < cutoff
            )

    def _search_kam_review_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Search 'Not Reviewed Lately' with 'is set' or 'is not set'."))
        cutoff = self._kam_get_review_cutoff()
        want = (operator == "=") == value
        if cutoff is None:
            return [(0, "=", 1)] if want else []
        self.env["kam.deal.review.line"].flush_model(["lead_id", "review_date"])
        self.env["kam.deal.review"].flush_model(["state"])
        self.env.cr.execute(
            """
            SELECT line.lead_id
              FROM kam_deal_review_line line
              JOIN kam_deal_review review ON review.id = line.review_id
             WHERE review.state = 'done' AND line.review_date >= %s AND line.lead_id IS NOT NULL
            """,
            [cutoff],
        )
        reviewed = [lead_id for (lead_id,) in self.env.cr.fetchall()]
        overdue = [
            ("type", "=", "opportunity"),
            ("active", "=", True),
            ("stage_id.is_won", "!=", True),
            ("create_date", "<", cutoff),
            ("id", "not in", reviewed),
        ]
        if want:
            return overdue
        return ["!", "&", "&", "&", "&", *overdue]

    def action_kam_open_reviews(self):
        """The reviews that took the deal (opened on demand: the deal's form reads none of them)."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("kam_sales_process.kam_deal_review_line_action_mine")
        action.update(
            name=self.env._("Deal Reviews: %(deal)s", deal=self.display_name),
            domain=[("lead_id", "=", self.id)],
            context={"create": False},
        )
        return action
