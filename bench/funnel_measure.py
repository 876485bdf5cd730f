"""Funnel analytics on a large database (fed to ``odoo shell`` by bench/funnel).

Inserts N deals in one pipeline of five stages (plus won), each with five
tracked stage changes as Odoo writes them (a chatter message and a tracking
value per change, forward and back), with SQL (set-up is not measured).
Then measures, against the floor (Odoo's own ``read_group`` of the pipeline's
deals and expected revenue per stage, on the same data, best of three):

- the back-fill of the stage history from the tracking (install/upgrade);
- the funnel report of the pipeline for one year (``_kam_stage_figures``:
  per stage entered, forward, lost, conversions, median and 90th-percentile
  days, open and weighted value, the balanced funnel), best of three;
- the dashboard (``get_kam_dashboard``), best of three.

Prints one JSON line starting with ``KAM_BENCH``; everything is rolled back.
"""

import json
import os
import time

env = env(user=env.ref("base.user_admin"))  # noqa: F821 (odoo shell provides env)
DEALS = int(os.environ.get("KAM_BENCH_DEALS", "100000"))
cr = env.cr
team = env["crm.team"].sudo().create({"name": "Bench Pipeline"})
Stage = env["crm.stage"].sudo()
stages = [Stage.create({"name": f"Bench S{i}", "sequence": 100 + i, "team_id": team.id}) for i in range(1, 6)]
won = Stage.create({"name": "Bench Won", "sequence": 200, "is_won": True, "team_id": team.id})
stages[1].kam_max_days = 30
env.flush_all()
ids = [stage.id for stage in stages]
field_id = env["ir.model.fields"]._get("crm.lead", "stage_id").id

# Six paths through the pipeline (0..4 = the five stages, 5 = won), five tracked changes each:
# forward and back as deals really go.  Deal i takes path i % 6 and stands where it ends.
PATHS = [
    [0, 1, 2, 3, 4, 5],
    [0, 1, 0, 1, 2, 3],
    [0, 1, 2, 1, 2, 1],
    [0, 1, 0, 1, 0, 1],
    [0, 1, 2, 3, 2, 3],
    [0, 1, 2, 3, 4, 3],
]
cr.execute(
    """
    INSERT INTO crm_lead (name, type, team_id, company_id, user_id, stage_id, active, probability,
                          expected_revenue, create_date, write_date, date_last_stage_update, priority)
    SELECT 'Bench deal ' || g, 'opportunity', %(team)s, %(company)s, %(user)s, %(first)s,
           g %% 7 <> 3, 10 + g %% 80, 1000 + (g %% 50) * 1000,
           now() - make_interval(days => (g %% 700) + 30), now(), now() - make_interval(days => g %% 90), '0'
      FROM generate_series(1, %(n)s) g
    RETURNING id
    """,
    {"team": team.id, "company": env.company.id, "user": env.uid, "first": ids[0], "n": DEALS},
)
lead_ids = [row[0] for row in cr.fetchall()]
everything = [*ids, won.id]
cr.execute(
    "UPDATE crm_lead SET stage_id = (%s::int[])[1 + (%s::int[])[1 + id %% 6][6]] WHERE id = ANY(%s)",
    [everything, PATHS, lead_ids],
)
# One chatter message and one tracking value per change, five days apart.
cr.execute(
    """
    WITH steps AS (
        SELECT l.id AS lead_id, l.create_date, s.k,
               (%(all)s::int[])[1 + (%(paths)s::int[])[1 + l.id %% 6][s.k]] AS old_stage,
               (%(all)s::int[])[1 + (%(paths)s::int[])[1 + l.id %% 6][s.k + 1]] AS new_stage
          FROM crm_lead l
          CROSS JOIN generate_series(1, 5) s(k)
         WHERE l.id = ANY(%(ids)s)
    ), messages AS (
        INSERT INTO mail_message (model, res_id, message_type, date, create_date, write_date, body)
        SELECT 'crm.lead', lead_id, 'notification', create_date + make_interval(days => k * 5),
               now(), now(), ''
          FROM steps
        RETURNING id, res_id, date
    )
    INSERT INTO mail_tracking_value (field_id, mail_message_id, old_value_integer, new_value_integer,
                                     create_date, write_date)
    SELECT %(field)s, m.id, st.old_stage, st.new_stage, now(), now()
      FROM messages m
      JOIN steps st ON st.lead_id = m.res_id AND st.create_date + make_interval(days => st.k * 5) = m.date
    """,
    {"all": everything, "paths": PATHS, "ids": lead_ids, "field": field_id},
)
tracking = cr.rowcount
cr.execute("DELETE FROM kam_stage_history WHERE lead_id = ANY(%s)", [lead_ids])
cr.execute("ANALYZE crm_lead; ANALYZE mail_message; ANALYZE mail_tracking_value")
env.invalidate_all()

History = env["kam.stage.history"]
start = time.perf_counter()
rows = History._kam_backfill()
backfill = time.perf_counter() - start
cr.execute("ANALYZE kam_stage_history")
env["crm.lead"]._kam_cron_flag_stuck()
env.flush_all()


def best(function, runs=3):
    times = []
    for _run in range(runs):
        env.invalidate_all()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


Lead = env["crm.lead"]
floor = best(lambda: Lead._read_group([("team_id", "=", team.id)], ["stage_id"], ["__count", "expected_revenue:sum"]))
Report = env["kam.funnel.report"]
year_ago = time.time() - 365 * 86400
date_from = time.strftime("%Y-%m-%d", time.gmtime(year_ago))
report = best(lambda: Report._kam_stage_figures(team.id, date_from=date_from))
dashboard = best(lambda: Report.get_kam_dashboard(team.id))
figures, bottleneck = Report._kam_stage_figures(team.id, date_from=date_from)
print(
    "KAM_BENCH "
    + json.dumps(
        {
            "deals": DEALS,
            "tracking_values": tracking,
            "history_rows": rows,
            "backfill_seconds": backfill,
            "floor_seconds": floor,
            "report_seconds": report,
            "dashboard_seconds": dashboard,
            "entered_first_stage": figures[0]["entered"],
            "bottleneck": bool(bottleneck),
        }
    )
)
cr.rollback()
