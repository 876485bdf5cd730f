"""A deal as it was presented in a review, and the participants' scores of the presentation."""

from datetime import timedelta

from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..kam_sales_process.review import SCORE_PARTS, average, score_total, weak_elements
from ..kam_sales_process.vocabulary import QUALIFICATION_ITEMS
from .kam_guards import field_labels, parent_ids

#: The deal as it stood when the review took it: set by the addon only.
SNAPSHOT_FIELDS = (
    "lead_name",
    "presenter_id",
    "stage_id",
    "gate_done",
    "gate_total",
    "unmet_milestones",
    "qualification_score",
    "weak_elements",
    "red_flag_ids",
    "grade",
    "days_in_stage",
    "date_deadline",
    "expected_revenue",
    "probability",
    "previous_line_id",
    "attention",
    "change_note",
)


def _amount(value):
    return format(value or 0.0, ",.0f")


class KamDealReviewLine(models.Model):
    _name = "kam.deal.review.line"
    _description = "Deal in a Review"
    _order = "review_id, sequence, id"
    _rec_name = "lead_name"

    review_id = fields.Many2one("kam.deal.review", required=True, ondelete="cascade", index=True)
    review_date = fields.Datetime(related="review_id.date", store=True, string="Reviewed on")
    review_state = fields.Selection(related="review_id.state", string="Review Status")
    company_id = fields.Many2one(related="review_id.company_id", store=True)
    sequence = fields.Integer(default=1000)
    lead_id = fields.Many2one(
        "crm.lead",
        string="Deal",
        ondelete="set null",
        index=True,
        domain="[('type', '=', 'opportunity')]",
        help="Kept empty if the deal is deleted later: the review keeps what was said.",
    )
    currency_id = fields.Many2one(related="review_id.company_id.currency_id")
    # Snapshot -----------------------------------------------------------
    lead_name = fields.Char(string="Deal Name", readonly=True)
    presenter_id = fields.Many2one("res.users", readonly=True, index=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    gate_done = fields.Integer(string="Milestones Met", readonly=True)
    gate_total = fields.Integer(string="Milestones in Gate", readonly=True)
    unmet_milestones = fields.Char(readonly=True, help="What blocked the deal's stage at the review.")
    qualification_score = fields.Integer(string="7+3 Score", readonly=True)
    weak_elements = fields.Char(readonly=True, help="The 7+3 items scored below 6 of 10 at the review.")
    red_flag_ids = fields.Many2many(
        "kam.red.flag", "kam_deal_review_line_red_flag_rel", "line_id", "flag_id", string="Red Flags", readonly=True
    )
    grade = fields.Char(readonly=True)
    days_in_stage = fields.Integer(readonly=True)
    date_deadline = fields.Date(string="Expected Closing", readonly=True)
    expected_revenue = fields.Monetary(readonly=True)
    probability = fields.Float(readonly=True)
    previous_line_id = fields.Many2one(
        "kam.deal.review.line", string="Previous Review", readonly=True, help="How the deal stood at its last review."
    )
    attention = fields.Boolean(
        string="New or Changed",
        readonly=True,
        help="Never reviewed, not reviewed at the team's last meeting, or changed since its last review.",
    )
    change_note = fields.Char(string="Changes", readonly=True, help="What changed since the deal's last review.")
    # What the meeting says ----------------------------------------------
    score_ids = fields.One2many("kam.deal.review.score", "line_id", string="Scores")
    score = fields.Float(
        compute="_compute_score", store=True, digits=(16, 2), help="The average of the participants' totals (0-100)."
    )
    company_need = fields.Text(string="Company's Need", help="What business problem the purchase solves.")
    personal_need = fields.Text(
        string="Key Person's Need", help="What the key person gains personally, and their standing."
    )
    sales_need = fields.Text(string="Our Sales Need", help="The size and scope we aim for.")
    verdict = fields.Selection(
        [
            ("push", "Push"),
            ("hold", "Hold"),
            ("downgrade", "Downgrade"),
            ("drop", "Drop"),
        ],
        help="Push: invest now. Hold: keep as is. Downgrade: lower its priority. Drop: stop spending effort.",
    )
    next_step = fields.Text(help="Becomes a to-do for the presenter on the deal when the review closes.")
    next_step_date = fields.Date(string="Next Step Due", help="Default: a week after the review.")

    _sql_constraints = [("lead_once", "UNIQUE(review_id, lead_id)", "A deal is reviewed once per meeting.")]

    @api.depends("score_ids.total")
    def _compute_score(self):
        for line in self:
            line.score = average(line.score_ids.mapped("total"))

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        reviews = self.env["kam.deal.review"].browse(set(parent_ids(self, vals_list, "review_id")))
        parent_ids(self, vals_list, "lead_id")
        if reviews._kam_closed():
            raise UserError(self.env._("A closed review takes no more deals."))
        pairs = [(vals.get("review_id"), vals["lead_id"]) for vals in vals_list if vals.get("lead_id")]
        if len(set(pairs)) < len(pairs):
            raise ValidationError(self.env._("A deal is reviewed once per meeting."))
        if not all(vals.get("lead_id") for vals in vals_list):
            raise ValidationError(self.env._("Choose the deal to review."))
        snapshots = self._kam_snapshots(pairs)
        for vals in vals_list:
            vals.update(snapshots[vals["review_id"], vals["lead_id"]])
        self._kam_assign_sequences(reviews, vals_list)
        return super().create(vals_list)

    def write(self, vals):
        forged = set(SNAPSHOT_FIELDS) & vals.keys()
        if forged:
            raise UserError(
                self.env._(
                    "%(fields)s record the deal as it stood at the review and cannot be changed.",
                    fields=field_labels(self, forged),
                )
            )
        if "lead_id" in vals or "review_id" in vals:
            raise UserError(self.env._("Remove the line and add the deal again instead."))
        if {"score", "review_date", "company_id"} & vals.keys():
            raise UserError(
                self.env._("The score is the average of the participants' scores; the date is the review's.")
            )
        self.review_id._kam_check_open()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed(self):
        self.review_id._kam_check_open()

    # ------------------------------------------------------------------
    # Snapshot
    # ------------------------------------------------------------------

    def _kam_snapshots(self, pairs):
        """``{(review id, lead id): snapshot values}`` for these ``(review id, lead id)`` pairs: a fixed number
        of queries whatever the number of deals."""
        Lead = self.env["crm.lead"]
        reviews = self.env["kam.deal.review"].browse({review_id for review_id, _lead_id in pairs})
        leads = Lead.browse({lead_id for _review_id, lead_id in pairs})
        previous = self._kam_previous_lines(reviews, leads)
        last_meeting = reviews._kam_last_meetings()
        labels = {
            code: Lead._fields["kam_q_" + code]._description_string(self.env) for code, _s, _l in QUALIFICATION_ITEMS
        }
        # records from iterating the sets keep their prefetching (browse() would read one deal at a time)
        review_by_id, lead_by_id = {review.id: review for review in reviews}, {lead.id: lead for lead in leads}
        result = {}
        for review_id, lead_id in pairs:
            review, lead = review_by_id[review_id], lead_by_id[lead_id]
            before = previous.get((review.id, lead.id))
            note = self._kam_change_note(lead, before)
            since = last_meeting.get(review.id)
            result[review.id, lead.id] = {
                "lead_name": lead.name,
                "presenter_id": lead.user_id.id,
                "stage_id": lead.stage_id.id,
                "gate_done": lead.kam_gate_done,
                "gate_total": lead.kam_gate_total,
                "unmet_milestones": ", ".join(lead.kam_unmet_milestone_ids.mapped("name")),
                "qualification_score": lead.kam_qualification_score,
                "weak_elements": ", ".join(
                    labels[code]
                    for code in weak_elements({code: lead["kam_q_" + code] for code, _s, _l in QUALIFICATION_ITEMS})
                ),
                "red_flag_ids": [fields.Command.set(lead.kam_red_flag_ids.ids)],
                "grade": lead.kam_grade,
                "days_in_stage": lead.kam_days_in_stage,
                "date_deadline": lead.date_deadline,
                "expected_revenue": lead.expected_revenue,
                "probability": lead.probability,
                "previous_line_id": before.id if before else False,
                "attention": bool(not before or note or (since and before.review_date < since)),
                "change_note": note,
            }
        return result

    def _kam_previous_lines(self, reviews, leads):
        """The latest line of each deal in an earlier review (one query)."""
        if not leads:
            return {}
        latest = max(reviews.mapped("date"))
        lines = self.search(
            [("lead_id", "in", leads.ids), ("review_date", "<", latest), ("review_id", "not in", reviews.ids)],
            order="review_date desc, id desc",
        )
        result = {}
        for review in reviews:
            for line in lines:
                if line.review_date < review.date:
                    result.setdefault((review.id, line.lead_id.id), line)
        return result

    def _kam_change_note(self, lead, before):
        if not before:
            return self.env._("First review")
        changes = []
        if before.stage_id != lead.stage_id:
            changes.append(
                self.env._("stage %(old)s → %(new)s", old=before.stage_id.name or "-", new=lead.stage_id.name or "-")
            )
        if before.expected_revenue != lead.expected_revenue:
            old_revenue, new_revenue = (_amount(before.expected_revenue), _amount(lead.expected_revenue))
            changes.append(self.env._("revenue %(old)s → %(new)s", old=old_revenue, new=new_revenue))
        if before.date_deadline != lead.date_deadline:
            changes.append(
                self.env._("closing %(old)s → %(new)s", old=before.date_deadline or "-", new=lead.date_deadline or "-")
            )
        if before.qualification_score != lead.kam_qualification_score:
            changes.append(
                self.env._("7+3 %(old)s → %(new)s", old=before.qualification_score, new=lead.kam_qualification_score)
            )
        return "; ".join(changes)

    @api.model
    def _kam_assign_sequences(self, reviews, vals_list):
        """Each presenter's deals together, the new or changed first, the largest first."""
        if any("sequence" in vals for vals in vals_list):
            return
        users = self.env["res.users"].browse({vals["presenter_id"] for vals in vals_list} - {False})
        names = {user.id: user.name or "" for user in users}
        start = dict(self._read_group([("review_id", "in", reviews.ids)], ["review_id"], ["sequence:max"]))
        ordered = sorted(
            vals_list,
            key=lambda vals: (
                vals["presenter_id"] is False,
                names.get(vals["presenter_id"], ""),
                not vals["attention"],
                -(vals["expected_revenue"] or 0.0),
            ),
        )
        for position, vals in enumerate(ordered, start=1):
            base = start.get(reviews.browse(vals["review_id"]), 0) or 0
            vals["sequence"] = base + position

    # ------------------------------------------------------------------
    # Closing the review
    # ------------------------------------------------------------------

    def _kam_schedule_next_steps(self):
        """The next steps become to-dos of the presenters on their deals (one create)."""
        lines = self.filtered(lambda line: line.next_step and line.presenter_id and line.lead_id)
        if not lines:
            return self.env["mail.activity"]
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model = self.env["ir.model"]._get_id("crm.lead")
        verdicts = dict(self._fields["verdict"]._description_selection(self.env))
        return self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model,
                    "res_id": line.lead_id.id,
                    "activity_type_id": todo.id if todo else False,
                    "summary": self.env._(
                        "Deal review: %(verdict)s", verdict=verdicts.get(line.verdict) or self.env._("next step")
                    ),
                    "note": Markup("<p>%s</p>") % line.next_step,
                    "user_id": line.presenter_id.id,
                    "date_deadline": line.next_step_date or (line.review_date + timedelta(days=7)).date(),
                }
                for line in lines
            ]
        )

    def _kam_post_summaries(self):
        """One note per deal in its chatter: the verdict, the three needs, the score and the next step."""
        lines = self.filtered("lead_id")
        if not lines:
            return
        verdicts = dict(self._fields["verdict"]._description_selection(self.env))
        bodies = {}
        for line in lines:
            rows = [
                (self.env._("Verdict"), verdicts.get(line.verdict, "-")),
                (self.env._("Score"), f"{line.score:g}" if line.score_ids else "-"),
                (self._fields["company_need"]._description_string(self.env), line.company_need or "-"),
                (self._fields["personal_need"]._description_string(self.env), line.personal_need or "-"),
                (self._fields["sales_need"]._description_string(self.env), line.sales_need or "-"),
                (self._fields["next_step"]._description_string(self.env), line.next_step or "-"),
            ]
            items = Markup("").join(Markup("<li><b>%s</b>: %s</li>") % row for row in rows)
            title = self.env._(
                "Deal review %(review)s, chaired by %(chair)s",
                review=line.review_id.display_name,
                chair=line.review_id.chair_id.name,
            )
            bodies[line.lead_id.id] = Markup("<p>%s</p><ul>%s</ul>") % (title, items)
        lines.lead_id._message_log_batch(bodies=bodies)

    def action_kam_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("kam_sales_process.kam_deal_review_line_view_form").id, "form")],
        }


