"""The weekly deal review (项目过堂): a sales lead puts every open deal of a team "through the hall".

Opening a review loads the team's open deals, each salesperson's deals
together, those new or changed since their last review first, each with a
snapshot of the deal as it stood (``kam.deal.review.line``).  Participants'
scores rank the presenters (``kam.deal.review.rank``); closing the review turns
next steps into activities for the salespeople and posts a summary in each
deal's chatter.  Closed reviews are kept as they were.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..kam_sales_process.review import ranking
from .kam_fields import FiniteFloat

#: what tells the write that the Close button closes the review: no client can send this object
REVIEW_CLOSING = object()


class KamDealReview(models.Model):
    _name = "kam.deal.review"
    _description = "Deal Review"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(
        compute="_compute_name",
        store=True,
        readonly=False,
        required=True,
        precompute=True,
        help="e.g. Key Accounts — 2026-12-07.",
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", required=True, tracking=True, help="The team whose open deals are reviewed."
    )
    chair_id = fields.Many2one(
        "res.users",
        string="Chaired by",
        required=True,
        default=lambda self: self.env.user,
        tracking=True,
        help="The sales lead who runs the meeting.",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, tracking=True)
    duration = FiniteFloat(default=1.0, help="Length of the meeting in hours.")
    participant_ids = fields.Many2many(
        "res.users",
        "kam_deal_review_participant_rel",
        "review_id",
        "user_id",
        string="Participants",
        compute="_compute_participant_ids",
        store=True,
        readonly=False,
        help="Who attends and scores the presentations: the team's members by default.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    state = fields.Selection(
        [("open", "Open"), ("done", "Closed")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
        help="A closed review is kept as it was: its next steps became activities and its summary was posted.",
    )
    # Salespeople read their own lines (My Reviewed Deals, the deal's Reviews tab), never the meeting's list.
    line_ids = fields.One2many(
        "kam.deal.review.line", "review_id", string="Deals", groups="kam_sales_process.group_kam_manager"
    )
    rank_ids = fields.One2many(
        "kam.deal.review.rank",
        "review_id",
        string="Ranking",
        readonly=True,
        groups="kam_sales_process.group_kam_manager",
    )
    line_count = fields.Integer(compute="_compute_line_count", string="Deals Reviewed")

    @api.depends("team_id", "date")
    def _compute_name(self):
        for review in self:
            day = fields.Datetime.context_timestamp(review, review.date).date() if review.date else ""
            review.name = f"{review.team_id.name or ''} — {day}".strip(" —")

    @api.depends("team_id")
    def _compute_participant_ids(self):
        for review in self:
            review.participant_ids = review.team_id.member_ids | review.team_id.user_id | review.chair_id

    @api.depends("line_ids")
    def _compute_line_count(self):
        counts = dict(
            self.env["kam.deal.review.line"]
            .sudo()
            ._read_group([("review_id", "in", self.ids)], ["review_id"], ["__count"])
        )
        for review in self:
            review.line_count = counts.get(review._origin, 0)

    # ------------------------------------------------------------------
    # CRUD: reviews are kept
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        reviews = super().create(vals_list)
        reviews.filtered(lambda review: not review.line_ids)._kam_load_lines()
        return reviews

    def write(self, vals):
        if "state" in vals and self.env.context.get("kam_review_closing") is not REVIEW_CLOSING:
            raise UserError(self.env._("A review is closed with its Close button."))
        if vals.keys() - {"message_follower_ids", "message_main_attachment_id"}:
            self._kam_check_open()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed(self):
        if self._kam_closed():
            raise UserError(
                self.env._(
                    "A closed review is kept, it cannot be deleted: %(reviews)s.", reviews=self._kam_closed_names()
                )
            )

    def _kam_check_open(self):
        if self._kam_closed():
            raise UserError(
                self.env._("A closed review is kept as it was: %(reviews)s.", reviews=self._kam_closed_names())
            )

    def _kam_last_meetings(self):
        """``{review id: date of the team's previous review}`` (one query per review)."""
        result = {}
        for review in self:
            previous = self.search(
                [("team_id", "=", review.team_id.id), ("date", "<", review.date), ("id", "!=", review.id)],
                order="date desc",
                limit=1,
            )
            if previous:
                result[review.id] = previous.date
        return result

    def _kam_closed(self):
        return self.filtered(lambda review: review.state == "done")

    def _kam_closed_names(self):
        return ", ".join(self._kam_closed().mapped("display_name"))

    # ------------------------------------------------------------------
    # Loading the deals
    # ------------------------------------------------------------------

    def _kam_get_deals_domain(self):
        """Hook: the deals a review of this team goes through (its open opportunities)."""
        self.ensure_one()
        return [
            ("team_id", "=", self.team_id.id),
            ("type", "=", "opportunity"),
            ("active", "=", True),
            ("stage_id.is_won", "!=", True),
            ("company_id", "in", [self.company_id.id, False]),
        ]

    def _kam_load_lines(self):
        """Add the open deals of the team that the review does not hold yet, with their snapshot."""
        Line = self.env["kam.deal.review.line"]
        for review in self:
            if review.state == "done":
                raise UserError(self.env._("A closed review takes no more deals."))
            deals = self.env["crm.lead"].search(review._kam_get_deals_domain()) - review.line_ids.lead_id
            if deals:
                Line.create([{"review_id": review.id, "lead_id": deal.id} for deal in deals])
        return True

    def action_kam_load_deals(self):
        self._kam_check_chair()
        return self._kam_load_lines()

    def action_kam_go_through(self):
        """The deals one after the other in a form (Alt+N / Alt+P to go on), in the meeting's order."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Deals of %(review)s", review=self.display_name),
            "res_model": "kam.deal.review.line",
            "view_mode": "list,form",
            "views": [
                (self.env.ref("kam_sales_process.kam_deal_review_line_view_list").id, "list"),
                (self.env.ref("kam_sales_process.kam_deal_review_line_view_form").id, "form"),
            ],
            "domain": [("review_id", "=", self.id)],
            "context": {"default_review_id": self.id},
        }

    def _kam_check_chair(self):
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise UserError(self.env._("Only a sales manager runs a deal review."))

    # ------------------------------------------------------------------
    # Closing: next steps become activities, each deal gets a summary
    # ------------------------------------------------------------------

    def action_kam_close(self):
        self._kam_check_chair()
        if self._kam_closed():
            raise UserError(self.env._("This review is already closed: %(reviews)s.", reviews=self._kam_closed_names()))
        lines = self.line_ids
        lines._kam_schedule_next_steps()
        lines._kam_post_summaries()
        for review in self:
            review.message_post(body=review._kam_ranking_summary(), subtype_xmlid="mail.mt_note")
        self.with_context(kam_review_closing=REVIEW_CLOSING).write({"state": "done"})
        return True

    def _kam_ranking_summary(self):
        """The note closing the review in its chatter: what was reviewed, not who ranked where. Every participant
        reads the review's chatter, and a salesperson sees only their own rank (the Ranking tab, its rules)."""
        self.ensure_one()
        totals = {}
        for line in self.line_ids:
            if line.presenter_id:
                totals.setdefault(line.presenter_id, []).extend(line.score_ids.mapped("total"))
        ranks = ranking(totals)
        if not ranks:
            return self.env._("Review closed: %(count)s deals, no scores given.", count=len(self.line_ids))
        return self.env._(
            "Review closed: %(count)s deals, %(presenters)s presenters scored. Their ranking is on the review's "
            "Ranking tab (each salesperson sees their own).",
            count=len(self.line_ids),
            presenters=len(ranks),
        )
