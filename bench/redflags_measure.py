"""Red flags for many deals in one batch (fed to ``odoo shell`` by bench/redflags).

Builds N deals with five stakeholders each (data set-up is not measured), then
recomputes every deal's red flags in one batch, as the daily cron does, and
prints one JSON line starting with ``KAM_BENCH``: seconds and queries for
1,000 and for 10,000 deals.  Everything is rolled back at the end.
"""

import json
import os
import time

env = env(user=env.ref("base.user_admin"))  # noqa: F821 (odoo shell provides env)
SIZES = [int(n) for n in os.environ.get("KAM_BENCH_SIZES", "1000,10000").split(",")]
roles = [env.ref(f"kam_sales_process.role_{code}") for code in ("decision_maker", "technical", "user", "coach")]
Partner, Lead, Stakeholder = env["res.partner"], env["crm.lead"], env["kam.stakeholder"]
company = Partner.create({"name": "Bench Steel", "is_company": True})
people = Partner.create([{"name": f"Person {i}", "parent_id": company.id} for i in range(5)])
results = {}
created = Lead
for size in SIZES:
    missing = size - len(created)
    for start in range(0, missing, 2000):
        batch = Lead.create(
            [{"name": f"Bench deal {start + i}", "type": "opportunity"} for i in range(min(2000, missing - start))]
        )
        Stakeholder.create(
            [
                {
                    "lead_id": lead.id,
                    "partner_id": person.id,
                    "role_ids": [(6, 0, roles[i % len(roles)].ids)] if i < 4 or lead.id % 2 else [],
                    "last_contact_date": "2026-11-01" if (lead.id + i) % 3 else False,
                }
                for lead in batch
                for i, person in enumerate(people)
            ]
        )
        created |= batch
        env.flush_all()
        env.invalidate_all()
    leads = created[:size]
    env.flush_all()
    env.invalidate_all()
    before = env.cr.sql_log_count
    start_time = time.perf_counter()
    leads._kam_recompute_red_flags()  # what a batch of the daily run does, on these deals
    env.flush_all()
    results[f"deals{size}_seconds"] = time.perf_counter() - start_time
    results[f"deals{size}_queries"] = env.cr.sql_log_count - before
    flagged = Lead.search_count([("id", "in", leads.ids), ("kam_red_flag_ids", "!=", False)])
    results[f"deals{size}_flagged"] = flagged
print("KAM_BENCH " + json.dumps(results))
env.cr.rollback()
