"""The server's own cost of each shared action of the load test, without a queue (fed to ``odoo shell`` by
bench/load on each side, after the set-up): what a request costs in queries and milliseconds inside Odoo,
as one salesperson alone, with a fresh record cache each time as a new request has. Prints one JSON line
starting with ``KAM_REQUESTS``: ``{action: [queries, median ms]}``.

The load test's latencies add the queue of a busy server to this; the two together tell whether a
latency ratio comes from the addon's work or from the server being busier.
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.environ["KAM_BENCH_DIR"])
from webclient import view_spec

ROUNDS = int(os.environ.get("KAM_REQUESTS_ROUNDS", "40"))
env = env(user=env["res.users"].search([("login", "=", "load_seller_3")]))  # noqa: F821 (odoo shell provides env)
env = env(context={"lang": "en_US", "tz": "UTC"})
Lead = env["crm.lead"]
views = Lead.get_views([[False, "kanban"], [False, "form"]], options={})
kanban_spec = view_spec(views["views"]["kanban"]["arch"], "crm.lead", views["models"])
form_spec = view_spec(views["views"]["form"]["arch"], "crm.lead", views["models"])
deals = Lead.search([("user_id", "=", env.uid)], order="id")
domain = [["type", "=", "opportunity"], ["team_id", "=", deals[0].team_id.id], ["user_id", "=", env.uid]]
stages = env["crm.stage"].search([("name", "like", "Load S")], order="sequence").ids


movable = deals.filtered(lambda deal: deal.stage_id.id in stages[1:])


def move(i):
    """A deal one stage back (rolled back after each round; forward may be refused by the gate)."""
    deal = Lead.browse(movable[i % len(movable)].id)
    deal.write({"stage_id": stages[stages.index(deal.stage_id.id) - 1]})


def note(i):
    Lead.browse(deals[i % len(deals)].id).message_post(
        body="Called the plant manager.", message_type="comment", subtype_xmlid="mail.mt_note",
        author_id=env.user.partner_id.id, email_from="seller@example.com",
    )  # fmt: skip


ACTIONS = {
    "open deal": lambda i: Lead.browse(deals[i % len(deals)].id).web_read(form_spec),
    "kanban: cards": lambda i: Lead.web_search_read(
        domain, kanban_spec, limit=80, order="stage_id, priority desc, id desc"
    ),
    "kanban: groups": lambda i: Lead.web_read_group(domain, ["expected_revenue:sum"], ["stage_id"], lazy=True),
    "move deal": move,
    "log note": note,
}
result = {}
for name, action in ACTIONS.items():
    times, queries = [], []
    for i in range(ROUNDS + 5):
        env.invalidate_all()
        savepoint = env.cr.savepoint()
        before, start = env.cr.sql_log_count, time.perf_counter()
        try:
            action(i)
            env.flush_all()
            elapsed, count = (time.perf_counter() - start) * 1000, env.cr.sql_log_count - before
        finally:
            savepoint.close(rollback=True)  # every round starts from the set-up's data
        if i >= 5:  # the first rounds warm Odoo's caches, as a worker's first requests do
            times.append(elapsed)
            queries.append(count)
    result[name] = [int(statistics.median(queries)), round(statistics.median(times), 2)]
env.cr.rollback()
print("KAM_REQUESTS " + json.dumps(result))
