from odoo import api, fields, models
from odoo.addons.kam_sales_process.kam_sales_process.redflags import FlagRule


def _sponsor_not_met(situation):
    """Someone holds the example's "Sponsor" role and was never contacted."""
    sponsor = situation.extra.get("sponsor_role_id")
    return any(sponsor in person.role_ids and not person.contacted for person in situation.people)


class KamRedFlag(models.Model):
    _inherit = "kam.red.flag"

    code = fields.Selection(
        selection_add=[("sponsor_not_met", "Sponsor never met")], ondelete={"sponsor_not_met": "cascade"}
    )

    @api.model
    def _kam_get_situation_extra(self):
        sponsor = self.env.ref("kam_example_extension.role_sponsor", raise_if_not_found=False)
        return {**super()._kam_get_situation_extra(), "sponsor_role_id": sponsor.id if sponsor else None}

    @api.model
    def _kam_get_rules(self):
        return [
            *super()._kam_get_rules(),
            FlagRule(
                "sponsor_not_met",
                "Sponsor never met",
                "The project's sponsor was never met.",
                _sponsor_not_met,
                sequence=60,
                module="kam_example_extension",
            ),
        ]
