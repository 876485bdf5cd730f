"""18.0.2.0.0, after the models load: each account takes its values from the old partner columns.

Every value of the company-dependent columns of 18.0.1.x moves to the account
of its (customer, company) pair; each account's tier becomes the first row of
its tier history (dated when it was scored); then the old columns are dropped.
Existing deals get their stage history from Odoo's stage tracking.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

#: old partner column -> (account column, SQL type of the value)
MOVES = {
    "kam_tier_id": ("tier_id", "int"),
    "kam_tier_score": ("tier_score", "float"),
    "kam_quadrant": ("quadrant", "varchar"),
    "kam_is_key_account": ("is_key_account", "boolean"),
    "kam_tier_date": ("tier_date", "timestamp"),
    "kam_won_revenue": ("won_revenue", "numeric"),
    "kam_won_count": ("won_count", "int"),
    "kam_lost_count": ("lost_count", "int"),
    "kam_pipeline": ("pipeline", "numeric"),
    "kam_last_won_date": ("last_won_date", "date"),
    "kam_deep_contacts": ("deep_contacts", "int"),
    "kam_margin_rate": ("margin_rate", "float"),
    "kam_rating_strategic_fit": ("rating_strategic_fit", "varchar"),
    "kam_rating_financial_health": ("rating_financial_health", "varchar"),
    "kam_rating_chain_transparency": ("rating_chain_transparency", "varchar"),
    "kam_rating_demand_continuity": ("rating_demand_continuity", "varchar"),
    "kam_phase": ("phase", "varchar"),
    "kam_phase_date": ("phase_date", "date"),
    "kam_share_of_wallet": ("share_of_wallet", "float"),
    "kam_company_relationship": ("company_relationship", "varchar"),
    "kam_phase_alert": ("phase_alert", "boolean"),
    "kam_phase_alert_reason": ("phase_alert_reason", "varchar"),
}


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = 'res_partner' AND column_name = ANY(%s) AND data_type = 'jsonb'""",
        [list(MOVES)],
    )
    columns = [name for (name,) in cr.fetchall()]
    if columns:
        assignments = SQL(", ").join(
            SQL(
                "%s = COALESCE((p.%s->>(a.company_id::text))::%s, a.%s)",
                SQL.identifier(MOVES[name][0]),
                SQL.identifier(name),
                SQL(MOVES[name][1]),
                SQL.identifier(MOVES[name][0]),
            )
            for name in columns
        )
        cr.execute(SQL("UPDATE kam_account a SET %s FROM res_partner p WHERE p.id = a.partner_id", assignments))
    cr.execute(
        """
        INSERT INTO kam_tier_history (account_id, partner_id, company_id, tier_id, score, date,
                                      create_uid, create_date, write_uid, write_date)
        SELECT a.id, a.partner_id, a.company_id, a.tier_id, a.tier_score,
               COALESCE(a.tier_date, now() AT TIME ZONE 'UTC'), 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM kam_account a
         WHERE a.tier_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM kam_tier_history h WHERE h.account_id = a.id)
        """
    )
    cr.execute(
        """UPDATE kam_account a SET user_id = p.user_id
             FROM res_partner p WHERE p.id = a.partner_id AND a.user_id IS NULL"""
    )
    for name in columns:
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN IF EXISTS %s", SQL.identifier(name)))
    cr.execute(
        """DELETE FROM ir_default
            WHERE field_id IN (SELECT id FROM ir_model_fields WHERE model = 'res.partner' AND name = ANY(%s))""",
        [list(MOVES)],
    )
    # Existing deals get their stage history, rebuilt from Odoo's stage tracking; meetings done count as
    # visits in the funnel plans.
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["kam.stage.history"]._kam_backfill()
    meeting = env.ref("mail.mail_activity_data_meeting", raise_if_not_found=False)
    if meeting:
        meeting.kam_is_visit = True
