"""Opportunity grades A-D and the 7+3 qualification scorecard of deals."""

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..kam_sales_process.tiering import GRADES, GradeMatrix, opportunity_grade, qualification_score
from ..kam_sales_process.vocabulary import QUALIFICATION_HELP, QUALIFICATION_ITEMS

QUALIFICATION_LABELS = {code: label for code, _side, label in QUALIFICATION_ITEMS}

#: Settings keys of the grade matrix and their defaults (see GradeMatrix).
GRADE_PARAMS = {
    "a_probability": 70,
    "b_probability": 50,
    "c_probability": 25,
    "a_days": 30,
    "b_days": 90,
    "c_days": 180,
}


def _qualification_field(code):
    return fields.Integer(
        string=QUALIFICATION_LABELS[code],
        default=0,
        tracking=False,
        aggregator="avg",
        help=QUALIFICATION_HELP[code],
    )


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kam_grade = fields.Selection(
        [(grade, grade) for grade in GRADES],
        string="Grade",
        compute="_compute_kam_grade",
        store=True,
        index=True,
        help="Opportunity grade from the win probability and the time to the expected closing: A first, D last. "
        "Won deals are A, lost deals D. The matrix is set in Settings; grades are refreshed daily because "
        "closing dates come nearer.",
    )
    kam_q_basic_facts = _qualification_field("basic_facts")
    kam_q_timeline = _qualification_field("timeline")
    kam_q_budget = _qualification_field("budget")
    kam_q_need = _qualification_field("need")
    kam_q_key_person = _qualification_field("key_person")
    kam_q_decision_process = _qualification_field("decision_process")
    kam_q_competition = _qualification_field("competition")
    kam_q_strength = _qualification_field("strength")
    kam_q_product_fit = _qualification_field("product_fit")
    kam_q_service = _qualification_field("service")
    kam_qualification_score = fields.Integer(
        string="Qualification Score",
        compute="_compute_kam_qualification_score",
        store=True,
        aggregator="avg",
        help="The 7+3 scorecard: seven customer items and three items about us, 0-10 each, 0-100 in all. Usable "
        "in condition milestones, e.g. leaving the first stage needs 60 or more.",
    )

    @api.depends(*("kam_q_" + code for code, _side, _label in QUALIFICATION_ITEMS))
    def _compute_kam_qualification_score(self):
        for lead in self:
            lead.kam_qualification_score = qualification_score(
                lead["kam_q_" + code] for code, _side, _label in QUALIFICATION_ITEMS
            )

    @api.constrains(*("kam_q_" + code for code, _side, _label in QUALIFICATION_ITEMS))
    def _check_kam_qualification_items(self):
        for lead in self:
            for code, _side, _label in QUALIFICATION_ITEMS:
                if not 0 <= lead["kam_q_" + code] <= 10:
                    raise ValidationError(
                        self.env._(
                            "'%(item)s' is scored from 0 to 10 (got %(value)s).",
                            item=self._fields["kam_q_" + code]._description_string(self.env),
                            value=lead["kam_q_" + code],
                        )
                    )

    @api.model
    @tools.ormcache()
    def _kam_get_grade_matrix(self):
        """The grade matrix of Settings (cached, read in one query; a change of a parameter clears the cache)."""
        stored = {
            param.key: param.value
            for param in self.env["ir.config_parameter"]
            .sudo()
            .search_fetch([("key", "in", [f"kam_sales_process.grade_{key}" for key in GRADE_PARAMS])], ["key", "value"])
        }
        values = {}
        for key, default in GRADE_PARAMS.items():
            try:
                values[key] = float(stored.get(f"kam_sales_process.grade_{key}", default))
            except (TypeError, ValueError):
                values[key] = float(default)
        return GradeMatrix(
            probability=(values["a_probability"], values["b_probability"], values["c_probability"]),
            days=(int(values["a_days"]), int(values["b_days"]), int(values["c_days"])),
        )

    @api.depends("probability", "date_deadline", "active", "stage_id.is_won")
    def _compute_kam_grade(self):
        matrix = self._kam_get_grade_matrix()
        today = fields.Date.context_today(self)
        for lead in self:
            if lead.active and lead.stage_id.is_won:
                lead.kam_grade = "A"
            elif not lead.active and not lead.probability:
                lead.kam_grade = "D"
            else:
                days = (lead.date_deadline - today).days if lead.date_deadline else None
                lead.kam_grade = opportunity_grade(lead.probability or 0.0, days, matrix)

    @api.model
    def _kam_open_deals_to_grade(self, with_deadline_only=True):
        domain = [("probability", "<", 100), ("probability", ">", 0)]
        if with_deadline_only:
            domain.append(("date_deadline", "!=", False))
        return self.sudo().search(domain, order="id")

    @api.model
    def _cron_kam_refresh_grades(self, batch_size=5000):
        """Daily: regrade the open deals with a closing date (their grade changes with time), a batch per call."""
        return self.env["kam.recompute.job"]._kam_run_daily(
            "grades", lambda: [(self._kam_open_deals_to_grade(), None)], batch_size=batch_size
        )

    def _kam_recompute_grades(self):
        """Recompute the grade of these deals; only those that changed are written."""
        self.env.add_to_compute(self._fields["kam_grade"], self)
        self._recompute_recordset(["kam_grade"])
        self.flush_recordset(["kam_grade"])
