"""The load test's simulated users (run by bench/load with locust, headless).

Salespeople and sales managers use Odoo over JSON-RPC as the web client does: open the
pipeline kanban (read_group by stage, then the cards), open a deal, log a note, move a deal
forward or back; with the addon (``KAM_LOAD_ADDON=1``) also tick and untick milestones (some
moves are then refused by the gate), add people to the buying centre, and managers force
stages through the audited override. A refusal (UserError, ValidationError, AccessError) is
counted apart from server errors. At the end every tick and untick that succeeded is written
to ``KAM_LOAD_TICKS`` for the invariant check.
"""

import itertools
import json
import os
import random
import time

from locust import HttpUser, between, events, task
from locust.exception import StopUser
from webclient import view_spec

SETUP = json.loads(os.environ["KAM_LOAD_SETUP"])
DB = os.environ["KAM_LOAD_DB"]
ADDON = os.environ.get("KAM_LOAD_ADDON") == "1"
REFUSALS = ("odoo.exceptions.UserError", "odoo.exceptions.ValidationError", "odoo.exceptions.AccessError")
STAGES = SETUP["stages"]
_sellers = itertools.cycle(SETUP["sellers"])
_managers = itertools.cycle(SETUP["managers"])
#: row id -> (time, "done" | "todo") of the last successful tick or untick
TICKS = {}
_ids = itertools.count(1)
#: users logged in so far: the statistics start once all are in (a login hashes a password with
#: 600,000 rounds: 55 at once are a start-of-day storm that would swamp a 30-second smoke run)
USERS = int(os.environ.get("KAM_LOAD_USERS", "55"))
_logged_in = []


_SPECS = {}


