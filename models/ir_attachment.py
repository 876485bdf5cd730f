from odoo import models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def unlink(self):
        if not self.env.su and self:
            # A file that is the only evidence of a ticked milestone stays.
            self.env["kam.lead.milestone"]._kam_check_attachments_removable(set(self.ids))
        return super().unlink()