class KamDealReviewScore(models.Model):
    _name = "kam.deal.review.score"
    _description = "Score of a Deal Presentation"
    _order = "line_id, scorer_id"

    line_id = fields.Many2one("kam.deal.review.line", string="Deal", required=True, ondelete="cascade", index=True)
    review_id = fields.Many2one(related="line_id.review_id", store=True, index=True)
    scorer_id = fields.Many2one(
        "res.users", string="Scored by", required=True, default=lambda self: self.env.user, help="A participant."
    )
    elements = fields.Integer(string="7+3 Elements (60)", help="How well the presenter knew each of the 7+3 elements.")
    logic = fields.Integer(string="Logic (20)", help="Logic and reasoning of the presentation.")
    presentation = fields.Integer(string="Presentation (20)", help="Form and presentation.")
    total = fields.Integer(compute="_compute_total", store=True, help="Out of 100.")

    _sql_constraints = [("scorer_once", "UNIQUE(line_id, scorer_id)", "A participant scores a presentation once.")]

    @api.depends("elements", "logic", "presentation")
    def _compute_total(self):
        for score in self:
            score.total = int(sum(score[name] or 0 for name, _maximum in SCORE_PARTS))

    @api.constrains("elements", "logic", "presentation", "scorer_id", "line_id")
    def _check_score(self):
        for score in self:
            try:
                score_total(score.elements, score.logic, score.presentation)
            except ValueError as error:
                raise ValidationError(
                    self.env._(
                        "Scores are 0-60 for the 7+3 elements, 0-20 for logic and 0-20 for presentation "
                        "(got %(elements)s, %(logic)s, %(presentation)s).",
                        elements=score.elements,
                        logic=score.logic,
                        presentation=score.presentation,
                    )
                ) from error
            review = score.line_id.review_id
            if score.scorer_id not in review.participant_ids | review.chair_id:
                raise ValidationError(
                    self.env._("%(user)s does not take part in the review.", user=score.scorer_id.name)
                )

    @api.model_create_multi
    def create(self, vals_list):
        if any("total" in vals for vals in vals_list):
            raise UserError(self.env._("The total is the sum of the three parts."))
        self.env["kam.deal.review.line"].browse(parent_ids(self, vals_list, "line_id")).review_id._kam_check_open()
        self.env["kam.deal.review"].invalidate_model(["rank_ids"])
        return super().create(vals_list)

    def write(self, vals):
        if "total" in vals:
            raise UserError(self.env._("The total is the sum of the three parts."))
        self.review_id._kam_check_open()
        if "line_id" in vals:
            self.env["kam.deal.review.line"].browse(vals["line_id"]).review_id._kam_check_open()
        self.env["kam.deal.review"].invalidate_model(["rank_ids"])
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed(self):
        self.review_id._kam_check_open()
        self.env["kam.deal.review"].invalidate_model(["rank_ids"])
