"""The deal's side of funnel analytics: its stage history and the stuck flag.

Every write that changes a deal's stage, active flag, type, pipeline, company
or salesperson logs the batch's stays in one statement
(``kam.stage.history._kam_log``).  A deal is *stuck* when it has stayed in its
stage longer than the stage allows (``crm.stage.kam_max_days``, or the team's
own limit): a stored flag, recomputed when the deal moves and every day by a
scheduled action, which also gives the salesperson an activity and each team
leader one digest.
"""

from datetime import timedelta

from markupsafe import Markup, escape
from odoo import api, fields, models

#: The deal's fields its stays record.
HISTORY_FIELDS = frozenset({"stage_id", "active", "type", "team_id", "company_id", "user_id"})


class CrmLead(models.Model):
    _inherit = "crm.lead"

    kam_stage_history_ids = fields.One2many(
        "kam.stage.history", "lead_id", string="Stage History", help="Every stay of the deal in a stage."
    )
    kam_is_stuck = fields.Boolean(
        string="Stuck",
        compute="_compute_kam_is_stuck",
        store=True,
        readonly=True,
        index="btree_not_null",
        help="The deal has stayed in its stage longer than the stage allows (its maximum stay). Checked when the "
        "deal moves and every day.",
    )

    @api.depends("stage_id", "team_id", "active", "type", "date_last_stage_update")
    def _compute_kam_is_stuck(self):
        Stage = self.env["crm.stage"]
        limits = Stage._kam_get_stay_limits()
        if not limits:
            self.kam_is_stuck = False
            return
        now = self.env.cr.now()
        for lead in self:
            limit = Stage._kam_get_stay_limit(lead.stage_id.id, lead.team_id.id) if lead.stage_id else 0
            lead.kam_is_stuck = bool(
                limit
                and lead.active
                and lead.type == "opportunity"
                and not lead.stage_id.is_won
                and lead.date_last_stage_update
                and now - lead.date_last_stage_update > timedelta(days=limit)
            )

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        opportunities = leads.filtered(lambda lead: lead.type == "opportunity")
        if opportunities:
            # new deals have no stay to move along: no reassignment
            self.env["kam.stage.history"]._kam_log(opportunities, changed=frozenset())
        return leads

    def write(self, vals):
        result = super().write(vals)
        # Only opportunities have stays (a lead turned into one, or back, changes its type).
        if HISTORY_FIELDS & vals.keys() and ("type" in vals or any(lead.type == "opportunity" for lead in self)):
            self.env["kam.stage.history"]._kam_log(self, changed=vals.keys())
        return result

    # ------------------------------------------------------------------
    # The daily check
    # ------------------------------------------------------------------

    @api.model
    def _kam_get_stuck_ids(self):
        """Ids of the open opportunities that stayed in their stage longer than it allows (one query)."""
        limits = self.env["crm.stage"]._kam_get_stay_limits()
        if not limits:
            return set()
        self.flush_model(["stage_id", "team_id", "active", "type", "date_last_stage_update"])
        self.env.cr.execute(
            """
            WITH limits AS (
                SELECT * FROM unnest(%s::int[], %s::int[], %s::int[]) AS t(stage_id, team_id, days)
            )
            SELECT l.id
              FROM crm_lead l
              JOIN crm_stage s ON s.id = l.stage_id AND NOT COALESCE(s.is_won, FALSE)
              JOIN LATERAL (
                  SELECT days FROM limits t
                   WHERE t.stage_id = l.stage_id AND (t.team_id = l.team_id OR t.team_id IS NULL)
                   ORDER BY t.team_id IS NULL LIMIT 1
              ) lim ON lim.days > 0
             WHERE l.active AND l.type = 'opportunity'
               AND l.stage_id = ANY(%s)
               AND l.date_last_stage_update < %s - make_interval(days => lim.days)
            """,
            [
                [stage for stage, _team in limits],
                [team for _stage, team in limits],
                list(limits.values()),
                list({stage for stage, _team in limits}),
                self.env.cr.now(),
            ],
        )
        return {row[0] for row in self.env.cr.fetchall()}

    @api.model
    def _kam_cron_flag_stuck(self):
        """Daily: flag the deals that became stuck (automation rules see the change), clear the others, and
        give each salesperson an activity per newly stuck deal and each team leader one digest."""
        stuck_ids = self._kam_get_stuck_ids()
        Lead = self.sudo().with_context(active_test=False)
        flagged = set(Lead.search([("kam_is_stuck", "=", True)]).ids)
        becoming, ending = stuck_ids - flagged, flagged - stuck_ids
        if not (becoming or ending):
            return
        field = self._fields["kam_is_stuck"]
        changed = Lead.browse(sorted(becoming | ending))
        self.env.add_to_compute(field, changed)
        changed.flush_recordset(["kam_is_stuck"])
        newly = Lead.browse(sorted(becoming)).filtered("kam_is_stuck")
        newly._kam_notify_stuck()

    def _kam_notify_stuck(self):
        if not self:
            return
        activity_type = self.env.ref("kam_sales_process.mail_activity_type_kam_stuck", raise_if_not_found=False)
        activity_type = activity_type or self.env.ref("mail.mail_activity_data_todo")
        today = fields.Date.context_today(self)
        Stage = self.env["crm.stage"]
        vals_list = []
        model_id = self.env["ir.model"]._get_id("crm.lead")
        for lead in self:
            days = (self.env.cr.now() - lead.date_last_stage_update).days
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": activity_type.id,
                    "user_id": (lead.user_id or lead.team_id.user_id or self.env.user).id,
                    "date_deadline": today,
                    "summary": self.env._(
                        "Stuck in %(stage)s for %(days)s days (limit %(limit)s)",
                        stage=lead.stage_id.name,
                        days=days,
                        limit=Stage._kam_get_stay_limit(lead.stage_id.id, lead.team_id.id),
                    ),
                }
            )
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(vals_list)
        # One digest per team leader.
        team_model_id = self.env["ir.model"]._get_id("crm.team")
        digests = []
        for team in self.team_id.filtered("user_id"):
            leads = self.filtered(lambda lead, team=team: lead.team_id == team)
            items = Markup("").join(
                Markup("<li>%s — %s (%s)</li>")
                % (lead.name, lead.stage_id.name, lead.user_id.name or self.env._("no salesperson"))
                for lead in leads
            )
            digests.append(
                {
                    "res_model_id": team_model_id,
                    "res_id": team.id,
                    "activity_type_id": activity_type.id,
                    "user_id": team.user_id.id,
                    "date_deadline": today,
                    "summary": self.env._("%(count)s deals of %(team)s got stuck", count=len(leads), team=team.name),
                    "note": Markup("<p>%s</p><ul>%s</ul>")
                    % (escape(self.env._("These deals stayed in their stage longer than it allows:")), items),
                }
            )
        if digests:
            self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(digests)

    def action_kam_open_stage_history(self):
        """The deal's stays in each stage (opened on demand: the deal's form reads none of them)."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("kam_sales_process.kam_stage_history_action")
        action.update(
            name=self.env._("Stage History: %(deal)s", deal=self.display_name),
            domain=[("lead_id", "=", self.id)],
            context={"create": False},
        )
        return action
