"""The Key Accounts list for a large database (fed to ``odoo shell`` by bench/accounts).

Inserts N customer companies with their key accounts, four deals each (won,
lost, open), two people in each open deal's buying centre, and a current plan
with three actions per account, with SQL (set-up is not measured).  Then opens
the Key Accounts list the way the web client does (``web_search_read`` of the
list view's fields, the first 80 rows and the count) as an account manager
would, best of five, with the addon's plan progress, coverage, lifetime value
and health columns; the floor is the same call with the list's stored columns
only.  Prints one JSON line starting with ``KAM_BENCH``; everything is rolled
back.
"""

import json
import os
import time

from lxml import etree

env = env(user=env.ref("base.user_admin"))  # noqa: F821 (odoo shell provides env)
ACCOUNTS = int(os.environ.get("KAM_BENCH_ACCOUNTS", "5000"))
cr = env.cr
company_id = env.company.id
user_id = env.user.id
stages = env["crm.stage"].search([])
won_stage = stages.filtered("is_won")[:1]
open_stage = (stages - won_stage)[:1]
roles = env["kam.buying.role"].search([("code", "in", ["decision_maker", "coach"])]).ids

cr.execute(
    """
    INSERT INTO res_partner (name, complete_name, is_company, active, type, create_date, write_date)
    SELECT 'Bench Mill ' || g, 'Bench Mill ' || g, TRUE, TRUE, 'contact', now(), now()
      FROM generate_series(1, %s) g
    RETURNING id
    """,
    [ACCOUNTS],
)
partner_ids = [row[0] for row in cr.fetchall()]
cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [partner_ids])
cr.execute(
    """
    INSERT INTO kam_account (partner_id, company_id, user_id, tier_score, health_score, create_date, write_date)
    SELECT p, %s, %s, (p %% 100), (p %% 100), now(), now() FROM unnest(%s::int[]) p
    RETURNING id, partner_id
    """,
    [company_id, user_id, partner_ids],
)
accounts = cr.fetchall()
# four deals per account: won 100 days ago, lost, two open (one with a closing date in 60 days)
cr.execute(
    """
    INSERT INTO crm_lead (name, type, active, partner_id, company_id, user_id, stage_id, probability, expected_revenue,
                          date_closed, date_deadline, create_date, write_date)
    SELECT 'Bench deal ' || a.partner || '-' || k, 'opportunity', k <> 2, a.partner, %(company)s, %(user)s,
           CASE WHEN k = 1 THEN %(won)s ELSE %(open)s END,
           CASE WHEN k = 1 THEN 100 WHEN k = 2 THEN 0 ELSE 40 END,
           10000 * k, CASE WHEN k IN (1, 2) THEN now() - interval '100 days' END,
           CASE WHEN k = 3 THEN (now() + interval '60 days')::date END, now(), now()
      FROM unnest(%(partners)s::int[]) AS a(partner), generate_series(1, 4) k
    RETURNING id, partner_id, active, stage_id
    """,
    {"company": company_id, "user": user_id, "won": won_stage.id, "open": open_stage.id, "partners": partner_ids},
)
deals = cr.fetchall()
open_deals = [(deal, partner) for deal, partner, active, stage in deals if active and stage == open_stage.id]
cr.execute(
    """
    INSERT INTO res_partner (name, complete_name, is_company, active, type, parent_id, commercial_partner_id,
                             create_date, write_date)
    SELECT 'Person ' || d.deal || '-' || k, 'Person ' || d.deal || '-' || k, FALSE, TRUE, 'contact', d.partner,
           d.partner, now(), now()
      FROM unnest(%s::int[], %s::int[]) AS d(deal, partner), generate_series(1, 2) k
    RETURNING id, parent_id
    """,
    [[d for d, _p in open_deals], [p for _d, p in open_deals]],
)
people = cr.fetchall()
# two people per open deal, in the order they were inserted
pairs = []
for index, (deal, _partner) in enumerate(open_deals):
    pairs.append((deal, people[2 * index][0], "opinions"))
    pairs.append((deal, people[2 * index + 1][0], "facts"))
