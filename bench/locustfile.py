"""The load test's simulated users (run by bench/load with locust, headless).

Salespeople and sales managers use Odoo over JSON-RPC as the web client does: open the
pipeline kanban (read_group by stage, then the cards), open a deal, log a note, move a deal
forward or back; on the addon's side also tick and untick milestones (some moves are then
refused by the gate), add people to the buying centre, and managers force stages through the
audited override. The shared actions make the same mix on both sides: before a tick, the deal is
opened on vanilla's side too (only the tick is left out there). A refusal (UserError,
ValidationError, AccessError) is counted apart from server errors. At the end every tick and
untick that succeeded is written to ``KAM_LOAD_TICKS`` for the invariant check.

Both sides run in the same run, taking turns: two servers (the addon's at ``--host``, vanilla's
at ``KAM_LOAD_VANILLA_HOST``), every person logged in on both, and the whole load on one side at
a time, in slices of about 20 seconds, addon-vanilla-vanilla-addon and so on, until each side
has had ``KAM_LOAD_SECONDS``. A 2-core machine's speed drifts by tens of percent from one
minute to the next: two runs one after the other would read that drift as a difference between
the sides, slices taking turns spread it over both. Requests are named ``side/action``.

Before the timed slices, a warm-up of ``KAM_LOAD_WARMUP`` seconds (the sides taking turns too)
does the same mix untimed: Odoo caches each user's record rules and groups in each worker, so
that a short run's first minute measures mostly first requests of a person on a worker (half of
them in a 120-second run), which a server that has run for a while no longer serves; and each
worker runs its first full garbage collection once those caches have grown (0.1-0.4 s, once: the
addon's workers about 80 s into a 60-s warm-up's load, so in its first timed slice; vanilla's while
people logged in). The
warm-up's requests and server errors are written to ``KAM_LOAD_WARMUP_STATS``: its errors count
like the others, its ticks are checked with the others. So is how busy the machine's cores were during
each side's timed slices, and this process (the load generator) among them.

``KAM_LOAD_OWN_ACTIONS=0`` is a diagnostic: the addon's side then does the shared mix alone (no tick, no
person added, no stage forced), so that runs with and without them compare how much of a latency ratio
is the queue those actions add to the addon's server (vanilla's has no such work) and how much each
shared action's own cost (on a 2-core machine one run of each is not enough: p95 ratios of the same
code differ by 0.2x from one run to the next). The goals are judged on the full mix only.
"""

import itertools
import json
import os
import random
import time

import gevent
from locust import HttpUser, between, events, task
from locust.clients import HttpSession
from locust.exception import StopUser
from webclient import view_spec

SIDES = ("addon", "vanilla")
SETUP = {side: json.loads(os.environ[f"KAM_LOAD_SETUP_{side.upper()}"]) for side in SIDES}
DB = {side: os.environ[f"KAM_LOAD_DB_{side.upper()}"] for side in SIDES}
REFUSALS = ("odoo.exceptions.UserError", "odoo.exceptions.ValidationError", "odoo.exceptions.AccessError")
SECONDS = float(os.environ.get("KAM_LOAD_SECONDS", "120"))
WARM_UP = float(os.environ.get("KAM_LOAD_WARMUP", "120"))
#: the addon's own actions (ticks, people added, stages forced) on its side; off in a diagnostic run
OWN_ACTIONS = os.environ.get("KAM_LOAD_OWN_ACTIONS", "1") != "0"
#: the slices: an even number of them per side (addon-vanilla-vanilla-addon…), about 20 s each
SLICES = 2 * max(1, round(SECONDS / 40))
SLICE = SECONDS / SLICES
TURNS = ("addon", "vanilla", "vanilla", "addon")
_sellers = itertools.cycle(SETUP["addon"]["sellers"])
_managers = itertools.cycle(SETUP["addon"]["managers"])
#: row id -> (time, "done" | "todo") of the last successful tick or untick
TICKS = {}
_ids = itertools.count(1)
#: users logged in so far (on both sides): the statistics start once all are in (a login hashes a
#: password with 600,000 rounds: 55 at once are a start-of-day storm that would swamp a smoke run)
USERS = int(os.environ.get("KAM_LOAD_USERS", "55"))
_logged_in = []
#: when everyone was logged in: the warm-up, then the slices count from there
_started = []
#: the warm-up's requests, failures (server errors) and errors by ``type side/action``, untimed; and
#: when the timed slices start (seconds since the epoch)
WARMED = {"requests": {}, "failures": {}, "errors": [], "timed_from": 0}
#: the machine's CPU while each side had the load (Linux's /proc/stat, all cores): busy and all jiffies, and
#: the load generator's own CPU seconds (this process), over the seconds that fell wholly in that side's slices
CPU = {side: {"busy": 0, "total": 0, "generator": 0.0, "seconds": 0.0} for side in SIDES}
WARMED["cpu"] = CPU


