from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html

from ..models.crm_lead_gate import GateBypass
from ..models.kam_guards import is_record_id
from ..models.kam_stage_history import StageExit


class KamProcessApply(models.TransientModel):
    _name = "kam.process.apply"
    _description = "Apply a Sales Process to a Team"

    team_id = fields.Many2one("crm.team", string="Sales Team", required=True, help="The team whose pipeline is set.")
    template_id = fields.Many2one(
        "kam.process.template", string="Sales Process", required=True, help="The process to apply."
    )
    tailorable = fields.Boolean(related="template_id.tailorable")
    description = fields.Text(related="template_id.description")
    line_ids = fields.One2many(
        "kam.process.apply.line",
        "wizard_id",
        string="Stages",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
        help="The stages of the process; untick those your business does not need.",
    )
    map_ids = fields.One2many(
        "kam.process.apply.map",
        "wizard_id",
        string="Current Stages",
        compute="_compute_map_ids",
        store=True,
        readonly=False,
        help="The team's current stages that are not part of the process, with where their deals go.",
    )
    shared_stage_names = fields.Char(compute="_compute_shared_stage_names", help="Stages shared by every team.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        active_id = self.env.context.get("active_id")
        if self.env.context.get("active_model") == "crm.team" and is_record_id(active_id):
            values.setdefault("team_id", active_id)
        return values

    @api.depends("template_id")
    def _compute_line_ids(self):
        for wizard in self:
            wizard.line_ids = [Command.clear()] + [
                Command.create({"template_stage_id": stage.id, "keep": True}) for stage in wizard.template_id.stage_ids
            ]

    @api.depends("team_id", "template_id", "line_ids.keep")
    def _compute_map_ids(self):
        Lead = self.env["crm.lead"].with_context(active_test=False)
        for wizard in self:
            kept = wizard.line_ids.filtered("keep").template_stage_id
            old = wizard._old_stages(kept)
            counts = dict(
                Lead._read_group(
                    [("team_id", "=", wizard.team_id.id), ("stage_id", "in", old.ids)], ["stage_id"], ["__count"]
                )
            )
            with_deals = old.filtered(lambda stage, counts=counts: counts.get(stage))
            wizard.map_ids = [Command.clear()] + [
                Command.create(
                    {
                        "stage_id": stage.id,
                        "deal_count": counts[stage],
                        "target_id": wizard._default_target(stage, kept).id,
                    }
                )
                for stage in with_deals
            ]

    @api.depends("team_id")
    def _compute_shared_stage_names(self):
        shared = self.env["crm.stage"].search([("team_id", "=", False)])
        for wizard in self:
            wizard.shared_stage_names = ", ".join(shared.mapped("name")) or False

    def _old_stages(self, kept):
        """The team's stages the process will not use: its own stages and the shared ones."""
        self.ensure_one()
        if not self.team_id:
            return self.env["crm.stage"]
        stages = self.env["crm.stage"].search(["|", ("team_id", "=", self.team_id.id), ("team_id", "=", False)])
        return stages.filtered(lambda stage: stage.team_id != self.team_id or stage.kam_template_stage_id not in kept)

    @staticmethod
    def _default_target(stage, kept):
        """The kept stage of the same funnel grade, or of the same position, or the first one."""
        if not kept:
            return kept
        same_grade = kept.filtered(lambda ts: stage.kam_funnel_grade and ts.funnel_grade == stage.kam_funnel_grade)
        if same_grade:
            return same_grade[0]
        if stage.is_won:
            return kept.filtered("is_won")[:1] or kept[-1]
        return kept[0]

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only sales managers can change a team's sales process."))
        kept = self.line_ids.filtered("keep").template_stage_id
        if not kept:
            raise UserError(self.env._("Keep at least one stage."))
        missing = self.map_ids.filtered(lambda line: not line.target_id)
        if missing:
            raise UserError(
                self.env._(
                    "Say where the deals of these stages go: %(stages)s",
                    stages=", ".join(missing.stage_id.mapped("name")),
                )
            )
        self._check_may_reorganise()
        stages = self.sudo()._apply_stages(kept)
        self.sudo()._move_deals(stages)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(team)s now follows %(process)s.", team=self.team_id.name, process=self.template_id.name
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _check_may_reorganise(self):
        """The work below runs as superuser: first check that this user may do it by hand.

        Changing a team's process creates and deletes stages and milestones,
        and moves the team's deals: the user needs those rights on stages and
        milestones, and write access to every deal that moves.
        """
        for model in ("crm.stage", "kam.milestone"):
            for operation in ("create", "write", "unlink"):
                self.env[model].check_access(operation)
        self.team_id.check_access("read")
        domain = [("team_id", "=", self.team_id.id), ("stage_id", "in", self.map_ids.stage_id.ids)]
        Lead = self.env["crm.lead"].with_context(active_test=False)
        deals = Lead.search(domain)
        if Lead.sudo().search_count(domain) != len(deals):
            raise AccessError(self.env._("Some deals of this team are hidden from you: you cannot move them."))
        deals.check_access("write")

    def _apply_stages(self, kept):
        """Create the missing stages and milestones; existing ones are left as they are (idempotent)."""
        Stage = self.env["crm.stage"]
        existing = {
            stage.kam_template_stage_id: stage
            for stage in Stage.search([("team_id", "=", self.team_id.id), ("kam_template_stage_id", "in", kept.ids)])
        }
        has_won = any(ts.is_won for ts in kept)
        stages = {}
        for index, template_stage in enumerate(kept, start=1):
            is_won = template_stage.is_won or (not has_won and index == len(kept))
            values = {
                "sequence": index * 10,
                "is_won": is_won,
                "kam_funnel_grade": template_stage.funnel_grade,
                "kam_default_probability": template_stage.probability,
                "kam_max_days": template_stage.max_days,
            }
            stage = existing.get(template_stage)
            if stage:
                changed = {name: value for name, value in values.items() if stage[name] != value}
                if changed:
                    stage.write(changed)
            else:
                stage = Stage.create(
                    {
                        **values,
                        "name": template_stage.name,
                        "team_id": self.team_id.id,
                        "kam_template_stage_id": template_stage.id,
                        "requirements": template_stage.description,
                    }
                )
            stages[template_stage] = stage
        created = [(stage, ts) for ts, stage in stages.items() if ts not in existing]
        self._copy_translations(created, {"name": "name"})
        self._apply_milestones(stages)
        return stages

    def _apply_milestones(self, stages):
        Milestone = self.env["kam.milestone"].with_context(active_test=False)
        done = {
            (milestone.stage_id.id, milestone.template_milestone_id.id)
            for milestone in Milestone.search([("stage_id", "in", [s.id for s in stages.values()])])
            if milestone.template_milestone_id
        }
        values = []
        for template_stage, stage in stages.items():
            for item in template_stage.milestone_ids:
                if (stage.id, item.id) in done:
                    continue
                values.append(
                    {
                        **item._kam_milestone_values(),
                        "stage_id": stage.id,
                        "team_ids": [Command.set(self.team_id.ids)],
                        "company_id": self.team_id.company_id.id,
                    }
                )
        if values:
            milestones = Milestone.create(values)
            self._copy_translations([(m, m.template_milestone_id) for m in milestones], {"name": "name"})
            self._copy_translations(
                [(m, m.template_milestone_id) for m in milestones if m.template_milestone_id.guidance],
                {"guidance": "guidance"},
                html=True,
            )

    def _copy_translations(self, pairs, fnames, html=False):
        """Give new records every installed translation of the template record they come from."""
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        for record, source in pairs:
            for target_name, source_name in fnames.items():
                term_based = callable(record._fields[target_name].translate)
                original = source.with_context(lang="en_US")[source_name]
                translations = {}
                for lang in langs:
                    value = source.with_context(lang=lang)[source_name]
                    if not value or lang == "en_US":
                        continue
                    if term_based:
                        translations[lang] = {original: value}
                    else:
                        translations[lang] = plaintext2html(value) if html else value
                if translations:
                    record.update_field_translations(target_name, translations)

    def _move_deals(self, stages):
        """Move the deals of the stages left out as mapped, then drop the team's emptied stages."""
        Lead = self.env["crm.lead"].with_context(
            active_test=False, kam_gate_bypass=GateBypass(GateBypass.REMAPPED), kam_stage_exit=StageExit("remapped")
        )
        for line in self.map_ids:
            target = stages[line.target_id]
            deals = Lead.search([("team_id", "=", self.team_id.id), ("stage_id", "=", line.stage_id.id)])
            if deals:
                deals.write({"stage_id": target.id})
        old = self._old_stages(self.line_ids.filtered("keep").template_stage_id).filtered(
            lambda stage: stage.team_id == self.team_id
        )
        still_used = Lead.search([("stage_id", "in", old.ids)]).stage_id
        dropped = old - still_used
        # through the ORM, so that the gate's cached milestone specs forget them
        self.env["kam.milestone"].with_context(active_test=False).search([("stage_id", "in", dropped.ids)]).unlink()
        dropped.unlink()


class KamProcessApplyLine(models.TransientModel):
    _name = "kam.process.apply.line"
    _description = "Stage of the Process Being Applied"
    _order = "sequence, id"

    wizard_id = fields.Many2one("kam.process.apply", required=True, ondelete="cascade")
    template_stage_id = fields.Many2one("kam.process.template.stage", string="Stage", required=True)
    sequence = fields.Integer(related="template_stage_id.sequence")
    keep = fields.Boolean(default=True, help="Create this stage in the team's pipeline.")
    keep_question = fields.Char(related="template_stage_id.keep_question")
    optional = fields.Boolean(related="template_stage_id.optional")
    funnel_grade = fields.Selection(related="template_stage_id.funnel_grade")
    milestone_names = fields.Char(string="Milestones", compute="_compute_milestone_names")

    @api.depends("template_stage_id")
    def _compute_milestone_names(self):
        for line in self:
            line.milestone_names = ", ".join(line.template_stage_id.milestone_ids.mapped("name"))


class KamProcessApplyMap(models.TransientModel):
    _name = "kam.process.apply.map"
    _description = "Where the Deals of a Current Stage Go"

    wizard_id = fields.Many2one("kam.process.apply", required=True, ondelete="cascade")
    stage_id = fields.Many2one("crm.stage", string="Current Stage", required=True)
    deal_count = fields.Integer(string="Deals", help="Deals of the team in this stage, lost ones too.")
    kept_ids = fields.Many2many("kam.process.template.stage", compute="_compute_kept_ids")
    target_id = fields.Many2one(
        "kam.process.template.stage",
        string="Move Deals To",
        domain="[('id', 'in', kept_ids)]",
        help="The stage of the new process that receives these deals.",
    )

    @api.depends("wizard_id.line_ids.keep")
    def _compute_kept_ids(self):
        for line in self:
            line.kept_ids = line.wizard_id.line_ids.filtered("keep").template_stage_id