cr.execute(
    """
    INSERT INTO kam_stakeholder (lead_id, partner_id, company_id, attitude, relationship_level, influence,
                                 last_contact_date, contacted, date_added, create_date, write_date)
    SELECT lead, person, %s, 'supporter', level, 50, (now() - interval '20 days')::date, TRUE,
           (now() - interval '60 days')::date, now(), now()
      FROM unnest(%s::int[], %s::int[], %s::text[]) AS s(lead, person, level)
    RETURNING id, relationship_level
    """,
    [company_id, [p[0] for p in pairs], [p[1] for p in pairs], [p[2] for p in pairs]],
)
stakeholders = cr.fetchall()
# what the ORM keeps on the deals it gives a buying centre (the form reads their lists by it)
cr.execute("UPDATE crm_lead SET kam_has_stakeholders = TRUE WHERE id = ANY(%s)", [[p[0] for p in pairs]])
cr.execute(
    "INSERT INTO kam_stakeholder_role_rel (stakeholder_id, role_id) SELECT s, %s FROM unnest(%s::int[]) s",
    [roles[0], [sid for sid, level in stakeholders if level == "opinions"]],
)
today = time.strftime("%Y-%m-%d")
cr.execute(
    """
    INSERT INTO kam_account_plan (name, account_id, partner_id, company_id, user_id, date_from, date_to,
                                  revenue_target, wallet_estimate, share_target, create_date, write_date)
    SELECT 'Plan ' || a.id, a.id, a.partner, %s, %s, date_trunc('year', now())::date,
           (date_trunc('year', now()) + interval '1 year - 1 day')::date, 100000, 400000, 30, now(), now()
      FROM unnest(%s::int[], %s::int[]) AS a(id, partner)
    RETURNING id
    """,
    [company_id, user_id, [a for a, _p in accounts], [p for _a, p in accounts]],
)
plan_ids = [row[0] for row in cr.fetchall()]
cr.execute(
    """
    INSERT INTO kam_account_plan_objective (plan_id, company_id, name, kind, sequence, create_date, write_date)
    SELECT p, %s, 'Revenue', 'revenue', 10, now(), now() FROM unnest(%s::int[]) p
    RETURNING id, plan_id
    """,
    [company_id, plan_ids],
)
objectives = cr.fetchall()
cr.execute(
    """
    INSERT INTO kam_account_plan_action (plan_id, objective_id, company_id, name, user_id, date_deadline, done,
                                         create_date, write_date)
    SELECT o.plan, o.id, %s, 'Action ' || k, %s, (now() + (k - 2) * interval '30 days')::date, k = 1, now(), now()
      FROM unnest(%s::int[], %s::int[]) AS o(id, plan), generate_series(1, 3) k
    """,
    [company_id, user_id, [o for o, _p in objectives], [p for _o, p in objectives]],
)
# the statistics autovacuum keeps on a live database (the tables were just filled)
cr.execute("ANALYZE res_partner, crm_lead, kam_account, kam_stakeholder, kam_stakeholder_role_rel, kam_account_plan, "
           "kam_account_plan_objective, kam_account_plan_action")  # fmt: skip
env.invalidate_all()
env.registry.clear_cache()

Account = env["kam.account"]
arch = etree.fromstring(Account.get_views([(env.ref("kam_sales_process.kam_account_view_list").id, "list")])
                        ["views"]["list"]["arch"])  # fmt: skip
names = [node.get("name") for node in arch.iter("field") if node.getparent().tag == "list"]


def spec_of(fields):
    return {
        name: {"fields": {"display_name": {}}} if Account._fields[name].type == "many2one" else {} for name in fields
    }


full = spec_of(names)
stored = spec_of([name for name in names if Account._fields[name].store])


def measure(spec):
    best, queries = None, None
    for _ in range(5):
        env.invalidate_all()
        before = cr.sql_log_count
        start = time.perf_counter()
        result = Account.web_search_read([], spec, limit=80, order="tier_score desc, id", count_limit=10001)
        elapsed = time.perf_counter() - start
        if best is None or elapsed < best:
            best, queries = elapsed, cr.sql_log_count - before
    return best, queries, result["length"], result["records"]


Account.web_search_read([], full, limit=80)  # warm the caches of configuration
full_seconds, full_queries, length, records = measure(full)
floor_seconds, floor_queries, _length, _records = measure(stored)
# the same page of 10 accounts: the queries must not depend on the number of accounts shown
env.invalidate_all()
before = cr.sql_log_count
Account.web_search_read([], full, limit=10, order="tier_score desc, id")
small_queries = cr.sql_log_count - before
first = records[0]
print(
    "KAM_BENCH "
    + json.dumps(
        {
            "accounts": length,
            "deals": len(deals),
            "stakeholders": len(stakeholders),
            "plans": len(plan_ids),
            "columns": len(names),
            "addon_columns": len(names) - len([n for n in names if Account._fields[n].store]),
            "seconds": full_seconds,
            "queries": full_queries,
            "queries_10": small_queries,
            "floor_seconds": floor_seconds,
            "floor_queries": floor_queries,
            "sample": {k: first.get(k) for k in ("plan_revenue_progress", "coverage_score", "ltv_estimate")},
        }
    )
)
cr.rollback()
