"""The server's own cost of each shared action of the load test, without a queue, addon vs vanilla.

Run by bench/load after both sides' set-up: ``python requests_measure.py ADDONS_PATH ADDON_DB VANILLA_DB``
(with Odoo's Python). Both databases are opened in this one process and every round runs the action on
one side then on the other (the order alternating), so that both meet the same machine: a 2-core
machine's timings drift by tens of percent from one minute to the next, which two runs one after the
other would read as a difference between the sides. Each round is what one request of one salesperson
costs inside Odoo: a fresh cursor and record cache, the action, the flush; then rolled back so that
every round starts from the set-up's data. Prints one JSON line starting with ``KAM_REQUESTS``:
``{action: {"addon": [queries, median ms], "vanilla": [queries, median ms]}}``.

The load test's latencies add the queue of a busy server to this; the two together tell whether a
latency ratio comes from the addon's work or from the server being busier.
"""

import json
import os
import statistics
import sys
import threading
import time

import odoo
from odoo.api import Environment
from odoo.modules.registry import Registry

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webclient import view_spec

ROUNDS = int(os.environ.get("KAM_REQUESTS_ROUNDS", "60"))
WARM_UP = 5
addons_path, *databases = sys.argv[1:]
odoo.tools.config.parse_config(["--addons-path", addons_path, "--log-level", "error"])
threading.current_thread().dbname = databases[0]
SIDES = dict(zip(("addon", "vanilla"), databases, strict=True))


class Side:
    """One database: its registry, and what a salesperson's requests need (read once)."""

    def __init__(self, db):
        self.registry = Registry(db)
        with self.registry.cursor() as cr:
            env = self.env(cr)
            views = env["crm.lead"].get_views([[False, "kanban"], [False, "form"]], options={})
            self.kanban_spec = view_spec(views["views"]["kanban"]["arch"], "crm.lead", views["models"])
            self.form_spec = view_spec(views["views"]["form"]["arch"], "crm.lead", views["models"])
            deals = env["crm.lead"].search([("user_id", "=", env.uid)], order="id")
            self.deals = deals.ids
            team = deals[0].team_id.id
            self.domain = [["type", "=", "opportunity"], ["team_id", "=", team], ["user_id", "=", env.uid]]
            self.stages = env["crm.stage"].search([("name", "like", "Load S")], order="sequence").ids
            self.movable = deals.filtered(lambda deal: deal.stage_id.id in self.stages[1:]).ids

    def env(self, cr):
        env = Environment(cr, odoo.SUPERUSER_ID, {})
        uid = env["res.users"].search([("login", "=", "load_seller_3")]).id
        return Environment(cr, uid, {"lang": "en_US", "tz": "UTC"})

    # the actions, as the load test's requests do them
    def open_deal(self, env, i):
        env["crm.lead"].browse(self.deals[i % len(self.deals)]).web_read(self.form_spec)

    def kanban_cards(self, env, i):
        env["crm.lead"].web_search_read(
            self.domain, self.kanban_spec, limit=80, order="stage_id, priority desc, id desc"
        )

    def kanban_groups(self, env, i):
        env["crm.lead"].web_read_group(self.domain, ["expected_revenue:sum"], ["stage_id"], lazy=True)

    def move_deal(self, env, i):
        """A deal one stage back (forward may be refused by the gate)."""
        deal = env["crm.lead"].browse(self.movable[i % len(self.movable)])
        deal.write({"stage_id": self.stages[self.stages.index(deal.stage_id.id) - 1]})

    def log_note(self, env, i):
        env["crm.lead"].browse(self.deals[i % len(self.deals)]).message_post(
            body="Called the plant manager.", message_type="comment", subtype_xmlid="mail.mt_note",
            author_id=env.user.partner_id.id, email_from="seller@example.com",
        )  # fmt: skip

    def round(self, action, i):
        """``(queries, ms)`` of one request doing ``action``."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            env.user.mapped("tz")  # a request has its user loaded
            before, start = cr.sql_log_count, time.perf_counter()
            getattr(self, action)(env, i)
            env.flush_all()
            elapsed, count = (time.perf_counter() - start) * 1000, cr.sql_log_count - before
            cr.rollback()
        return count, elapsed


sides = {name: Side(db) for name, db in SIDES.items()}
ACTIONS = {
    "open deal": "open_deal",
    "kanban: cards": "kanban_cards",
    "kanban: groups": "kanban_groups",
    "move deal": "move_deal",
    "log note": "log_note",
}
result = {}
for label, action in ACTIONS.items():
    samples = {name: ([], []) for name in sides}
    for i in range(ROUNDS + WARM_UP):
        order = list(sides) if i % 2 else list(reversed(sides))
        for name in order:
            count, elapsed = sides[name].round(action, i)
            if i >= WARM_UP:  # the first rounds warm Odoo's caches, as a worker's first requests do
                samples[name][0].append(count)
                samples[name][1].append(elapsed)
    result[label] = {
        name: [int(statistics.median(queries)), round(statistics.median(times), 2)]
        for name, (queries, times) in samples.items()
    }
print("KAM_REQUESTS " + json.dumps(result))
