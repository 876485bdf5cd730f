from typing import NamedTuple

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval

from ..kam_sales_process.gates import shorten


class MilestoneSpec(NamedTuple):
    """What the gate needs to know of an active milestone, as plain values."""

    stage_id: int
    team_ids: frozenset
    company_id: int
    kind: str
    domain: str
    role_ids: frozenset
    require_contacted: bool
    activity_type_id: int

    def applies(self, team_id, company_id):
        """Team and company scoping: empty means every team / every company.

        A deal without a company belongs to every company: every company's
        milestones gate it (clearing the company never escapes a gate).
        """
        return (not self.team_ids or team_id in self.team_ids) and (
            not self.company_id or not company_id or self.company_id == company_id
        )


KINDS = [
    ("check", "Checklist item"),
    ("condition", "Condition"),
    ("roles", "Buying-role coverage"),
    ("activity", "Activity done"),
]


class KamMilestone(models.Model):
    _name = "kam.milestone"
    _description = "Stage Milestone"
    _order = "stage_id, sequence, id"

    name = fields.Char(required=True, translate=True, help="What must have happened at the customer.")
    stage_id = fields.Many2one(
        "crm.stage",
        required=True,
        ondelete="cascade",
        index=True,
        help="A deal may not leave this stage forward until the milestone is met.",
    )
    stage_sequence = fields.Integer(related="stage_id.sequence", string="Stage Sequence")
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        KINDS,
        required=True,
        default="check",
        help="Checklist item: confirmed by a person. Condition: the deal's own data matches a domain. "
        "Buying-role coverage: the given roles are identified on the deal (and contacted). "
        "Activity done: an activity of the given type was completed on the deal.",
    )
    condition_domain = fields.Char(
        string="Condition",
        default="[]",
        help="The deals that meet this milestone, as a domain on opportunities.",
    )
    role_ids = fields.Many2many("kam.buying.role", string="Roles", help="Roles that must be identified on the deal.")
    require_contacted = fields.Boolean(
        string="Contacted", help="Each of the roles must also have been met or contacted."
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        ondelete="restrict",
        help="An activity of this type must have been marked done on the deal.",
    )
    evidence_required = fields.Boolean(help="Ticking the item needs a note or a file as evidence.")
    guidance = fields.Html(translate=True, help="How to reach this milestone, shown to the salesperson.")
    team_ids = fields.Many2many(
        "crm.team",
        relation="kam_milestone_crm_team_rel",
        column1="milestone_id",
        column2="team_id",
        string="Sales Teams",
        help="Teams whose deals this milestone applies to; empty means every team using the stage.",
    )
    active = fields.Boolean(default=True)
    template_milestone_id = fields.Many2one(
        "kam.process.template.milestone",
        string="From Template",
        ondelete="set null",
        index="btree_not_null",
        help="The process template milestone this one was created from.",
    )
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Only deals of this company are gated; empty means every company.",
    )

    @api.constrains("kind", "condition_domain", "role_ids", "activity_type_id")
    def _check_kind_settings(self):
        for milestone in self:
            # A kind with settings checks them in _kam_check_kind_<kind>().
            check = getattr(milestone, f"_kam_check_kind_{milestone.kind}", None)
            if check:
                check()

    def _kam_check_kind_roles(self):
        if not self.role_ids:
            raise ValidationError(
                self.env._("Milestone %(milestone)s needs at least one buying role.", milestone=self.name)
            )

    def _kam_check_kind_activity(self):
        if not self.activity_type_id:
            raise ValidationError(self.env._("Milestone %(milestone)s needs an activity type.", milestone=self.name))

    def _kam_check_kind_condition(self):
        """Run the condition once, as the gate will: a domain that parses but fails in the database
        (a wrong value type, …) is refused here rather than breaking every move of the pipeline."""
        self.ensure_one()
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        try:
            domain = self._get_domain()
            if not isinstance(domain, list | tuple):
                raise TypeError(self.env._("a domain is a list of conditions"))
            with self.env.cr.savepoint(flush=False):
                Lead.search(domain, limit=1)
        except Exception as exc:
            raise ValidationError(
                self.env._(
                    "The condition of milestone %(milestone)s is not a valid domain on opportunities: %(error)s",
                    milestone=self.name,
                    error=shorten(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 200),
                )
            ) from exc

    def _get_domain(self):
        """The condition as a domain list (condition milestones)."""
        self.ensure_one()
        return safe_eval(self.condition_domain or "[]")

    @api.model
    @tools.ormcache()
    def _kam_get_specs(self):
        """``{milestone id: MilestoneSpec}`` of the active milestones of every company.

        Cached (the gate's hot path reads no configuration from the database);
        any change to a milestone clears the cache.
        """
        milestones = (
            self.sudo()
            .with_context(active_test=True)
            .search_fetch(
                [("active", "=", True)],
                [
                    "stage_id",
                    "team_ids",
                    "company_id",
                    "kind",
                    "condition_domain",
                    "role_ids",
                    "require_contacted",
                    "activity_type_id",
                ],
            )
        )
        return {
            m.id: MilestoneSpec(
                stage_id=m.stage_id.id,
                team_ids=frozenset(m.team_ids.ids),
                company_id=m.company_id.id,
                kind=m.kind,
                domain=m.condition_domain or "[]",
                role_ids=frozenset(m.role_ids.ids),
                require_contacted=m.require_contacted,
                activity_type_id=m.activity_type_id.id,
            )
            for m in milestones
        }

    @api.model
    def _kam_get_kind_triggers(self):
        """``{kind: models}``: the kinds whose rows follow data, and the models whose changes refresh them.

        Extension hook: a new kind is a ``selection_add`` on ``kind``, one
        ``kam.lead.milestone._kam_get_met_<kind>(rows, specs)`` method, and its
        entry here (``crm.lead`` for the deal's own fields).
        """
        return {
            "condition": {"crm.lead"},
            "roles": {"kam.stakeholder"},
            "activity": {"kam.done.activity"},
        }

    @api.model
    def _kam_kinds_for(self, source):
        """The kinds refreshed by a change of ``source`` (a model name)."""
        return {kind for kind, sources in self._kam_get_kind_triggers().items() if source in sources}

    @api.model
    def _kam_get_wanted(self, stage_ids, team_id, company_id):
        """Ids of the active milestones of ``stage_ids`` that apply to a deal of this team and company."""
        return {
            milestone_id
            for milestone_id, spec in self._kam_get_specs().items()
            if spec.stage_id in stage_ids and spec.applies(team_id, company_id)
        }

    @api.model_create_multi
    def create(self, vals_list):
        milestones = super().create(vals_list)
        self.env.registry.clear_cache()  # _kam_get_specs
        # Deals already past the new milestones' stages are grandfathered.
        self.env["kam.recompute.job"]._kam_schedule_settling(milestones, milestones._get_candidate_leads())
        return milestones

    def unlink(self):
        # Rows that carry nothing are dropped with their milestone; the others
        # stay as the deals' audit trail (milestone emptied, names kept).
        rows = self.env["kam.lead.milestone"].sudo().search([("milestone_id", "in", self.ids)])
        rows.filtered(
            lambda r: (
                r.state == "todo" and not r.passed and not r.grandfathered and not r.evidence and not r.attachment_ids
            )
        ).unlink()
        result = super().unlink()
        self.env["kam.lead.milestone"].invalidate_model(["milestone_id", "stage_id"])  # emptied by the database
        self.env.registry.clear_cache()
        return result

    def write(self, vals):
        scoping = {"stage_id", "team_ids", "company_id", "active"}
        before = self._get_candidate_leads() if scoping & vals.keys() else self.env["crm.lead"]
        result = super().write(vals)
        self.env.registry.clear_cache()  # _kam_get_specs
        if scoping & vals.keys():
            self.env["kam.recompute.job"]._kam_schedule_settling(self, before | self._get_candidate_leads())
        elif {"kind", "condition_domain", "role_ids", "require_contacted", "activity_type_id"} & vals.keys():
            self.env["kam.lead.milestone"].sudo().search([("milestone_id", "in", self.ids)])._refresh_states()
        return result

    def _kam_recompute_gate_settling(self):
        """A background job: the deals of these milestones settled again (``_kam_schedule_settling``)."""
        self.stage_id._kam_recompute_gate_settling()

    def _get_candidate_leads(self):
        """Deals, archived ones included, whose pipeline contains the stages of these milestones."""
        return self.stage_id._kam_get_leads_of_pipelines()
