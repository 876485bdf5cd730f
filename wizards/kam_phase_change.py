from odoo import fields, models

from ..models.kam_phase import PHASES


class KamPhaseChange(models.TransientModel):
    _name = "kam.phase.change"
    _description = "Change a Key Account's Relationship Phase"

    account_id = fields.Many2one("kam.account", required=True, readonly=True)
    phase = fields.Selection(PHASES, string="New Phase", required=True, help="The phase the account enters.")
    note = fields.Text(string="Why", help="Kept in the phase history.")

    def action_apply(self):
        self.ensure_one()
        if self.phase != self.account_id.phase:
            self.account_id.with_context(kam_phase_note=self.note).phase = self.phase
        elif self.note:
            self.account_id.partner_id.message_post(body=self.note)
        return {"type": "ir.actions.act_window_close"}