def turn():
    """The side whose turn it is, or None before everyone is logged in and once both sides had their time."""
    if not _started:
        return None
    elapsed = time.monotonic() - _started[0]
    if elapsed < WARM_UP:
        return TURNS[int(elapsed / (WARM_UP / len(TURNS)))]
    index = int((elapsed - WARM_UP) / SLICE)
    return TURNS[index % len(TURNS)] if index < 2 * SLICES else None


def _end_warm_up(environment):
    """Keep what the warm-up did (its errors count), then start the statistics afresh for the timed slices."""
    for entry in environment.stats.entries.values():
        key = f"{entry.method} {entry.name}"
        WARMED["requests"][key] = entry.num_requests
        WARMED["failures"][key] = entry.num_failures
    WARMED["errors"] = [
        {"name": error.name, "error": str(error.error)[:200], "occurrences": error.occurrences}
        for error in environment.stats.errors.values()
    ]
    environment.stats.reset_all()


def _machine_jiffies():
    """``(busy, total)`` jiffies of all the machine's cores since it started, or None without /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            values = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = sum(values[3:5])  # idle and waiting for the disk
    return sum(values) - idle, sum(values)


def _sample_cpu():
    """Each second of the timed slices, how busy the machine and the load generator were, for the side whose
    slice it was: whether the servers had the machine to themselves or queued for its cores."""
    last = (turn(), _machine_jiffies(), time.process_time(), time.monotonic())
    while last[0]:
        gevent.sleep(1)
        now = (turn(), _machine_jiffies(), time.process_time(), time.monotonic())
        if now[0] == last[0] and now[1] and last[1]:
            cpu = CPU[now[0]]
            cpu["busy"] += now[1][0] - last[1][0]
            cpu["total"] += now[1][1] - last[1][1]
            cpu["generator"] += now[2] - last[2]
            cpu["seconds"] += now[3] - last[3]
        last = now


_SPECS = {}


class OdooUser(HttpUser):
    abstract = True
    # a person reads between clicks: 55 of them ask a 2-core test server for about 10 requests a
    # second, below saturation, so latencies show each request's cost rather than a queue
    wait_time = between(3, 8)

    def _login(self, login):
        """Log in on both sides as the web client does; a person whose login times out in the morning rush
        tries again."""
        self.login = login
        self.sessions = {"addon": self.client}
        self.sessions["vanilla"] = HttpSession(
            base_url=os.environ["KAM_LOAD_VANILLA_HOST"], request_event=self.environment.events.request, user=self
        )
        self.sessions["vanilla"].trust_env = False
        self.uid = {}
        for side in SIDES:
            params = {"db": DB[side], "login": login, "password": login}
            for attempt in range(3):
                with self.sessions[side].post(
                    "/web/session/authenticate",
                    json={"jsonrpc": "2.0", "method": "call", "params": params},
                    name=f"{side}/login",
                    catch_response=True,
                ) as response:
                    result = response.json().get("result") if response.ok else None
                    if result and result.get("uid"):
                        response.success()
                        self.uid[side] = result["uid"]
                        break
                    if attempt < 2:
                        response.success()  # retried below: not an error yet
                        events.request.fire(request_type="RETRIED", name=f"{side}/login", response_time=0,
                                            response_length=0, exception=None, context={})  # fmt: skip
                    else:
                        response.failure(f"login failed: HTTP {response.status_code} {response.text[:200]}")
                        raise StopUser()
            self.specs(side)  # the views, once per side: before the statistics start, as the web client's cache
        _logged_in.append(login)
        if len(_logged_in) == USERS:
            self.environment.stats.reset_all()
            _started.append(time.monotonic())
            # when the timed slices start (wall clock): the report reads the servers' logs from there on
            WARMED["timed_from"] = time.time() + WARM_UP
            if WARM_UP:
                gevent.spawn_later(WARM_UP, _end_warm_up, self.environment)
            gevent.spawn_later(WARM_UP, _sample_cpu)
            # the end of the run: both sides had their time
            gevent.spawn_later(WARM_UP + 2 * SECONDS + 1, self.environment.runner.quit)

    def call(self, side, name, model, method, args, *, kwargs=None):
        """One JSON-RPC call_kw on ``side``; a refusal is reported as its own request type, a server error as a
        failure."""
        name = f"{side}/{name}"
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(_ids),
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        with self.sessions[side].post(
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
    def specs(self, side):
        """The kanban card's and the deal form's specifications, read from the views this side's user gets.

        The web client asks for the fields of the view it shows: the same here, on both sides (each
        side's own views), so that a deal opened costs what the form costs, not a hand-picked subset.
        Read once per process and side, like the web client's view cache.
        """
        if side not in _SPECS:
            result, ok = self.call(side, "load views (once)", "crm.lead", "get_views",
                                   [[[False, "kanban"], [False, "form"]]], kwargs={"options": {}})  # fmt: skip
            if not ok:
                raise StopUser()
            fields = result["models"]
            _SPECS[side] = {
                "kanban": view_spec(result["views"]["kanban"]["arch"], "crm.lead", fields),
                "form": view_spec(result["views"]["form"]["arch"], "crm.lead", fields),
            }
        return _SPECS[side]

    def kanban(self, side, extra_domain=()):
        domain = [["type", "=", "opportunity"], ["team_id", "=", SETUP[side]["team"]], *extra_domain]
        self.call(side, "kanban: groups", "crm.lead", "web_read_group", [], kwargs={
            "domain": domain, "groupby": ["stage_id"], "fields": ["expected_revenue:sum"], "lazy": True,
        })  # fmt: skip
        result, _ok = self.call(side, "kanban: cards", "crm.lead", "web_search_read", [], kwargs={
            "domain": domain, "specification": self.specs(side)["kanban"], "limit": 80,
            "order": "stage_id, priority desc, id desc",
        })  # fmt: skip
        return [record["id"] for record in (result or {}).get("records", [])]

    def open_deal(self, side, deal_id):
        spec = self.specs(side)["form"]
        result, _ok = self.call(side, "open deal", "crm.lead", "web_read", [[deal_id]], kwargs={"specification": spec})
        return result[0] if result else None

    def move(self, side, deal, forward=True):
        stages = SETUP[side]["stages"]
        index = stages.index(deal["stage_id"]["id"]) if deal["stage_id"]["id"] in stages else 0
        target = stages[min(index + 1, len(stages) - 2)] if forward else stages[max(index - 1, 0)]
        self.call(side, "move deal", "crm.lead", "write", [[deal["id"]], {"stage_id": target}])

    def note(self, side, deal_id):
        """A note as the chatter posts it (the mail controller, not a call_kw)."""
        params = {
            "thread_model": "crm.lead", "thread_id": deal_id,
            "post_data": {"body": "Called the customer: they compare two offers.", "message_type": "comment",
                          "subtype_xmlid": "mail.mt_note"},
        }  # fmt: skip
        payload = {"jsonrpc": "2.0", "method": "call", "id": next(_ids), "params": params}
        with self.sessions[side].post(
            "/mail/message/post", json=payload, name=f"{side}/log note", catch_response=True
        ) as response:
            error = response.json().get("error") if response.ok else {"data": {"name": f"HTTP {response.status_code}"}}
            if error:
                response.failure((error.get("data") or {}).get("name", "error"))
            else:
                response.success()


class Salesperson(OdooUser):
    weight = 10

    def on_start(self):
        self._login(next(_sellers))

    def deal_id(self, side):
        return random.choice(SETUP[side]["deals"][self.login])

    @task(4)
    def pipeline(self):
        if side := turn():
            self.kanban(side, [["user_id", "=", self.uid[side]]])

    @task(4)
    def look_at_a_deal(self):
        if side := turn():
            self.open_deal(side, self.deal_id(side))

    @task(2)
    def log_a_note(self):
        if side := turn():
            self.note(side, self.deal_id(side))

    @task(3)
    def move_a_deal(self):
        if side := turn():
            deal = self.open_deal(side, self.deal_id(side))
            if deal:
                self.move(side, deal, forward=random.random() < 0.7)

    @task(3)
    def tick_or_untick(self):
        side = turn()
        if not side:
            return
        # opening the deal is a shared action (the same mix on both sides); the tick is the addon's own:
        # vanilla's people, with no milestone to tick, read on in the meantime
        deal = self.open_deal(side, self.deal_id(side))
        if side != "addon" or not OWN_ACTIONS:
            return
        if not deal:
            return
        # the Gate tab reads its rows when it opens, as the web client's tab does
        tab, _ok = self.call(side, "gate tab", "crm.lead", "kam_read_gate_rows", [[deal["id"]]])
        rows = [row for row in tab or [] if row.get("kind") == "check"]
        if not rows:
            return
        row = random.choice(rows)
        untick = row["state"] == "done" and random.random() < 0.4
        method = "action_reset" if untick else "action_done"
        _result, ok = self.call(side, f"milestone: {method}", "kam.lead.milestone", method, [[row["id"]]])
        if ok:
            TICKS[row["id"]] = (time.time(), "todo" if untick else "done")

    @task(1)
    def add_a_stakeholder(self):
        side = turn()
        if side != "addon" or not OWN_ACTIONS:
            return
        self.call(side, "add stakeholder", "kam.stakeholder", "create", [{
            "lead_id": self.deal_id(side), "partner_id": random.choice(SETUP[side]["contacts"]),
            "role_ids": [[6, 0, [random.choice(SETUP[side]["roles"])]]],
        }])  # fmt: skip


class Manager(OdooUser):
    weight = 1

    def on_start(self):
        self._login(next(_managers))

    @task(5)
    def team_pipeline(self):
        if side := turn():
            self.kanban(side)

    @task(3)
    def look_at_a_deal(self):
        if side := turn():
            deal_ids = self.kanban(side)
            if deal_ids:
                self.open_deal(side, random.choice(deal_ids))

    @task(1)
    def force_a_stage(self):
        side = turn()
        if side != "addon" or not OWN_ACTIONS:
            return
        setup = SETUP[side]
        deal_id = random.choice(setup["deals"][random.choice(setup["sellers"])])
        wizard, ok = self.call(side, "force stage: wizard", "kam.stage.override", "create", [{
            "lead_ids": [[6, 0, [deal_id]]], "stage_id": random.choice(setup["stages"][1:4]),
            "reason": "Customer committed at the steering meeting.",
        }])  # fmt: skip
        if ok:
            self.call(side, "force stage: confirm", "kam.stage.override", "action_confirm", [[wizard]])


@events.quitting.add_listener
def _save_ticks(environment, **_kwargs):
    path = os.environ.get("KAM_LOAD_TICKS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({str(row): state for row, (_time, state) in TICKS.items()}, out)
    path = os.environ.get("KAM_LOAD_WARMUP_STATS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"seconds": WARM_UP, **WARMED}, out)
