from odoo import api, fields, models, tools

from .kam_fields import FiniteFloat
from .kam_process_template import FUNNEL_GRADES


class CrmStage(models.Model):
    _inherit = "crm.stage"

    kam_milestone_ids = fields.One2many(
        "kam.milestone",
        "stage_id",
        string="Milestones",
        help="What must be met before a deal may leave this stage forward.",
    )
    kam_milestone_count = fields.Integer(string="Milestone Count", compute="_compute_kam_milestone_count")
    kam_funnel_grade = fields.Selection(
        FUNNEL_GRADES, string="Funnel Grade", help="The funnel grade of deals in this stage (F 10 % to A 100 %)."
    )
    kam_default_probability = FiniteFloat(
        string="Funnel Probability (%)",
        help="The win probability of the stage's funnel grade: a reference for forecasts; the deal's own "
        "probability still comes from Odoo's predictive scoring or the salesperson.",
    )
    kam_max_days = fields.Integer(
        string="Maximum Stay (days)",
        help="A deal staying longer in this stage is flagged as stuck; 0 means no limit. A sales team can have "
        "its own limit for a shared stage.",
    )
    kam_team_limit_ids = fields.One2many(
        "kam.stage.team.limit",
        "stage_id",
        string="Limits per Team",
        help="Maximum stays in this stage for particular sales teams, instead of the stage's own.",
    )
    kam_template_stage_id = fields.Many2one(
        "kam.process.template.stage",
        string="From Template Stage",
        ondelete="set null",
        index="btree_not_null",
        help="The process template stage this stage was created from (applying the template again updates it).",
    )

    def _compute_kam_milestone_count(self):
        counts = dict(self.env["kam.milestone"]._read_group([("stage_id", "in", self.ids)], ["stage_id"], ["__count"]))
        for stage in self:
            stage.kam_milestone_count = counts.get(stage, 0)

    @api.model
    @tools.ormcache()
    def _kam_get_stage_order(self):
        """``((stage id, sequence, team id, won), …)`` of every stage, in stage order (cached)."""
        stages = self.sudo()._search([], order=self._order)
        return tuple((s.id, s.sequence, s.team_id.id, s.is_won) for s in self.sudo().browse(stages))

    @api.model
    @tools.ormcache()
    def _kam_get_stay_limits(self):
        """``{(stage id, team id or None): maximum days}`` of every limit set (cached)."""
        limits = {(stage.id, None): stage.kam_max_days for stage in self.sudo().search([("kam_max_days", ">", 0)])}
        for limit in self.env["kam.stage.team.limit"].sudo().search([("team_id", "!=", False)]):
            limits[(limit.stage_id.id, limit.team_id.id)] = limit.max_days
        return limits

    @api.model
    def _kam_get_stay_limit(self, stage_id, team_id):
        """The maximum stay of a deal of ``team_id`` in ``stage_id``, in days (0: no limit)."""
        limits = self._kam_get_stay_limits()
        return limits.get((stage_id, team_id), limits.get((stage_id, None), 0))

    @api.model
    def _kam_get_pipeline(self, team_id):
        """``((stage id, sequence), …)`` of the pipeline of ``team_id``: its stages and the shared ones.

        A won stage closes the pipeline whatever its sequence (a shared Won stage may sort before a team's
        own stages): it comes last, one step beyond the last stage that is not won, so that reaching it
        clears every stage of the pipeline, as it does where it sorts last.
        """
        stages = [(sid, seq, won) for sid, seq, team, won in self._kam_get_stage_order() if not team or team == team_id]
        beyond = max((seq for _sid, seq, won in stages if not won), default=0) + 1
        return tuple(
            [(sid, seq) for sid, seq, won in stages if not won] + [(sid, beyond) for sid, _seq, won in stages if won]
        )

    @api.model_create_multi
    def create(self, vals_list):
        stages = super().create(vals_list)
        self.env.registry.clear_cache()  # _kam_get_stage_order
        return stages

    def write(self, vals):
        reorder = {"sequence", "team_id", "is_won"} & vals.keys()
        leads = self._kam_get_leads_of_pipelines() if reorder else self.env["crm.lead"]
        result = super().write(vals)
        if reorder or {"name", "kam_max_days", "kam_team_limit_ids"} & vals.keys():
            self.env.registry.clear_cache()  # _kam_get_stage_order, _kam_get_stay_limits
        if reorder:
            # The pipelines' order changed: deals now standing past stages they never
            # left are grandfathered there, stages now ahead of them open again.
            self.env["kam.recompute.job"]._kam_schedule_settling(self, leads | self._kam_get_leads_of_pipelines())
        return result

    def _kam_recompute_gate_settling(self):
        """A background job: the deals of these stages' pipelines settled again (``_kam_schedule_settling``)."""
        self.env["kam.recompute.job"]._kam_schedule("milestone_rows", self._kam_get_leads_of_pipelines())

    def _kam_get_leads_of_pipelines(self):
        """Deals, archived ones included, of the pipelines these stages belong to (only where milestones exist;
        a stage every team shares: every deal with a stage, one without is synced when it gets one)."""
        if not self or not self.env["kam.milestone"]._kam_get_specs():
            return self.env["crm.lead"]
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        if self.filtered(lambda s: not s.team_id):
            return Lead.search([("stage_id", "!=", False)])
        return Lead.search([("team_id", "in", self.team_id.ids)])

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()  # _kam_get_stage_order
        return result


class KamStageTeamLimit(models.Model):
    _name = "kam.stage.team.limit"
    _description = "Maximum Stay in a Stage for a Sales Team"
    _order = "stage_id, team_id"

    stage_id = fields.Many2one("crm.stage", required=True, ondelete="cascade", index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", required=True, ondelete="cascade")
    max_days = fields.Integer(
        string="Maximum Stay (days)", help="A deal of this team staying longer is flagged as stuck; 0 means no limit."
    )

    _sql_constraints = [
        ("stage_team_unique", "unique(stage_id, team_id)", "A sales team has one limit per stage."),
        ("max_days_positive", "CHECK(max_days >= 0)", "A maximum stay cannot be negative."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        limits = super().create(vals_list)
        self.env.registry.clear_cache()  # crm.stage._kam_get_stay_limits
        return limits

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
