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
        by_company = defaultdict(lambda: self.env["res.partner"])
        names = defaultdict(list)
        for lead in self:
            company = lead.company_id or self.env.company
            account = lead.partner_id.commercial_partner_id
            if not account.is_company:
                continue
            threshold = company.kam_key_deal_amount
            if lead.priority == "3" or (threshold and lead.expected_revenue >= threshold):
                by_company[company] |= account
                names[(company, account.id)].append(lead.name)
        for company, candidates in by_company.items():
            accounts = (
                candidates.sudo()
                .with_company(company)
                .filtered(lambda account: account.kam_phase and account.kam_phase != "disintegrating")
            )
            reasons = {
                account.id: self.env._("key deal lost: %(deals)s", deals=", ".join(names[(company, account.id)]))
                for account in accounts
            }
            accounts._kam_raise_phase_alert(reasons, company)
