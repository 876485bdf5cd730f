"""What a deal tells its key account: losing a key deal flags the account's relationship."""

from collections import defaultdict

from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def write(self, vals):
        if vals.get("active", True) is not False:
            return super().write(vals)
        was_active = self.filtered("active")
        result = super().write(vals)
        lost = was_active.filtered(lambda lead: not lead.active and not lead.probability)
        if lost:
            lost._kam_alert_key_deals_lost()
        return result

    def _kam_alert_key_deals_lost(self):
        """A lost key deal (amount from Settings, or three stars) flags its account, if it has a phase."""
        candidates = defaultdict(list)
        for lead in self:
            company = lead.company_id or self.env.company
            customer = lead.partner_id.commercial_partner_id
            threshold = company.kam_key_deal_amount
            if customer.is_company and (lead.priority == "3" or (threshold and lead.expected_revenue >= threshold)):
                candidates[(company.id, customer.id)].append(lead.name)
        if not candidates:
            return
        Account = self.env["kam.account"].sudo()
        accounts = Account.search(
            [
                ("partner_id", "in", list({customer for _company, customer in candidates})),
                ("company_id", "in", list({company for company, _customer in candidates})),
                ("phase", "not in", (False, "disintegrating")),
            ]
        )
        reasons = {
            account.id: self.env._(
                "key deal lost: %(deals)s",
                deals=", ".join(candidates[(account.company_id.id, account.partner_id.id)]),
            )
            for account in accounts
            if (account.company_id.id, account.partner_id.id) in candidates
        }
        accounts.filtered(lambda account: account.id in reasons)._kam_raise_phase_alert(reasons)
