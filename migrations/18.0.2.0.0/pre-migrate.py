"""18.0.2.0.0, before the models load: the key account becomes a record of its own.

Until 18.0.1.x an account's values hung on the customer's ``res.partner`` in
company-dependent (JSONB) columns.  Here each (customer, company) pair that has
any of them becomes a ``kam_account`` row, and the phase history rows are tied
to it, so that the ORM finds the table and the history's required column
filled; ``post-migrate`` then moves the values over and drops the old columns.
"""

#: The company-dependent columns of 18.0.1.x (jsonb {company id: value}).
OLD_COLUMNS = (
    "kam_tier_id",
    "kam_tier_score",
    "kam_quadrant",
    "kam_is_key_account",
    "kam_tier_date",
    "kam_won_revenue",
    "kam_won_count",
    "kam_lost_count",
    "kam_pipeline",
    "kam_last_won_date",
    "kam_deep_contacts",
    "kam_margin_rate",
    "kam_rating_strategic_fit",
    "kam_rating_financial_health",
    "kam_rating_chain_transparency",
    "kam_rating_demand_continuity",
    "kam_phase",
    "kam_phase_date",
    "kam_share_of_wallet",
    "kam_company_relationship",
    "kam_phase_alert",
    "kam_phase_alert_reason",
)


def present_columns(cr):
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = 'res_partner' AND column_name = ANY(%s) AND data_type = 'jsonb'""",
        [list(OLD_COLUMNS)],
    )
    return [name for (name,) in cr.fetchall()]


def migrate(cr, version):
    if not version:
        return
    columns = present_columns(cr)
    cr.execute(
        """
        CREATE TABLE IF NOT EXISTS kam_account (
            id SERIAL PRIMARY KEY,
            partner_id INTEGER NOT NULL,
            company_id INTEGER NOT NULL,
            create_uid INTEGER, create_date TIMESTAMP, write_uid INTEGER, write_date TIMESTAMP
        )
        """
    )
    pairs = [f"SELECT p.id, k.key::int FROM res_partner p, jsonb_object_keys(p.{name}) k(key)" for name in columns]
    pairs.append("SELECT partner_id, company_id FROM kam_phase_history")
    cr.execute(
        f"""
        INSERT INTO kam_account (partner_id, company_id, create_uid, create_date, write_uid, write_date)
        SELECT DISTINCT pair.partner_id, pair.company_id, 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
          FROM ({" UNION ".join(pairs)}) AS pair(partner_id, company_id)
          JOIN res_partner p ON p.id = pair.partner_id
          JOIN res_company c ON c.id = pair.company_id
         WHERE NOT EXISTS (SELECT 1 FROM kam_account a
                            WHERE a.partner_id = pair.partner_id AND a.company_id = pair.company_id)
        """
    )
    cr.execute("ALTER TABLE kam_phase_history ADD COLUMN IF NOT EXISTS account_id INTEGER")
    cr.execute(
        """
        UPDATE kam_phase_history h SET account_id = a.id
          FROM kam_account a WHERE a.partner_id = h.partner_id AND a.company_id = h.company_id
        """
    )