class OdooUser(HttpUser):
    abstract = True
    # a person reads between clicks: 55 of them ask a 2-core test server for about 10 requests a
    # second, below saturation, so latencies show each request's cost rather than a queue
    wait_time = between(3, 8)

    def _login(self, login):
        """Log in as the web client does; a person whose login times out in the morning rush tries again."""
        self.login = login
        params = {"db": DB, "login": login, "password": login}
        for attempt in range(3):
            with self.client.post(
                "/web/session/authenticate",
                json={"jsonrpc": "2.0", "method": "call", "params": params},
                name="login",
                catch_response=True,
            ) as response:
                result = response.json().get("result") if response.ok else None
                if result and result.get("uid"):
                    response.success()
                    self.uid = result["uid"]
                    break
                if attempt < 2:
                    response.success()  # retried below: not an error yet
                    events.request.fire(request_type="RETRIED", name="login", response_time=0,
                                        response_length=0, exception=None, context={})  # fmt: skip
                else:
                    response.failure(f"login failed: HTTP {response.status_code} {response.text[:200]}")
                    raise StopUser()
        _logged_in.append(login)
        if len(_logged_in) == USERS:
            self.environment.stats.reset_all()

    def call(self, name, model, method, args, kwargs=None):
        """One JSON-RPC call_kw; a refusal is reported as its own request name, a server error as a failure."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(_ids),
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        with self.client.post(
            f"/web/dataset/call_kw/{model}/{method}", json=payload, name=name, catch_response=True
        ) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}")
                return None, False
            error = body.get("error")
            if not error:
                response.success()
                return body.get("result"), True
            kind = (error.get("data") or {}).get("name", "")
            if kind in REFUSALS:
                response.success()
                events.request.fire(
                    request_type="REFUSED", name=name, response_time=0, response_length=0, exception=None, context={}
                )
                return None, False
            response.failure(f"{kind}: {(error.get('data') or {}).get('message', '')[:200]}")
            return None, False

    # what every user does ------------------------------------------------------------
    def specs(self):
        """The kanban card's and the deal form's specifications, read from the views this side's user gets.

        The web client asks for the fields of the view it shows: the same here, on both sides (each
        side's own views), so that a deal opened costs what the form costs, not a hand-picked subset.
        Read once per process, like the web client's view cache.
        """
        if not _SPECS:
            result, ok = self.call("load views (once)", "crm.lead", "get_views",
                                   [[[False, "kanban"], [False, "form"]]], {"options": {}})  # fmt: skip
            if not ok:
                raise StopUser()
            fields = result["models"]
            _SPECS["kanban"] = view_spec(result["views"]["kanban"]["arch"], "crm.lead", fields)
            _SPECS["form"] = view_spec(result["views"]["form"]["arch"], "crm.lead", fields)
        return _SPECS

    def kanban(self, extra_domain=()):
        domain = [["type", "=", "opportunity"], ["team_id", "=", SETUP["team"]], *extra_domain]
        self.call("kanban: groups", "crm.lead", "web_read_group", [], {
            "domain": domain, "groupby": ["stage_id"], "fields": ["expected_revenue:sum"], "lazy": True,
        })  # fmt: skip
        result, _ok = self.call("kanban: cards", "crm.lead", "web_search_read", [], {
            "domain": domain, "specification": self.specs()["kanban"], "limit": 80,
            "order": "stage_id, priority desc, id desc",
        })  # fmt: skip
        return [record["id"] for record in (result or {}).get("records", [])]

    def open_deal(self, deal_id):
        spec = self.specs()["form"]
        result, _ok = self.call("open deal", "crm.lead", "web_read", [[deal_id]], {"specification": spec})
        return result[0] if result else None

    def move(self, deal, forward=True):
        index = STAGES.index(deal["stage_id"]["id"]) if deal["stage_id"]["id"] in STAGES else 0
        target = STAGES[min(index + 1, len(STAGES) - 2)] if forward else STAGES[max(index - 1, 0)]
        self.call("move deal", "crm.lead", "write", [[deal["id"]], {"stage_id": target}])

    def note(self, deal_id):
        """A note as the chatter posts it (the mail controller, not a call_kw)."""
        params = {
            "thread_model": "crm.lead", "thread_id": deal_id,
            "post_data": {"body": "Called the customer: they compare two offers.", "message_type": "comment",
                          "subtype_xmlid": "mail.mt_note"},
        }  # fmt: skip
        payload = {"jsonrpc": "2.0", "method": "call", "id": next(_ids), "params": params}
        with self.client.post("/mail/message/post", json=payload, name="log note", catch_response=True) as response:
            error = response.json().get("error") if response.ok else {"data": {"name": f"HTTP {response.status_code}"}}
            if error:
                response.failure((error.get("data") or {}).get("name", "error"))
            else:
                response.success()


class Salesperson(OdooUser):
    weight = 10

    def on_start(self):
        self._login(next(_sellers))
        self.deals = SETUP["deals"][self.login]

    @task(4)
    def pipeline(self):
        self.kanban([["user_id", "=", self.uid]])

    @task(4)
    def look_at_a_deal(self):
        self.open_deal(random.choice(self.deals))

    @task(2)
    def log_a_note(self):
        self.note(random.choice(self.deals))

    @task(3)
    def move_a_deal(self):
        deal = self.open_deal(random.choice(self.deals))
        if deal:
            self.move(deal, forward=random.random() < 0.7)

    @task(3)
    def tick_or_untick(self):
        if not ADDON:
            return
        deal = self.open_deal(random.choice(self.deals))
        rows = [row for row in (deal or {}).get("kam_gate_rows") or [] if row.get("kind") == "check"]
        if not rows:
            return
        row = random.choice(rows)
        untick = row["state"] == "done" and random.random() < 0.4
        method = "action_reset" if untick else "action_done"
        _result, ok = self.call(f"milestone: {method}", "kam.lead.milestone", method, [[row["id"]]])
        if ok:
            TICKS[row["id"]] = (time.time(), "todo" if untick else "done")

    @task(1)
    def add_a_stakeholder(self):
        if not ADDON:
            return
        self.call("add stakeholder", "kam.stakeholder", "create", [{
            "lead_id": random.choice(self.deals), "partner_id": random.choice(SETUP["contacts"]),
            "role_ids": [[6, 0, [random.choice(SETUP["roles"])]]],
        }])  # fmt: skip


class Manager(OdooUser):
    weight = 1

    def on_start(self):
        self._login(next(_managers))

    @task(5)
    def team_pipeline(self):
        self.kanban()

    @task(3)
    def look_at_a_deal(self):
        deal_ids = self.kanban()
        if deal_ids:
            self.open_deal(random.choice(deal_ids))

    @task(1)
    def force_a_stage(self):
        if not ADDON:
            return
        seller = random.choice(SETUP["sellers"])
        deal_id = random.choice(SETUP["deals"][seller])
        wizard, ok = self.call("force stage: wizard", "kam.stage.override", "create", [{
            "lead_ids": [[6, 0, [deal_id]]], "stage_id": random.choice(STAGES[1:4]),
            "reason": "Customer committed at the steering meeting.",
        }])  # fmt: skip
        if ok:
            self.call("force stage: confirm", "kam.stage.override", "action_confirm", [[wizard]])


@events.quitting.add_listener
def _save_ticks(environment, **_kwargs):
    path = os.environ.get("KAM_LOAD_TICKS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({str(row): state for row, (_time, state) in TICKS.items()}, out)
