from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        lead_ids = {a.res_id for a in self if a.res_model == "crm.lead"}
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if lead_ids:
            self.env["crm.lead"].browse(lead_ids).exists()._kam_refresh_milestones(kinds=("activity",))
        return result
