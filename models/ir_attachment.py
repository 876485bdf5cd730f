from odoo import models

# what a file says: its content and where it is kept (a name or a link to the record is not the evidence)
CONTENT_FIELDS = frozenset({"datas", "raw", "db_datas", "store_fname", "url", "type"})


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def write(self, vals):
        if not self.env.su and self and CONTENT_FIELDS & vals.keys():
            # Odoo lets whoever may edit a file's record rewrite it: not the evidence of a stage the deal left.
            self.env["kam.lead.milestone"]._kam_check_attachments_frozen(set(self.ids))
        return super().write(vals)

    def unlink(self):
        if not self.env.su and self:
            # A file that is the only evidence of a ticked milestone stays.
            self.env["kam.lead.milestone"]._kam_check_attachments_removable(set(self.ids))
        return super().unlink()
