"""Relationship phases of key accounts: phase and history, recommended actions,
a suggestion from evidence, the disintegration alert and the 5x5 grid.

The phase is set by a person (a sales manager); the evidence only suggests one.
"""

from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup
from odoo import api, fields, models
from odoo.tools import SQL, plaintext2html

from ..kam_sales_process.phases import Evidence, grid_cell, is_inactive, suggest_phase, unmet
from ..kam_sales_process.vocabulary import (
    COMPANY_LEVEL_LABELS,
    COMPANY_LEVELS,
    PERSONAL_LEVEL_LABELS,
    PERSONAL_LEVELS,
    PHASE_LABELS,
    WATCHED_PHASES,
)
from .kam_fields import FiniteFloat


class KamAccount(models.Model):
    _inherit = "kam.account"

    phase = fields.Selection(
        list(PHASE_LABELS),
        string="Relationship Phase",
        index=True,
        help="Where the relationship with this account stands: exploratory (孕育), basic (初期), cooperative (中期), "
        "interdependent (伙伴), integrated (协作) or disintegrating (中断). Set by a person; every change is kept in "
        "the history and schedules the phase's recommended actions.",
    )
    phase_date = fields.Date(string="In Phase Since", readonly=True, help="When the account entered its phase.")
    phase_history_ids = fields.One2many(
        "kam.phase.history",
        "account_id",
        readonly=True,
        help="Every phase change of this account: who, when, why.",
    )
    share_of_wallet = FiniteFloat(
        string="Share of Wallet (%)",
        help="Your estimate of the share of the customer's spend in your category that goes to you.",
    )
    company_relationship = fields.Selection(
        list(COMPANY_LEVEL_LABELS),
        help="How deep the relationship between the two companies goes: brand (品牌), emotion (情感), solution "
        "(方案), value (价值), trust and commitment (信任/承诺).",
    )
    phase_alert = fields.Boolean(
        string="Disintegration Alert",
        index=True,
        readonly=True,
        help="Raised when the account had no won deal and no interaction for the days set in Settings, or lost a "
        "key deal. Cleared when the phase is next changed.",
    )
    phase_alert_reason = fields.Char(
        string="Alert Reason", readonly=True, help="Why the disintegration alert was raised."
    )
    phase_suggested = fields.Selection(
        list(PHASE_LABELS),
        string="Suggested Phase",
        compute="_compute_phase_suggestion",
        help="The phase the evidence points to: share of wallet, departments engaged, deepest relationship, won "
        "deals, months of relationship (or the disintegration alert).",
    )
    phase_suggestion = fields.Char(
        string="Because", compute="_compute_phase_suggestion", help="The evidence behind the suggestion."
    )
    departments = fields.Integer(
        string="Departments Engaged",
        compute="_compute_phase_suggestion",
        help="Distinct job positions of the people in the account's buying centres.",
    )
    deepest_level = fields.Selection(
        list(PERSONAL_LEVEL_LABELS),
        string="Deepest Personal Relationship",
        compute="_compute_phase_suggestion",
        help="The deepest relationship level reached with someone in the account's buying centres.",
    )
    relationship_months = fields.Integer(
        string="Months of Relationship", compute="_compute_phase_suggestion", help="Since the account's first deal."
    )
    relationship_grid = fields.Html(
        compute="_compute_relationship_grid",
        sanitize=False,
        help="Company relationship level x deepest personal relationship level (the 25-cell grid).",
    )

    # --- phase changes ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        with_phase = accounts.filtered("phase")
        if with_phase:
            with_phase._kam_after_phase_change(dict.fromkeys(with_phase.ids, False))
        return accounts

    def write(self, vals):
        if "phase" not in vals:
            return super().write(vals)
        before = {account.id: account.phase for account in self}
        result = super().write(vals)
        changed = {aid: old for aid, old in before.items() if old != (vals["phase"] or False)}
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
                    "account_id": account.id,
                    "phase": account.phase,
                    "previous_phase": previous.get(account.id) or False,
                    "date": now,
                    "user_id": self.env.user.id,
                    "note": note,
                }
                for account in self
                if account.phase
            ]
        )
        self.invalidate_recordset(["phase_history_ids"])
        self.sudo().write(
            {"phase_date": fields.Date.context_today(self), "phase_alert": False, "phase_alert_reason": False}
        )
        self._kam_log_phase_changes(previous, note)
        self._kam_schedule_phase_actions()

    def _kam_log_phase_changes(self, previous, note):
        """Each change in the customer's chatter too (one batch of messages)."""
        labels = dict(self._fields["phase"]._description_selection(self.env))
        bodies = {}
        for account in self:
            line = self.env._(
                "Relationship phase with %(company)s: %(old)s → %(new)s",
                company=account.company_id.name,
                old=labels.get(previous.get(account.id)) or self.env._("none"),
                new=labels.get(account.phase) or self.env._("none"),
            )
            bodies[account.partner_id.id] = Markup("<p>%s</p>") % line + (
                Markup("<p>%s</p>") % note if note else Markup()
            )
        self.env["res.partner"].browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)

    def _kam_schedule_phase_actions(self):
        """Schedule each phase's recommended actions for the account managers, on the customer.

        One create per action.
        """
        by_phase = defaultdict(list)
        for account in self:
            if account.phase:
                by_phase[account.phase].append(account)
        if not by_phase:
            return
        actions = self.env["kam.phase.action"].sudo().search([("phase", "in", list(by_phase))])
        if not actions:
            return
        model_id = self.env["ir.model"]._get_id("res.partner")
        today = fields.Date.context_today(self)
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True)
        # mail.activity subscribes the assignees per record and trips over a record listed twice in one create.
        for action in actions:
            Activity.create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": account.partner_id.id,
                        "activity_type_id": action.activity_type_id.id,
                        "summary": action.summary,
                        "note": plaintext2html(action.note) if action.note else False,
                        "date_deadline": today + timedelta(days=action.days),
                        "user_id": (account.user_id or self.env.user).id,
                    }
                    for account in by_phase[action.phase]
                ]
            )

    def action_kam_apply_suggested_phase(self):
        """One click: set the suggested phase, the reasons go to the history (sales managers)."""
        for account in self:
            if account.phase_suggested and account.phase_suggested != account.phase:
                account.with_context(
                    kam_phase_note=self.env._("Suggestion applied: %(because)s", because=account.phase_suggestion)
                ).phase = account.phase_suggested
        return True

    def action_kam_change_phase(self):
        self.ensure_one()
        self.check_access("write")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Change Relationship Phase"),
            "res_model": "kam.phase.change",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id, "default_phase": self.phase},
        }

    # --- evidence and suggestion ---------------------------------------------------------

    @api.model
    def _kam_read_evidence(self, company, today, partner_ids):
        """``{customer id: (won deals, months, departments, deepest level index)}`` in one query."""
        self.env["crm.lead"].flush_model(["active", "stage_id", "create_date"])
        self.env["res.partner"].flush_model(["function"])
        self.env["kam.stakeholder"].flush_model(["lead_id", "partner_id", "relationship_level"])
        rows = self.env.execute_query(
            SQL(
                """
            WITH deals AS (%(deals)s),
            won AS (
                SELECT d.account, COUNT(*) FILTER (WHERE l.active AND s.is_won) AS won, MIN(l.create_date) AS first
                  FROM deals d JOIN crm_lead l ON l.id = d.deal LEFT JOIN crm_stage s ON s.id = l.stage_id
              GROUP BY d.account
            ),
            people AS (
                SELECT d.account,
                       COUNT(DISTINCT NULLIF(LOWER(TRIM(person.function)), '')) AS departments,
                       MAX(array_position(%(levels)s::varchar[], st.relationship_level)) AS level
                  FROM deals d
                  JOIN kam_stakeholder st ON st.lead_id = d.deal
                  JOIN res_partner person ON person.id = st.partner_id
              GROUP BY d.account
            )
            SELECT COALESCE(won.account, people.account), won.won, won.first, people.departments, people.level
              FROM won FULL JOIN people ON people.account = won.account
                """,
                deals=self._kam_account_deals_sql(company, partner_ids),
                levels=list(PERSONAL_LEVELS),
            )
        )
        evidence = {}
        for account_id, won, first, departments, level in rows:
            months = 0
            if first:
                months = (today.year - first.year) * 12 + today.month - first.month - (today.day < first.day)
            evidence[account_id] = (won or 0, max(months, 0), departments or 0, level or 0)
        return evidence

    @api.depends("phase_alert", "phase_alert_reason", "share_of_wallet")
    @api.depends_context("lang")
    def _compute_phase_suggestion(self):
        by_company = defaultdict(list)
        for account in self:
            by_company[account.company_id].append(account)
        labels = dict(self._fields["phase"]._description_selection(self.env))
        for company, accounts in by_company.items():
            today = fields.Date.context_today(self.with_company(company))
            evidence = self.sudo()._kam_read_evidence(
                company, today, [a.partner_id.id for a in accounts if a.partner_id]
            )
            for account in accounts:
                won, months, departments, level = evidence.get(account.partner_id.id, (0, 0, 0, 0))
                facts = Evidence(
                    share_of_wallet=account.share_of_wallet or None,
                    departments=departments,
                    deepest_level=level,
                    won_deals=won,
                    months=months,
                )
                account.departments = departments
                account.deepest_level = PERSONAL_LEVELS[level - 1] if level else False
                account.relationship_months = months
                if account.phase_alert:
                    account.phase_suggested = "disintegrating"
                    account.phase_suggestion = account.phase_alert_reason
                    continue
                phase, rule, next_rule = suggest_phase(facts)
                account.phase_suggested = phase
                account.phase_suggestion = account._kam_explain(facts, phase, rule, next_rule, labels)

    def _kam_explain(self, facts, phase, rule, next_rule, labels):
        """ "share of wallet 60 %, 3 departments, …; for Interdependent: departments 4" in words."""
        level = PERSONAL_LEVELS[facts.deepest_level - 1] if facts.deepest_level else False
        levels = dict(self._fields["deepest_level"]._description_selection(self.env))
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

    @api.depends("company_relationship", "deepest_level")
    @api.depends_context("lang")
    def _compute_relationship_grid(self):
        company_labels = dict(self._fields["company_relationship"]._description_selection(self.env))
        personal_labels = dict(self._fields["deepest_level"]._description_selection(self.env))
        head = Markup("").join(
            Markup("<th class='text-center small'>%s</th>") % personal_labels[level] for level in PERSONAL_LEVELS
        )
        for account in self:
            cell = grid_cell(account.company_relationship, account.deepest_level)
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
            account.relationship_grid = Markup(
                "<table class='table table-bordered table-sm o_kam_relationship_grid'>"
                "<thead><tr><th class='small text-muted'>%s</th>%s</tr></thead><tbody>%s</tbody></table>"
            ) % (self.env._("Company \\ Personal"), head, Markup("").join(rows))

    # --- disintegration alert --------------------------------------------------------------

    @api.model
    def _kam_last_interactions(self, company, partner_ids):
        """``{customer id: datetime of the last logged interaction}`` with the account, its people or its deals."""
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
            WITH deals AS (%(deals)s),
            people AS (
                SELECT id, commercial_partner_id AS account
                  FROM res_partner WHERE commercial_partner_id = ANY(%(accounts)s)
            ), touches AS (
                SELECT people.account, m.date
                  FROM mail_message m JOIN people ON m.model = 'res.partner' AND m.res_id = people.id
                 WHERE m.message_type IN ('comment', 'email', 'email_outgoing') OR m.mail_activity_type_id IS NOT NULL
                UNION ALL
                SELECT deals.account, m.date
                  FROM mail_message m JOIN deals ON m.model = 'crm.lead' AND m.res_id = deals.deal
                 WHERE m.message_type IN ('comment', 'email', 'email_outgoing') OR m.mail_activity_type_id IS NOT NULL
                UNION ALL
                SELECT deals.account, st.last_contact_date::timestamp
                  FROM kam_stakeholder st JOIN deals ON deals.deal = st.lead_id
                 WHERE st.last_contact_date IS NOT NULL
            )
            SELECT account, MAX(date) FROM touches WHERE date <= %(now)s GROUP BY account
                """,
                deals=self._kam_account_deals_sql(company, partner_ids),
                accounts=list(partner_ids),
                now=fields.Datetime.now(),
            )
        )
        return dict(rows)

    @api.model
    def _cron_kam_phase_alerts(self):
        """Daily: flag the accounts in a watched phase with no won deal and no interaction for too long."""
        for company in self.env["res.company"].sudo().search([("active", "=", True)]):
            limit = company.kam_phase_alert_days
            if limit <= 0:
                continue
            today = fields.Date.context_today(self.with_company(company))
            accounts = self.sudo().search(
                [("company_id", "=", company.id), ("phase", "in", WATCHED_PHASES), ("phase_alert", "=", False)]
            )
            if not accounts:
                continue
            partner_ids = accounts.partner_id.ids
            figures = self._kam_read_figures(company, today, partner_ids)
            touches = self._kam_last_interactions(company, partner_ids)
            alerted = accounts.browse()
            for account in accounts:
                _figures, last_won = figures[account.partner_id.id]
                last_touch = touches.get(account.partner_id.id)
                days_won = (today - last_won).days if last_won else None
                days_touch = (today - last_touch.date()).days if last_touch else None
                if is_inactive(days_won, days_touch, limit):
                    alerted |= account
            reason = self.env._("no won deal and no interaction for %(days)s days", days=limit)
            alerted._kam_raise_phase_alert(dict.fromkeys(alerted.ids, reason))

    def _kam_raise_phase_alert(self, reasons):
        """Flag these accounts and give their manager an activity on the customer.

        ``reasons`` maps each account id to why it is flagged; accounts sharing
        a reason are written together, the activities are made in one create.
        """
        if not self:
            return
        accounts = self.sudo()
        by_reason = defaultdict(list)
        for account in accounts:
            by_reason[reasons[account.id]].append(account.id)
        for reason, account_ids in by_reason.items():
            accounts.browse(account_ids).write({"phase_alert": True, "phase_alert_reason": reason})
        model_id = self.env["ir.model"]._get_id("res.partner")
        todo = self.env.ref("mail.mail_activity_data_todo")
        deadline = fields.Date.context_today(self) + timedelta(days=3)
        note = self.env._(
            "Meet the account manager, find out what went wrong and decide whether the phase becomes "
            "Disintegrating (the suggestion on the Relationship tab applies it in one click)."
        )
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": account.partner_id.id,
                    "activity_type_id": todo.id,
                    "summary": self.env._("Relationship at risk: %(reason)s", reason=reasons[account.id]),
                    "note": note,
                    "date_deadline": deadline,
                    "user_id": account._kam_manager_user().id,
                }
                for account in accounts
            ]
        )

    def _kam_manager_user(self):
        """Who gets the alert: the leader of the account manager's sales team, else the account manager, else admin."""
        self.ensure_one()
        manager = self.user_id
        team = manager.sale_team_id if manager else False
        return (team and team.user_id) or manager or self.env.ref("base.user_admin")
