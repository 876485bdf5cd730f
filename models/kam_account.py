"""The key account: one record per customer company and one of our companies.

Everything the addon knows of a customer as an account — its tier and
figures (``kam_account_tier.py``), its relationship phase
(``kam_account_phase.py``) — lives here in plain columns, so that list views,
grouping, sorting and record rules work as for any model.  The companies'
forms show the current company's account through the public names on
``res.partner`` (``res_partner_key_account.py``).
"""

from odoo import api, fields, models
from odoo.addons.base_automation.models.base_automation import WRITE_TRIGGERS

from .res_partner_key_account import MIRRORED_FIELDS


class KamAccount(models.Model):
    _name = "kam.account"
    _description = "Key Account"
    _order = "tier_score desc, id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('is_company', '=', True)]",
        help="The customer company.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
        help="Our company whose relationship with the customer this is.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="Who manages the relationship; defaults to the customer's salesperson.",
    )

    _sql_constraints = [
        (
            "partner_company_unique",
            "unique(partner_id, company_id)",
            "A customer has one account per company.",
        ),
    ]

    @api.depends("partner_id.user_id")
    def _compute_user_id(self):
        for account in self:
            if not account.user_id:
                account.user_id = account.partner_id.user_id

    @api.depends("partner_id.name", "company_id.name")
    @api.depends_context("allowed_company_ids")
    def _compute_display_name(self):
        several = len(self.env.companies) > 1
        for account in self:
            name = account.partner_id.name or ""
            account.display_name = f"{name} ({account.company_id.name})" if several and account.company_id else name

    @api.model
    def _kam_get_or_create(self, partners, company):
        """The accounts of ``partners`` (companies) in ``company``, created where missing (sudo)."""
        Account = self.sudo().with_context(active_test=False)
        partner_ids = list(dict.fromkeys(partners.ids))
        existing = Account.search_fetch(
            [("partner_id", "in", partner_ids), ("company_id", "=", company.id)], ["partner_id"]
        )
        have = set(existing.partner_id.ids)
        missing = [pid for pid in partner_ids if pid not in have]
        created = (
            Account.create([{"partner_id": pid, "company_id": company.id} for pid in missing]) if missing else Account
        )
        return existing | created

    @api.model
    def _kam_scope_sql(self, company):
        """What the figures of ``company``'s accounts read: the deals of their company and branches (or
        of every company with the "All companies" scope), as the SQL joined to ``crm_lead l`` and
        ``res_partner p`` (the deal's customer) by every account query.

        Returns ``(scope company ids, SQL condition on l)``.
        """
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        if company.kam_tier_scope == "group":
            scope = companies.search([("active", "in", (True, False))])
        else:
            scope = companies.search([("id", "child_of", company.id)])
        return scope.ids

    # --- automation rules written on the companies' public names ---------------------------

    def write(self, vals):
        """Rules on companies watching a public name (e.g. "Account Tier") see a change of the account.

        The partner's names are fields of the current company's account, not
        stored on the partner: the stock rule machinery cannot see their old
        values, so the account hands them over, as a write of the partner would.
        """
        bridged = self._kam_partner_rules(vals)
        if not bridged:
            return super().write(vals)
        rules, names = bridged
        partners_by_company = {}
        old_values, pre = {}, {}
        for company in self.company_id:
            partners = self.filtered(lambda a, c=company: a.company_id == c).partner_id.with_company(company)
            partners_by_company[company] = partners
            for partner in partners:
                old_values[partner.id] = {name: partner[name] for name in names}
            pre[company] = {rule: rule._filter_pre(partners) for rule in rules}
        result = super().write(vals)
        for company, partners in partners_by_company.items():
            partners.invalidate_recordset([*names, "kam_account_id"])
            for rule in rules.with_context(old_values=old_values):
                records, domain_post = rule._filter_post_export_domain(pre[company][rule], feedback=True)
                rule._process(records, domain_post=domain_post)
        return result

    def _kam_partner_rules(self, vals):
        """(rules on res.partner whose trigger fields include public names written here, those names)."""
        names = [partner for partner, account in MIRRORED_FIELDS.items() if account in vals]
        if not names or not self:
            return None
        Partner = self.env["res.partner"]
        rules = self.env["base.automation"]._get_actions(Partner, WRITE_TRIGGERS)
        rules = rules.filtered(lambda rule: set(rule.sudo().trigger_field_ids.mapped("name")) & set(names))
        return (rules, names) if rules else None
