"""Funnel-plan actuals on a large database (fed to ``odoo shell`` by bench/plan).

A team of 20 salespeople with a year of 20,000 deals (one in five won) and 50,000 meetings
on them, inserted with SQL (set-up is not measured). Measures, best of three, cold cache:

- the team plan's actuals (``_kam_actuals``: opportunities created, visits, deals won, revenue),
  and the queries they take (one grouped query per measure, whatever the team's size);
- the week-by-week progress rows (``_kam_build_weeks``);
- the floor: Odoo's own ``read_group`` of the team's deals and expected revenue per salesperson
  over the year (what the pipeline's pivot does).

Prints one JSON line starting with ``KAM_BENCH``; everything is rolled back.
"""

import json
import os
import time

env = env(user=env.ref("base.user_admin"))  # noqa: F821 (odoo shell provides env)
DEALS = int(os.environ.get("KAM_BENCH_DEALS", "20000"))
MEETINGS = int(os.environ.get("KAM_BENCH_MEETINGS", "50000"))
PEOPLE = 20
cr = env.cr
Users = env["res.users"].sudo().with_context(no_reset_password=True, mail_create_nolog=True)
users = Users.create(
    [{"name": f"Bench seller {i}", "login": f"bench_seller_{i}", "groups_id": [(6, 0, [env.ref("base.group_user").id])]}
     for i in range(PEOPLE)]
)  # fmt: skip
team = env["crm.team"].sudo().create({"name": "Bench Team", "member_ids": [(6, 0, users.ids)]})
won = env["crm.stage"].sudo().create({"name": "Bench Won", "sequence": 200, "is_won": True, "team_id": team.id})
first = env["crm.stage"].sudo().create({"name": "Bench New", "sequence": 1, "team_id": team.id})
env.flush_all()
year = 2026
cr.execute(
    """
    INSERT INTO crm_lead (name, type, team_id, company_id, user_id, stage_id, active, probability,
                          expected_revenue, create_date, write_date, date_closed, priority)
    SELECT 'Bench deal ' || g, 'opportunity', %(team)s, %(company)s, (%(users)s::int[])[1 + g %% %(people)s],
           CASE WHEN g %% 5 = 0 THEN %(won)s ELSE %(first)s END, true,
           CASE WHEN g %% 5 = 0 THEN 100 ELSE 10 + g %% 80 END, 1000 + (g %% 50) * 1000,
           make_timestamp(%(year)s, 1, 1, 9, 0, 0) + make_interval(days => g %% 360), now(),
           CASE WHEN g %% 5 = 0 THEN make_timestamp(%(year)s, 1, 1, 15, 0, 0) + make_interval(days => (g %% 360) + 3)
           END, '0'
      FROM generate_series(1, %(n)s) g
    RETURNING id
    """,
    {"team": team.id, "company": env.company.id, "users": users.ids, "people": PEOPLE, "won": won.id,
     "first": first.id, "year": year, "n": DEALS},
)  # fmt: skip
lead_ids = [row[0] for row in cr.fetchall()]
cr.execute(
    """
    INSERT INTO calendar_event (name, start, stop, user_id, opportunity_id, show_as, active, privacy,
                                create_date, write_date)
    SELECT 'Bench visit ' || g, make_timestamp(%(year)s, 1, 1, 10, 0, 0) + make_interval(days => g %% 360),
           make_timestamp(%(year)s, 1, 1, 11, 0, 0) + make_interval(days => g %% 360),
           (%(users)s::int[])[1 + g %% %(people)s], (%(leads)s::int[])[1 + g %% %(deals)s], 'busy', true,
           'public', now(), now()
      FROM generate_series(1, %(n)s) g
    """,
    {"year": year, "users": users.ids, "people": PEOPLE, "leads": lead_ids, "deals": len(lead_ids), "n": MEETINGS},
)
cr.execute("ANALYZE crm_lead")
cr.execute("ANALYZE calendar_event")
env.invalidate_all()
plan = env["kam.funnel.plan"].create(
    {"name": "Bench plan", "team_id": team.id, "date_from": f"{year}-01-01", "date_to": f"{year}-12-31",
     "target_amount": 5_000_000,
     "line_ids": [(0, 0, {"name": "Projects", "target_amount": 5_000_000, "average_amount": 25_000,
                          "win_rate": 20, "visits_per_attempt": 3, "opportunities_per_deal": 5})]}
)  # fmt: skip
env.flush_all()


def best_of_three(function):
    best, queries, result = None, None, None
    for _ in range(3):
        env.invalidate_all()
        before = cr.sql_log_count
        start = time.perf_counter()
        result = function()
        env.flush_all()
        seconds = time.perf_counter() - start
        if best is None or seconds < best:
            best, queries = seconds, cr.sql_log_count - before
    return best, queries, result


actuals_seconds, actuals_queries, actuals = best_of_three(lambda: plan._kam_actuals()[plan.id])
# the same plan for a team of two: the query count must not depend on the team's size
small_team = env["crm.team"].sudo().create({"name": "Bench Pair", "member_ids": [(6, 0, users[:2].ids)]})
small = plan.copy({"name": "Bench pair plan", "team_id": small_team.id})
env.flush_all()
_seconds, small_queries, _actuals = best_of_three(lambda: small._kam_actuals()[small.id])
weeks_seconds, weeks_queries, _weeks = best_of_three(plan._kam_build_weeks)
floor_seconds, _floor_queries, _floor = best_of_three(
    lambda: env["crm.lead"]._read_group(
        [
            ("user_id", "in", users.ids),
            ("create_date", ">=", f"{year}-01-01"),
            ("create_date", "<", f"{year + 1}-01-01"),
        ],
        ["user_id"],
        ["__count", "expected_revenue:sum"],
    )
)
cr.execute("SELECT count(*) FROM calendar_event WHERE user_id = ANY(%s)", [users.ids])
meetings = cr.fetchone()[0]
print(
    "KAM_BENCH "
    + json.dumps(
        {"people": PEOPLE, "deals": len(lead_ids), "meetings": meetings, "actuals": actuals,
         "actuals_seconds": actuals_seconds, "actuals_queries": actuals_queries, "small_queries": small_queries,
         "weeks_seconds": weeks_seconds, "weeks_queries": weeks_queries, "floor_seconds": floor_seconds}
    )
)  # fmt: skip
cr.rollback()
