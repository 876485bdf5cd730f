from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        # The evidence is recorded here, on the server, by the framework's own
        # "mark done": the only way an "activity done" milestone is met.
        done = self.env["kam.done.activity"]._kam_record(self)
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if done.lead_id:
            done.lead_id.exists()._kam_refresh_milestones(source="kam.done.activity")
        if done.partner_id:
            self.env["kam.stakeholder"]._kam_refresh_last_contact(done.partner_id.ids)
        return result
