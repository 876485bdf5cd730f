from markupsafe import Markup
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.kam_guards import is_record_id
from ..models.kam_stage_history import StageExit
from ..models.mail_message import AUDIT_LOG


class KamStageOverride(models.TransientModel):
    _name = "kam.stage.override"
    _description = "Force Deals Past Unmet Milestones"

    # Archived deals too: a manager may place one before restoring it.
    lead_ids = fields.Many2many("crm.lead", string="Deals", required=True, context={"active_test": False})
    stage_id = fields.Many2one("crm.stage", required=True, help="The stage to move the deals to.")
    reason = fields.Text(
        required=True, help="Why the deals may skip their unmet milestones; kept in each deal's chatter."
    )
    unmet_summary = fields.Text(
        string="Milestones Skipped", compute="_compute_unmet_summary", help="What the move skips, deal by deal."
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        if (
            "lead_ids" in fields_list
            and not values.get("lead_ids")
            and context.get("active_model") == "crm.lead"
            and context.get("active_ids")
            and isinstance(context["active_ids"], list)
            and all(is_record_id(i) for i in context["active_ids"])
        ):
            # the deals selected in the list (a client's context: ids only, anything else is ignored)
            values["lead_ids"] = [fields.Command.set(context["active_ids"])]
        return values

    @api.depends("lead_ids", "stage_id")
    def _compute_unmet_summary(self):
        for wizard in self:
            unmet = wizard._get_unmet()
            wizard.unmet_summary = "\n".join(
                f"{lead.display_name}: {', '.join(rows.milestone_id.mapped('name'))}" for lead, rows in unmet.items()
            )

    def _get_unmet(self):
        self.ensure_one()
        leads = self.lead_ids._origin
        if not self.stage_id or not leads:
            return {}
        # What the move from each deal's current stage to the target leaves unmet.
        return leads._kam_get_unmet_for_moves({lead.id: lead._kam_position() for lead in leads}, self.stage_id._origin)

    def _check_manager(self):
        if not self.env.user.has_group("kam_sales_process.group_kam_manager"):
            raise AccessError(self.env._("Only a sales manager may force a stage past unmet milestones."))

    def action_confirm(self):
        self._check_manager()
        for wizard in self:
            if not isinstance(wizard.reason, str) or not wizard.reason.strip():
                raise UserError(self.env._("Say why the deals may skip their milestones."))
            if not wizard.lead_ids:
                raise UserError(self.env._("Select the deals whose stage is forced."))
            unmet = wizard._get_unmet()
            rows = self.env["kam.lead.milestone"].concat(*unmet.values())
            if rows:
                rows.action_waive(wizard.reason)
            wizard.lead_ids.with_context(kam_stage_exit=StageExit("forced")).write({"stage_id": wizard.stage_id.id})
            wizard._log_override(unmet)
        return {"type": "ir.actions.act_window_close"}

    def _log_override(self, unmet):
        bodies = {}
        for lead in self.lead_ids:
            rows = unmet.get(lead)
            skipped = ", ".join(rows.milestone_id.mapped("name")) if rows else self.env._("none")
            bodies[lead.id] = Markup("<p>%s</p><p>%s</p><p>%s</p>") % (
                self.env._(
                    "Stage forced to %(stage)s by %(user)s.",
                    stage=self.stage_id.name,
                    user=self.env.user.name,
                ),
                self.env._("Reason: %(reason)s", reason=self.reason.strip()),
                self.env._("Milestones skipped: %(milestones)s", milestones=skipped),
            )
        self.lead_ids.with_context(kam_audit_log=AUDIT_LOG)._message_log_batch(bodies=bodies)
