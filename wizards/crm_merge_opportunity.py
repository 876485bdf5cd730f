from odoo import models

from ..models.crm_lead_buying_centre import MERGING_BY_HAND


class CrmMergeOpportunity(models.TransientModel):
    _inherit = "crm.merge.opportunity"

    def action_merge(self):
        # the deals merged by hand bring their buying centres and competitors to the deal that stays
        return super(CrmMergeOpportunity, self.with_context(kam_merge_buying_centres=MERGING_BY_HAND)).action_merge()
