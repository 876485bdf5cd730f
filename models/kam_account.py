"""The key account: one record per customer company and one of our companies.

Everything the addon knows of a customer as an account — its tier and
figures (``kam_account_tier.py``), its relationship phase
(``kam_account_phase.py``) — lives here in plain columns, so that list views,
grouping, sorting and record rules work as for any model.  The companies'
forms show the current company's account through the public names on
``res.partner`` (``res_partner_key_account.py``).
"""

from odoo import api, fields, models
from odoo.addons.base_automation.models.base_automation import CREATE_WRITE_SET, WRITE_TRIGGERS
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .res_partner_key_account import MIRRORED_FIELDS

#: Missing accounts from which ``_kam_get_or_create`` inserts them in one statement.
BULK_CREATE = 500


def _column_values(field, values):
    """Plain Python values of ``field`` as a list for an SQL array parameter (NULL for empty values)."""
    if field.type in ("many2one", "date", "datetime", "selection", "char"):
        return [value or None for value in values]
    return list(values)


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

    @api.model
    def _kam_own_partners(self):
        """Our own companies' partners (archived companies included): never a customer."""
        return (
            self.env["res.company"]
            .sudo()
            .with_context(active_test=False)
            .search([("active", "in", (True, False))])
            .partner_id
        )

    @api.constrains("partner_id")
    def _check_partner_not_ours(self):
        ours = self.partner_id & self._kam_own_partners()
        if ours:
            raise ValidationError(
                self.env._(
                    "Our own companies are not customers and have no key account: %(companies)s",
                    companies=", ".join(ours.mapped("display_name")),
                )
            )

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
        """The accounts of ``partners`` (companies) in ``company``, created where missing (sudo).

        Many missing accounts at once (the first scoring of a database) are
        inserted in one statement (``_kam_insert_accounts``) unless automation
        rules watch accounts.
        """
        Account = self.sudo().with_context(active_test=False)
        partner_ids = list(dict.fromkeys((partners - self._kam_own_partners()).ids))
        existing = Account._kam_existing(partner_ids, company)
        missing = [pid for pid in partner_ids if pid not in existing]
        if len(missing) >= BULK_CREATE and not Account._kam_rules_watch_accounts():
            created = Account._kam_insert_accounts(missing, company)
        elif missing:
            created = Account.create([{"partner_id": pid, "company_id": company.id} for pid in missing])
        else:
            created = Account
        return Account.browse(existing.values()) | created

    @api.model
    def _kam_existing(self, partner_ids, company):
        """``{customer id: account id}`` of the accounts of ``partner_ids`` in ``company`` (one query)."""
        if not partner_ids:
            return {}
        self.flush_model(["partner_id", "company_id"])
        return dict(
            self.env.execute_query(
                SQL(
                    "SELECT partner_id, id FROM kam_account WHERE company_id = %s AND partner_id = ANY(%s)",
                    company.id,
                    list(partner_ids),
                )
            )
        )

    @api.model
    def _kam_rules_watch_accounts(self):
        """Whether automation rules may react to accounts being created or changed: rules on accounts, or
        rules on companies watching the public names.  Without any, bulk work may go through SQL."""
        Automation = self.env["base.automation"].sudo()
        if Automation._get_actions(self, list(CREATE_WRITE_SET)):
            return True
        rules = Automation._get_actions(self.env["res.partner"], WRITE_TRIGGERS)
        names = set(MIRRORED_FIELDS)
        return any(not rule.trigger_field_ids or set(rule.trigger_field_ids.mapped("name")) & names for rule in rules)

    @api.model
    def _kam_insert_accounts(self, partner_ids, company, columns=None):
        """Create the accounts of ``partner_ids`` in ``company`` in one INSERT (sudo); ``columns`` maps field
        names to their values, one per partner.

        Creating tens of thousands of records through ``create()`` costs
        seconds per thousand.  Used only when no automation rule watches
        accounts (``_kam_rules_watch_accounts``): the accounts get the defaults
        of their fields, the account manager of their customer and the
        ``columns`` given, and their other stored computed fields are computed
        by the ORM afterwards, as after ``create()``.  An extension whose
        ``create()`` must see every new account overrides this method.
        """
        Account = self.sudo().with_company(company)
        columns = dict(columns or {})
        self.env["res.partner"].flush_model(["user_id"])
        given = {"partner_id", "company_id", "user_id", *columns}
        plain = [
            field
            for name, field in Account._fields.items()
            if field.store
            and field.column_type
            and not field.compute
            and name not in given
            and name not in models.MAGIC_COLUMNS
        ]
        defaults = Account.default_get([field.name for field in plain])
        constants = [
            (field, field.convert_to_column_insert(defaults[field.name], Account.browse()))
            for field in plain
            if defaults.get(field.name) not in (None, False)
        ]
        varying = [(Account._fields[name], values) for name, values in columns.items()]
        now = fields.Datetime.now()
        ids = []
        for start in range(0, len(partner_ids), 10000):
            stop = start + 10000
            ids += [
                row[0]
                for row in self.env.execute_query(
                    SQL(
                        """
                INSERT INTO kam_account (partner_id, company_id, user_id, create_uid, create_date, write_uid,
                                         write_date %(names)s)
                SELECT v.partner_id, %(company)s, p.user_id, %(uid)s, %(now)s, %(uid)s, %(now)s %(values)s
                  FROM unnest(%(partners)s::int[] %(arrays)s) AS v(partner_id %(aliases)s)
                  JOIN res_partner p ON p.id = v.partner_id
                    ON CONFLICT (partner_id, company_id) DO NOTHING
             RETURNING id
                        """,
                        names=SQL("").join(
                            SQL(", %s", SQL.identifier(field.name)) for field, _value in [*constants, *varying]
                        ),
                        company=company.id,
                        uid=self.env.uid,
                        now=now,
                        values=SQL("").join(
                            [SQL(", %s", value) for _field, value in constants]
                            + [SQL(", v.%s", SQL.identifier(field.name)) for field, _values in varying]
                        ),
                        partners=list(partner_ids[start:stop]),
                        arrays=SQL("").join(
                            SQL(", %s::%s[]", _column_values(field, values[start:stop]), SQL(field.column_type[1]))
                            for field, values in varying
                        ),
                        aliases=SQL("").join(SQL(", %s", SQL.identifier(field.name)) for field, _values in varying),
                    )
                )
            ]
        accounts = Account.browse(ids)
        accounts.modified([name for name, field in Account._fields.items() if field.store], create=True)
        for name, field in Account._fields.items():
            if field.store and field.compute:
                if name in given:
                    self.env.remove_to_compute(field, accounts)  # set by the insert
                else:
                    self.env.add_to_compute(field, accounts)
        return accounts.with_env(self.sudo().with_context(active_test=False).env)

    def _kam_update_columns(self, columns):
        """Write ``columns`` (field name -> one value per account of ``self``, in order) in one UPDATE, for
        derived figures of many accounts: no ``write()`` (no rules, no tracking); the cache is invalidated
        and the fields depending on them are marked to recompute."""
        if not self:
            return
        self.flush_recordset(list(columns))
        names = list(columns)
        for start in range(0, len(self), 10000):
            chunk = self[start : start + 10000]
            self.env.cr.execute(
                SQL(
                    """
                UPDATE kam_account a
                   SET write_uid = %(uid)s, write_date = %(now)s %(assignments)s
                  FROM unnest(%(ids)s::int[] %(arrays)s) AS v(id %(aliases)s)
                 WHERE a.id = v.id
                    """,
                    uid=self.env.uid,
                    now=fields.Datetime.now(),
                    assignments=SQL("").join(
                        SQL(", %s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name in names
                    ),
                    ids=chunk.ids,
                    arrays=SQL("").join(
                        SQL(
                            ", %s::%s[]",
                            _column_values(self._fields[name], columns[name][start : start + 10000]),
                            SQL(self._fields[name].column_type[1]),
                        )
                        for name in names
                    ),
                    aliases=SQL("").join(SQL(", %s", SQL.identifier(name)) for name in names),
                )
            )
        self.invalidate_recordset([*names, "write_uid", "write_date"])
        self.modified(names)

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
