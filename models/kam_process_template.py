"""Sales process templates from the source methods (key-account selling, tailorable complex sales, funnel grades).

A template lists stages (with their funnel grade and default probability,
and for tailorable processes the question deciding whether to keep each one)
and the milestones that gate each stage.  The wizard ``kam.process.apply``
turns a template into a team's pipeline.
"""

from odoo import Command, api, fields, models
from odoo.tools import plaintext2html

from .kam_fields import FiniteFloat
from .kam_milestone import KINDS

FUNNEL_GRADES = [
    ("F", "F (10%): planning and phone invitation"),
    ("E", "E (25%): visit and first survey"),
    ("D", "D (30%): needs analysis and project evaluation"),
    ("C", "C (50%): solution presentation"),
    ("B", "B (75%): agreement negotiation"),
    ("A", "A (100%): signed, handed to delivery"),
]
#: Default win probability of each funnel grade.
FUNNEL_PROBABILITY = {"F": 10, "E": 25, "D": 30, "C": 50, "B": 75, "A": 100}


class KamProcessTemplate(models.Model):
    _name = "kam.process.template"
    _description = "Sales Process Template"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True, help="Where this process fits.")
    tailorable = fields.Boolean(help="Each stage is optional: the wizard asks, stage by stage, whether to keep it.")
    stage_ids = fields.One2many("kam.process.template.stage", "template_id", string="Stages", copy=True)

    @api.model
    def _kam_spread_translations(self, langs):
        """Give the stages and milestones made from templates the templates' names in ``langs``.

        They were created in the languages installed then (the demo's before
        the addon's translations are loaded): a language loaded later reaches
        them too.  A name someone changed, in English or in that language, is
        left alone.
        """
        langs = [lang for lang in langs if lang != "en_US"]
        if not langs:
            return
        Stage = self.env["crm.stage"].sudo().with_context(active_test=False)
        Milestone = self.env["kam.milestone"].sudo().with_context(active_test=False)
        stages = Stage.search([("kam_template_stage_id", "!=", False)])
        milestones = Milestone.search([("template_milestone_id", "!=", False)])
        pairs = [(stage, stage.kam_template_stage_id) for stage in stages]
        pairs += [(milestone, milestone.template_milestone_id) for milestone in milestones]
        for record, source in pairs:
            original = source.with_context(lang="en_US").name
            if record.with_context(lang="en_US").name != original:
                continue
            translations = {}
            for lang in langs:
                value = source.with_context(lang=lang).name
                if value and value != original and record.with_context(lang=lang).name == original:
                    translations[lang] = value
            if translations:
                record.update_field_translations("name", translations)


class KamProcessTemplateStage(models.Model):
    _name = "kam.process.template.stage"
    _description = "Stage of a Sales Process Template"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one("kam.process.template", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    funnel_grade = fields.Selection(FUNNEL_GRADES, help="The funnel grade of deals in this stage (F 10 % to A 100 %).")
    probability = FiniteFloat(string="Default Probability (%)", help="The win probability the funnel grade stands for.")
    is_won = fields.Boolean(string="Won Stage", help="Deals in this stage are won.")
    max_days = fields.Integer(
        string="Maximum Stay (days)",
        help="A deal staying longer in this stage is flagged as stuck; 0 means no limit.",
    )
    optional = fields.Boolean(help="The wizard asks whether to keep this stage.")
    keep_question = fields.Char(
        string="Keep This Stage If…", translate=True, help="Asked by the wizard of tailorable processes."
    )
    description = fields.Text(string="Key Work", translate=True, help="What the salesperson does in this stage.")
    milestone_ids = fields.One2many(
        "kam.process.template.milestone", "template_stage_id", string="Milestones", copy=True
    )


class KamProcessTemplateMilestone(models.Model):
    _name = "kam.process.template.milestone"
    _description = "Milestone of a Sales Process Template"
    _order = "template_stage_id, sequence, id"

    template_stage_id = fields.Many2one(
        "kam.process.template.stage", string="Stage", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    kind = fields.Selection(KINDS, required=True, default="check")
    guidance = fields.Text(translate=True, help="How to reach this milestone, shown to the salesperson.")
    evidence_required = fields.Boolean()
    condition_domain = fields.Char(default="[]")
    role_ids = fields.Many2many("kam.buying.role", string="Roles")
    require_contacted = fields.Boolean(string="Contacted")
    activity_type_id = fields.Many2one("mail.activity.type", ondelete="set null")

    def _kam_milestone_values(self):
        """What a milestone made from this template milestone takes from it (kind and its settings).

        The one place that copies a template milestone: a new kind with settings
        of its own extends it (``super()`` plus its fields).
        """
        self.ensure_one()
        return {
            "name": self.name,
            "sequence": self.sequence,
            "kind": self.kind,
            "guidance": plaintext2html(self.guidance) if self.guidance else False,
            "evidence_required": self.evidence_required,
            "condition_domain": self.condition_domain or "[]",
            "role_ids": [Command.set(self.role_ids.ids)],
            "require_contacted": self.require_contacted,
            "activity_type_id": self.activity_type_id.id,
            "template_milestone_id": self.id,
        }
