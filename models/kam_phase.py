from odoo import fields, models, tools

from ..kam_sales_process.vocabulary import PHASE_LABELS
from .kam_guards import refuse_system_fields

PHASES = list(PHASE_LABELS)


class KamPhaseHistory(models.Model):
    _name = "kam.phase.history"
    _description = "Relationship Phase Change"
    _order = "date desc, id desc"
    _rec_name = "phase"

    account_id = fields.Many2one("kam.account", required=True, index=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one(related="account_id.partner_id", store=True, string="Customer", index=True)
    company_id = fields.Many2one(
        related="account_id.company_id",
        store=True,
        index=True,
        help="The company whose relationship with the account changed phase.",
    )
    phase = fields.Selection(PHASES, required=True, readonly=True, help="The phase the account entered.")
    previous_phase = fields.Selection(PHASES, readonly=True, help="The phase the account left.")
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True, help="When the phase changed.")
    user_id = fields.Many2one(
        "res.users", string="Changed By", default=lambda self: self.env.user, readonly=True, help="Who changed it."
    )
    note = fields.Text(help="Why the phase changed.")

    def write(self, vals):
        # the history of an account's relationship: what changed, when and by whom stays as recorded; only
        # the reason may be completed
        refuse_system_fields(self, vals, set(self._fields) - {"note"})
        return super().write(vals)


class KamPhaseAction(models.Model):
    _name = "kam.phase.action"
    _description = "Recommended Action of a Relationship Phase"
    _order = "phase, sequence, id"

    phase = fields.Selection(PHASES, required=True, index=True, help="Scheduled when an account enters this phase.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, help="Archived actions are no longer scheduled.")
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        required=True,
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'res.partner')]",
        help="The kind of activity scheduled for the account manager.",
    )
    summary = fields.Char(required=True, translate=True, help="What to do, as the activity's summary.")
    note = fields.Text(translate=True, help="How to do it, as the activity's note.")
    days = fields.Integer(
        string="Due in (days)", default=7, help="The activity is due this many days after the change."
    )

    _sql_constraints = [("days_positive", "CHECK(days >= 0)", "An action cannot be due before the phase change.")]


class KamPhaseStay(models.Model):
    """One row per stay of an account in a phase: from a change to the next (or today)."""

    _name = "kam.phase.stay"
    _description = "Time Spent in a Relationship Phase"
    _auto = False
    _order = "date_start desc"

    account_id = fields.Many2one("kam.account", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    phase = fields.Selection(PHASES, readonly=True)
    date_start = fields.Datetime(string="Entered", readonly=True)
    date_end = fields.Datetime(string="Left", readonly=True, help="Empty while the account is still in the phase.")
    days = fields.Float(string="Days in Phase", readonly=True, aggregator="avg", digits=(16, 1))
    is_current = fields.Boolean(string="Current Phase", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                SELECT h.id,
                       h.account_id,
                       h.partner_id,
                       h.company_id,
                       h.phase,
                       h.date AS date_start,
                       nxt.date AS date_end,
                       EXTRACT(EPOCH FROM COALESCE(nxt.date, (now() AT TIME ZONE 'UTC')) - h.date) / 86400.0 AS days,
                       nxt.date IS NULL AS is_current
                  FROM kam_phase_history h
                  LEFT JOIN LATERAL (
                        SELECT n.date
                          FROM kam_phase_history n
                         WHERE n.account_id = h.account_id AND (n.date, n.id) > (h.date, h.id)
                      ORDER BY n.date, n.id
                         LIMIT 1
                  ) nxt ON TRUE
            )
            """
        )
