from odoo import models

# what a file says and who may see it: its content, where it is kept, its type, its index and its publicity
# (its name, description or the record it hangs on are not the evidence)
CONTENT_FIELDS = frozenset(
    {
        "datas",
        "raw",
        "db_datas",
        "store_fname",
        "url",
        "type",
        "mimetype",
        "index_content",
        "checksum",
        "file_size",
        "public",
    }
)


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def write(self, vals):
        if not self.env.su and self and CONTENT_FIELDS & vals.keys():
            # Odoo lets whoever may edit a file's record rewrite it: not the evidence of a stage the deal left.
            self.env["kam.lead.milestone"]._kam_check_attachments_frozen(set(self.ids))
        return super().write(vals)

    def unlink(self):
        if not self.env.su and self:
            # The files of a stage the deal has left stay, and so does the only evidence of a ticked milestone.
            self.env["kam.lead.milestone"]._kam_check_attachments_frozen(set(self.ids), removing=True)
        return super().unlink()
