"""Relationship phases of key accounts: phase and history, recommended actions,
a suggestion from evidence, the disintegration alert and the 5x5 grid.

Like the tiers, the phase is company-dependent: each company of the database
runs its own relationship with a customer.
"""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup
from odoo import api, fields, models
from odoo.tools import SQL, plaintext2html

from ..kam_sales_process.phases import (
    COMPANY_LEVELS,
    PERSONAL_LEVELS,
    Evidence,
    grid_cell,
    is_inactive,
    suggest_phase,
    unmet,
)
from .kam_phase import PHASES

COMPANY_LEVEL_LABELS = [
    ("brand", "Brand"),
    ("emotion", "Emotion"),
    ("solution", "Solution"),
    ("value", "Value"),
    ("trust", "Trust and commitment"),
]
#: Phases in which an account can drift away (the alert watches them).
WATCHED_PHASES = ("basic", "cooperative", "interdependent", "integrated")


class ResPartner(models.Model):
    _inherit = "res.partner"

    kam_phase = fields.Selection(
        PHASES,
        string="Relationship Phase",
        company_dependent=True,
        tracking=True,
        help="Where the relationship with this account stands: exploratory (孕育), basic (初期), cooperative (中期), "
        "interdependent (伙伴), integrated (协作) or disintegrating (中断). Set by a person; every change is kept in "
        "the history and schedules the phase's recommended actions.",
    )
    kam_phase_date = fields.Date(
        string="In Phase Since", company_dependent=True, index=False, help="When the account entered its phase."
    )
    kam_phase_history_ids = fields.One2many(
        "kam.phase.history",
        string="Phase History",
        compute="_compute_kam_phase_history_ids",
        help="Every phase change of this account in the current company: who, when, why.",
    )
    kam_share_of_wallet = fields.Float(
        string="Share of Wallet (%)",
        company_dependent=True,
        index=False,
        help="Your estimate of the share of the customer's spend in your category that goes to you.",
    )
    kam_company_relationship = fields.Selection(
        COMPANY_LEVEL_LABELS,
        string="Company Relationship",
        company_dependent=True,
        index=False,
        help="How deep the relationship between the two companies goes: brand (品牌), emotion (情感), solution "
        "(方案), value (价值), trust and commitment (信任/承诺).",
    )
    kam_phase_alert = fields.Boolean(
        string="Disintegration Alert",
        company_dependent=True,
        index=False,
        help="Raised when the account had no won deal and no interaction for the days set in Settings, or lost a "
        "key deal. Cleared when the phase is next changed.",
    )
    kam_phase_alert_reason = fields.Char(
        string="Alert Reason", company_dependent=True, index=False, help="Why the disintegration alert was raised."
    )
    kam_phase_suggested = fields.Selection(
        PHASES,
        string="Suggested Phase",
        compute="_compute_kam_phase_suggestion",
        help="The phase the evidence points to: share of wallet, departments engaged, deepest relationship, won "
        "deals, months of relationship (or the disintegration alert).",
    )
    kam_phase_suggestion = fields.Char(
        string="Because", compute="_compute_kam_phase_suggestion", help="The evidence behind the suggestion."
    )
    kam_departments = fields.Integer(
        string="Departments Engaged",
        compute="_compute_kam_phase_suggestion",
        help="Distinct job positions of the people in the account's buying centres.",
    )
    kam_deepest_level = fields.Selection(
        [
            ("greeting", "Greeting"),
            ("facts", "Facts"),
            ("opinions", "Opinions"),
            ("behaviour", "Behaviour"),
            ("values", "Values"),
        ],
        string="Deepest Personal Relationship",
        compute="_compute_kam_phase_suggestion",
        help="The deepest relationship level reached with someone in the account's buying centres.",
    )
    kam_relationship_months = fields.Integer(
        string="Months of Relationship",
        compute="_compute_kam_phase_suggestion",
        help="Since the account's first deal.",
    )
    kam_relationship_grid = fields.Html(
        string="Relationship Grid",
        compute="_compute_kam_relationship_grid",
        sanitize=False,
        help="Company relationship level x deepest personal relationship level (the 25-cell grid).",
    )

    @api.depends_context("company")
    def _compute_kam_phase_history_ids(self):
        rows = self.env["kam.phase.history"].search(
            [("partner_id", "in", self.ids), ("company_id", "=", self.env.company.id)]
        )
        by_partner = defaultdict(lambda: self.env["kam.phase.history"])
        for row in rows:
            by_partner[row.partner_id.id] |= row
        for partner in self:
            partner.kam_phase_history_ids = by_partner[partner.id]

    # --- phase changes ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        with_phase = partners.filtered("kam_phase")
        if with_phase:
            with_phase._kam_after_phase_change(dict.fromkeys(with_phase.ids, False))
        return partners

    def write(self, vals):
        if "kam_phase" not in vals:
            return super().write(vals)
        before = {partner.id: partner.kam_phase for partner in self}
        result = super().write(vals)
        changed = {pid: old for pid, old in before.items() if old != (vals["kam_phase"] or False)}
        if changed:
            self.browse(list(changed))._kam_after_phase_change(changed)
        return result

    def _kam_after_phase_change(self, previous):
        """History rows, phase date, cleared alert and recommended actions, for all of ``self`` at once."""
        note = self.env.context.get("kam_phase_note") or False
        now = fields.Datetime.now()
        self.env["kam.phase.history"].sudo().create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": self.env.company.id,
                    "phase": partner.kam_phase,
                    "previous_phase": previous.get(partner.id) or False,
                    "date": now,
                    "user_id": self.env.user.id,
                    "note": note,
                }
                for partner in self
                if partner.kam_phase
            ]
        )
        self.sudo().write(
            {
                "kam_phase_date": fields.Date.context_today(self),
                "kam_phase_alert": False,
                "kam_phase_alert_reason": False,
            }
        )
        self.invalidate_recordset(["kam_phase_history_ids"])
        self._kam_schedule_phase_actions()

    def _kam_schedule_phase_actions(self):
        """Schedule each phase's recommended actions for the account managers, in one create."""
        by_phase = defaultdict(list)
        for partner in self:
            if partner.kam_phase:
                by_phase[partner.kam_phase].append(partner)
        if not by_phase:
            return
        actions = self.env["kam.phase.action"].sudo().search([("phase", "in", list(by_phase))])
        if not actions:
            return
        model_id = self.env["ir.model"]._get_id("res.partner")
        today = fields.Date.context_today(self)
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        # One create per recommended action: mail.activity subscribes the assignees per
        # record and trips over a record listed twice in one create.
        for action in actions:
            Activity.create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": partner.id,
                        "activity_type_id": action.activity_type_id.id,
                        "summary": action.summary,
                        "note": plaintext2html(action.note) if action.note else False,
                        "date_deadline": today + timedelta(days=action.days),
                        "user_id": (partner.user_id or self.env.user).id,
                    }
                    for partner in by_phase[action.phase]
                ]
            )

    def action_kam_apply_suggested_phase(self):
        """One click: set the suggested phase, the reasons go to the history (sales managers)."""
        self._kam_check_managed(["kam_phase"])
        for partner in self:
            if partner.kam_phase_suggested and partner.kam_phase_suggested != partner.kam_phase:
                partner.with_context(
                    kam_phase_note=self.env._("Suggestion applied: %(because)s", because=partner.kam_phase_suggestion)
                ).kam_phase = partner.kam_phase_suggested
        return True

    def action_kam_change_phase(self):
        self._kam_check_managed(["kam_phase"])
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Relationship Phase"),
            "res_model": "kam.phase.change",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id, "default_phase": self.kam_phase},
        }

    # --- evidence and suggestion ---------------------------------------------------------

    @api.model
    def _kam_read_evidence(self, account_ids, company, today):
        """{account id: (won deals, months, departments, deepest level index)} from two grouped queries."""
        scope = self._kam_scope_companies(company)
        self.env["crm.lead"].flush_model(["partner_id", "company_id", "active", "stage_id", "create_date"])
        self.env["res.partner"].flush_model(["commercial_partner_id", "function"])
        self.env["kam.stakeholder"].flush_model(["lead_id", "partner_id", "relationship_level"])
        deals = {
            row[0]: row[1:]
            for row in self.env.execute_query(
                SQL(
                    """
            SELECT p.commercial_partner_id,
                   COUNT(*) FILTER (WHERE l.active AND s.is_won),
                   MIN(l.create_date)
              FROM crm_lead l
              JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN crm_stage s ON s.id = l.stage_id
             WHERE p.commercial_partner_id = ANY(%(accounts)s)
               AND COALESCE(l.company_id, %(company)s) = ANY(%(scope)s)
          GROUP BY p.commercial_partner_id
                    """,
                    accounts=list(account_ids),
                    company=company.id,
                    scope=scope.ids,
                )
            )
        }
        people = {
            row[0]: row[1:]
            for row in self.env.execute_query(
                SQL(
                    """
            SELECT p.commercial_partner_id,
                   COUNT(DISTINCT NULLIF(LOWER(TRIM(person.function)), '')),
                   MAX(array_position(%(levels)s::varchar[], st.relationship_level))
              FROM kam_stakeholder st
              JOIN crm_lead l ON l.id = st.lead_id
              JOIN res_partner p ON p.id = l.partner_id
              JOIN res_partner person ON person.id = st.partner_id
             WHERE p.commercial_partner_id = ANY(%(accounts)s)
               AND COALESCE(l.company_id, %(company)s) = ANY(%(scope)s)
          GROUP BY p.commercial_partner_id
                    """,
                    accounts=list(account_ids),
                    company=company.id,
                    scope=scope.ids,
                    levels=list(PERSONAL_LEVELS),
                )
            )
        }
        evidence = {}
        for account_id in account_ids:
            won, first = deals.get(account_id, (0, None))
            departments, level = people.get(account_id, (0, None))
            months = 0
            if first:
                months = (today.year - first.year) * 12 + today.month - first.month - (today.day < first.day)
            evidence[account_id] = (won or 0, max(months, 0), departments or 0, level or 0)
        return evidence

    @api.depends_context("company", "lang")
    def _compute_kam_phase_suggestion(self):
        accounts = self.filtered(lambda p: p.is_company and p.id)
        others = self - accounts
        others.update(
            {
                "kam_phase_suggested": False,
                "kam_phase_suggestion": False,
                "kam_departments": 0,
                "kam_deepest_level": False,
                "kam_relationship_months": 0,
            }
        )
        if not accounts:
            return
        today = fields.Date.context_today(self)
        evidence = self.sudo()._kam_read_evidence(accounts.ids, self.env.company, today)
        labels = dict(self._fields["kam_phase"]._description_selection(self.env))
        for partner in accounts:
            won, months, departments, level = evidence[partner.id]
            facts = Evidence(
                share_of_wallet=partner.kam_share_of_wallet or None,
                departments=departments,
                deepest_level=level,
                won_deals=won,
                months=months,
            )
            partner.kam_departments = departments
            partner.kam_deepest_level = PERSONAL_LEVELS[level - 1] if level else False
            partner.kam_relationship_months = months
            if partner.kam_phase_alert:
                partner.kam_phase_suggested = "disintegrating"
                partner.kam_phase_suggestion = partner.kam_phase_alert_reason
                continue
            phase, rule, next_rule = suggest_phase(facts)
            partner.kam_phase_suggested = phase
            partner.kam_phase_suggestion = self._kam_explain(facts, phase, rule, next_rule, labels)

    def _kam_explain(self, facts, phase, rule, next_rule, labels):
        """ "share of wallet 60 %, 3 departments, …; for Interdependent: departments 4" in words."""
        level = PERSONAL_LEVELS[facts.deepest_level - 1] if facts.deepest_level else False
        levels = dict(self._fields["kam_deepest_level"]._description_selection(self.env))
        level_label = levels.get(level) or self.env._("none")
        shown = [
            self.env._("share of wallet %(share)s %%", share=round(facts.share_of_wallet or 0)),
            self.env._("%(count)s departments engaged", count=facts.departments),
            self.env._("deepest relationship: %(level)s", level=level_label),
            self.env._("%(count)s won deals", count=facts.won_deals),
            self.env._("%(count)s months", count=facts.months),
        ]
        text = ", ".join(shown)
        if next_rule:
            needs = {
                "share": self.env._("share of wallet %(share)s %%", share=round(next_rule.min_share)),
                "departments": self.env._("%(count)s departments", count=next_rule.min_departments),
                "level": self.env._(
                    "a relationship at %(level)s",
                    level=levels[PERSONAL_LEVELS[next_rule.min_level - 1]],
                ),
                "won": self.env._("%(count)s won deals", count=next_rule.min_won),
                "months": self.env._("%(count)s months", count=next_rule.min_months),
            }
            missing = ", ".join(needs[item] for item in unmet(next_rule, facts))
            text += "; " + self.env._("%(phase)s needs %(missing)s", phase=labels[next_rule.phase], missing=missing)
        return text

    # --- relationship grid ---------------------------------------------------------------

    @api.depends_context("company", "lang")
    def _compute_kam_relationship_grid(self):
        company_labels = dict(self._fields["kam_company_relationship"]._description_selection(self.env))
        personal_labels = dict(self._fields["kam_deepest_level"]._description_selection(self.env))
        for partner in self:
            cell = grid_cell(partner.kam_company_relationship, partner.kam_deepest_level)
            head = Markup("").join(
                Markup("<th class='text-center small'>%s</th>") % personal_labels[level] for level in PERSONAL_LEVELS
            )
            rows = []
            for row, level in reversed(list(enumerate(COMPANY_LEVELS))):
                cells = Markup("").join(
                    Markup("<td class='%s' style='width:16%%;height:1.8em'>%s</td>")
                    % (
                        "text-center bg-primary text-white o_kam_grid_here" if cell == (row, col) else "text-center",
                        "●" if cell == (row, col) else "",
                    )
                    for col in range(len(PERSONAL_LEVELS))
                )
                rows.append(Markup("<tr><th class='small'>%s</th>%s</tr>") % (company_labels[level], cells))
            partner.kam_relationship_grid = Markup(
                "<table class='table table-bordered table-sm o_kam_relationship_grid'>"
                "<thead><tr><th class='small text-muted'>%s</th>%s</tr></thead><tbody>%s</tbody></table>"
            ) % (self.env._("Company \\ Personal"), head, Markup("").join(rows))

    # --- disintegration alert --------------------------------------------------------------

    @api.model
    def _kam_last_interactions(self, account_ids, company):
        """{account id: datetime of the last logged interaction} with the account, its people or its deals."""
        scope = self._kam_scope_companies(company)
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
            WITH people AS (
                SELECT id, commercial_partner_id AS account
                  FROM res_partner
                 WHERE commercial_partner_id = ANY(%(accounts)s)
            ), deals AS (
                SELECT l.id, people.account FROM crm_lead l JOIN people ON people.id = l.partner_id
                 WHERE COALESCE(l.company_id, %(company)s) = ANY(%(scope)s)
            ), touches AS (
                SELECT people.account, m.date
                  FROM mail_message m JOIN people ON m.model = 'res.partner' AND m.res_id = people.id
                 WHERE m.message_type IN ('comment', 'email', 'email_outgoing') OR m.mail_activity_type_id IS NOT NULL
                UNION ALL
                SELECT deals.account, m.date
                  FROM mail_message m JOIN deals ON m.model = 'crm.lead' AND m.res_id = deals.id
                 WHERE m.message_type IN ('comment', 'email', 'email_outgoing') OR m.mail_activity_type_id IS NOT NULL
                UNION ALL
                SELECT deals.account, st.last_contact_date::timestamp
                  FROM kam_stakeholder st JOIN deals ON deals.id = st.lead_id
                 WHERE st.last_contact_date IS NOT NULL
            )
            SELECT account, MAX(date) FROM touches WHERE date <= %(now)s GROUP BY account
                """,
                accounts=list(account_ids),
                company=company.id,
                scope=scope.ids,
                now=fields.Datetime.now(),
            )
        )
        return dict(rows)

    @api.model
    def _cron_kam_phase_alerts(self):
        """Daily: flag the accounts in a watched phase with no won deal and no interaction for too long."""
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].sudo().search([("active", "=", True)]):
            limit = company.kam_phase_alert_days
            if limit <= 0:
                continue
            partners = self.sudo().with_company(company)
            accounts = partners.search(
                [
                    *partners._kam_accounts_domain(company),
                    ("kam_phase", "in", WATCHED_PHASES),
                    ("kam_phase_alert", "=", False),
                ]
            )
            if not accounts:
                continue
            figures = partners._kam_read_figures(accounts.ids, company, today)
            touches = partners._kam_last_interactions(accounts.ids, company)
            alerted = partners.browse()
            for account in accounts:
                _figures, last_won = figures[account.id]
                last_touch = touches.get(account.id)
                days_won = (today - last_won).days if last_won else None
                days_touch = (today - last_touch.date()).days if last_touch else None
                if is_inactive(days_won, days_touch, limit):
                    alerted |= account
            reason = self.env._("no won deal and no interaction for %(days)s days", days=limit)
            alerted._kam_raise_phase_alert(dict.fromkeys(alerted.ids, reason), company)

    def _kam_raise_phase_alert(self, reasons, company):
        """Flag these accounts and give their manager an activity.

        ``reasons`` maps each account id to why it is flagged; accounts sharing
        a reason are written together, the activities are made in one create.
        """
        if not self:
            return
        accounts = self.sudo().with_company(company)
        by_reason = defaultdict(list)
        for account in accounts:
            by_reason[reasons[account.id]].append(account.id)
        for reason, account_ids in by_reason.items():
            accounts.browse(account_ids).write({"kam_phase_alert": True, "kam_phase_alert_reason": reason})
        model_id = self.env["ir.model"]._get_id("res.partner")
        todo = self.env.ref("mail.mail_activity_data_todo")
        deadline = fields.Date.context_today(self) + timedelta(days=3)
        note = self.env._(
            "Meet the account manager, find out what went wrong and decide whether the phase becomes "
            "Disintegrating (the suggestion on the Relationship tab applies it in one click)."
        )
        values = [
            {
                "res_model_id": model_id,
                "res_id": account.id,
                "activity_type_id": todo.id,
                "summary": self.env._("Relationship at risk: %(reason)s", reason=reasons[account.id]),
                "note": note,
                "date_deadline": deadline,
                "user_id": account._kam_manager_user().id,
            }
            for account in accounts
        ]
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(values)

    def _kam_manager_user(self):
        """Who gets the alert: the leader of the account manager's sales team, else the account manager, else admin."""
        self.ensure_one()
        manager = self.user_id
        team = manager.sale_team_id if manager else False
        return (team and team.user_id) or manager or self.env.ref("base.user_admin")
