from odoo import fields, models


class CrmStage(models.Model):
    _inherit = "crm.stage"

    kam_milestone_ids = fields.One2many(
        "kam.milestone",
        "stage_id",
        string="Milestones",
        help="What must be met before a deal may leave this stage forward.",
    )
    kam_milestone_count = fields.Integer(string="Milestone Count", compute="_compute_kam_milestone_count")

    def _compute_kam_milestone_count(self):
        counts = dict(self.env["kam.milestone"]._read_group([("stage_id", "in", self.ids)], ["stage_id"], ["__count"]))
        for stage in self:
            stage.kam_milestone_count = counts.get(stage, 0)
