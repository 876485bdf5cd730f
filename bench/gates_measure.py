"""Measure stage moves and the pipeline kanban inside one database.

Fed to ``odoo shell`` by bench/gates (stdin); prints one JSON line starting
with ``KAM_BENCH``.  The same scenario runs on a vanilla crm database (with
one trivial automation rule on "stage is set": the floor of any rule-based
check) and on a database with kam_sales_process (its shipped gate rule, five
milestones met on the stage left).

The deals are created and committed before they are moved, as in real use (a
deal is created in one request and moved in a later one): PostgreSQL re-checks
the foreign keys of rows updated in the transaction that inserted them, a cost
no real move pays.  The databases are throwaway ones (bench/gates drops them).
"""

import json
import os
import statistics
import time

import odoo
import psycopg2

env = env(user=env.ref("base.user_admin"))  # noqa: F821 (odoo shell provides env)
addon = "kam.milestone" in env
REPEAT = int(os.environ.get("KAM_BENCH_REPEAT", "5"))


def measure(fn):
    env.flush_all()
    env.invalidate_all()
    before = env.cr.sql_log_count
    start = time.perf_counter()
    fn()
    env.flush_all()
    return env.cr.sql_log_count - before, time.perf_counter() - start


# A kept database (KAM_BENCH_KEEP=1) holds an earlier run's committed deals, rule and milestones.
env.cr.execute("DELETE FROM crm_lead WHERE name LIKE 'Bench deal %%'")
env["base.automation"].search([("name", "=", "Trivial rule on stage set")]).unlink()
if "kam.milestone" in env:
    env["kam.milestone"].with_context(active_test=False).search([("stage_id.team_id.name", "=", "Bench")]).unlink()
team = env["crm.team"].create({"name": "Bench"})
parking = env["crm.team"].create({"name": "Bench parking"})
env["crm.stage"].search([]).write({"team_id": parking.id})
stages = [env["crm.stage"].create({"name": f"B{i}", "sequence": i, "team_id": team.id}) for i in (1, 2, 3)]
partner = env["res.partner"].create({"name": "Bench customer", "is_company": True})

if addon:
    kinds = [
        {"kind": "check"},
        {"kind": "check", "evidence_required": True},
        {"kind": "condition", "condition_domain": "[('expected_revenue', '>', 0)]"},
        {"kind": "condition", "condition_domain": "[('partner_id', '!=', False)]"},
        {"kind": "check"},
    ]
    for i, kind in enumerate(kinds):
        env["kam.milestone"].create(dict(kind, name=f"Milestone {i}", stage_id=stages[0].id))
else:
    env["base.automation"].create(
        {
            "name": "Trivial rule on stage set",
            "model_id": env.ref("crm.model_crm_lead").id,
            "trigger": "on_stage_set",
            "action_server_ids": [
                (0, 0, {"name": "noop", "model_id": env.ref("crm.model_crm_lead").id, "state": "code", "code": "pass"})
            ],
        }
    )


def new_deals(count):
    deals = env["crm.lead"].create(
        [
            {
                "name": f"Bench deal {i}",
                "type": "opportunity",
                "team_id": team.id,
                "stage_id": stages[0].id,
                "expected_revenue": 1000 + i,
                "partner_id": partner.id,
                "user_id": env.uid,
            }
            for i in range(count)
        ]
    )
    if addon:
        rows = deals.kam_milestone_ids.filtered(lambda r: r.kind == "check")
        rows.sudo().write({"state": "done", "evidence": "bench"})
    env.flush_all()
    env.cr.commit()
    return deals


def vacuum():
    """Clean the tables the moves write, on both sides, as autovacuum keeps a live database.

    Without it the earlier repeats' dead rows make the later ones slower by
    chance (whether autovacuum ran in between), which is noise, not the gate.
    """
    conn = psycopg2.connect(**odoo.sql_db.connection_info_for(env.cr.dbname)[1])
    try:
        conn.autocommit = True
        with conn.cursor() as cr:
            for table in ("crm_lead", *(("kam_lead_milestone", "kam_stage_history") if addon else ())):
                cr.execute(f"VACUUM ANALYZE {table}")
    finally:
        conn.close()


results = {"addon": addon}

# One deal at a time (median over several deals).
singles = new_deals(7)
counts, times = [], []
for deal in singles:
    q, t = measure(lambda deal=deal: deal.write({"stage_id": stages[1].id}))
    counts.append(q)
    times.append(t)
results["single_queries"] = statistics.median(counts)
results["single_seconds"] = statistics.median(times)

# Batches.
for size in (100, 1000):
    best = None
    for _ in range(REPEAT):
        deals = new_deals(size)
        vacuum()
        q, t = measure(lambda deals=deals: deals.write({"stage_id": stages[1].id}))
        best = (q, t) if best is None or t < best[1] else best
    results[f"batch{size}_queries"], results[f"batch{size}_seconds"] = best

# Pipeline kanban: 80 cards, as the web client reads them.
new_deals(80)
Lead = env["crm.lead"]
kanban = Lead.get_views([(False, "kanban")])
fields_info = kanban["models"]["crm.lead"]["fields"]
spec = {}
for name, info in fields_info.items():
    if info["type"] in ("many2one", "many2many", "one2many"):
        spec[name] = {"fields": {"display_name": {}}}
    else:
        spec[name] = {}
domain = [("team_id", "=", team.id), ("type", "=", "opportunity")]


def open_kanban():
    Lead.with_context(default_team_id=team.id).web_read_group(domain, ["stage_id"], ["stage_id"])
    Lead.web_search_read(domain, spec, limit=80)


results["kanban_queries"], results["kanban_seconds"] = measure(open_kanban)
results["kanban_fields"] = len(spec)
print("KAM_BENCH " + json.dumps(results))
env.cr.rollback()
