"""Report of bench/load: both sides' locust statistics, server errors, retries and the invariant."""

import csv
import datetime
import json
import os
import pathlib
import re
import sys

work = pathlib.Path(sys.argv[1])
#: how long each side had the load (the sides took turns: locust's own requests per second count both)
SECONDS = float(sys.argv[2])
#: the smoke version (CI): too short for timings to mean much; errors and the invariant still count
SMOKE = "--smoke" in sys.argv
#: a diagnostic run (bench/load, KAM_LOAD_OWN_ACTIONS=0): the addon's side did the shared mix alone; like
#: the smoke version, its timings are reported, not judged
WITHOUT_OWN = "--without-own-actions" in sys.argv
#: a calibration run (bench/load, KAM_LOAD_CALIBRATE=1): both sides vanilla crm doing the same mix, so that
#: the ratios are the test's own spread on this machine; reported, not judged; no invariant to check
CALIBRATION = "--calibration" in sys.argv
#: the shared actions' requests as Odoo's request log names them
SHARED_URLS = {
    "/web/dataset/call_kw/crm.lead/web_read": "open deal",
    "/web/dataset/call_kw/crm.lead/web_search_read": "kanban: cards",
    "/web/dataset/call_kw/crm.lead/web_read_group": "kanban: groups",
    "/web/dataset/call_kw/crm.lead/write": "move deal",
    "/mail/message/post": "log note",
}
#: the requests each simulated user makes once, before the timed slices (logging in, loading the views)
SET_UP = ("/web/session/authenticate", "/web/dataset/call_kw/crm.lead/get_views")
#: a request in Odoo's log: when it was answered, its path, then its queries, their time and the rest of its time
REQUEST_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d+ .*\"POST (\S+) HTTP/[\d.]+\" \d+ - (\d+) ([\d.]+) ([\d.]+)"
)


def stats(side):
    """``{(type, action): row}`` of one side's requests (named ``side/action``) in locust's statistics."""
    rows = {}
    with open(work / "load_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            owner, _slash, name = row["Name"].partition("/")
            if owner == side:
                row["Requests/s"] = number(row, "Request Count") / SECONDS
                rows[(row["Type"], name)] = row
    return rows


def number(row, key):
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        return 0.0


def percentile(values, share):
    """The value below which ``share`` of ``values`` fall (nearest rank), 0 for none."""
    values = sorted(values)
    return values[min(len(values) - 1, int(share * len(values)))] if values else 0.0


def server_times(side, since):
    """``{path: [ms]}`` of the requests one side's workers answered from ``since`` (seconds since the epoch)
    on: each request's own time in a worker (its queries and the rest), without the wait for a worker."""
    times = {}
    with open(work / f"{side}-server.log", encoding="utf-8", errors="replace") as log:
        for line in log:
            match = REQUEST_LINE.match(line)
            if match and datetime.datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").timestamp() >= since:
                times.setdefault(match[2], []).append((float(match[4]) + float(match[5])) * 1000)
    return times


def retries(side):
    log = (work / f"{side}-server.log").read_text(encoding="utf-8", errors="replace")
    return len(re.findall(r"tries left, try again", log)), len(re.findall(r"maximum number of tries reached", log))


ours, floor = stats("addon"), stats("vanilla")
ok = True
print(f"{'action':<24}{'addon req/s':>12}{'vanilla':>9}{'p50 ms':>8}{'vanilla':>9}{'p95 ms':>8}{'vanilla':>9}")
for (kind, name), row in sorted(ours.items(), key=lambda item: item[0][1]):
    if kind != "POST":
        continue
    base = floor.get((kind, name), {})
    print(
        f"{name:<24}{number(row, 'Requests/s'):>12.2f}{number(base, 'Requests/s'):>9.2f}"
        f"{number(row, '50%'):>8.0f}{number(base, '50%'):>9.0f}{number(row, '95%'):>8.0f}{number(base, '95%'):>9.0f}"
    )
# the same actions' own cost in the server, one user and no queue, both sides alternating (requests_measure.py)
own = json.loads((work / "requests.json").read_text(encoding="utf-8"))
print(f"{'server cost, no queue':<24}{'queries':>12}{'vanilla':>9}{'ms':>8}{'vanilla':>9}{'ratio':>8}")
for name, sides in own.items():
    (queries, ms), (base_queries, base_ms) = sides["addon"], sides["vanilla"]
    ratio = ms / base_ms if base_ms else 0.0
    print(f"{name:<24}{queries:>12}{base_queries:>9}{ms:>8.1f}{base_ms:>9.1f}{ratio:>7.2f}x")
refused = {name: int(number(row, "Request Count")) for (kind, name), row in ours.items() if kind == "REFUSED"}
print(
    "refused by the rules (not errors): " + (", ".join(f"{name} {count}" for name, count in refused.items()) or "none")
)

# the same actions on both sides: throughput and p95 of the shared mix
shared = [key for key in ours if key in floor and key[0] == "POST" and key[1] not in ("login", "load views (once)")]
ours_rps = sum(number(ours[key], "Requests/s") for key in shared)
floor_rps = sum(number(floor[key], "Requests/s") for key in shared)
throughput = ours_rps / floor_rps if floor_rps else 0.0
worst = max((number(ours[key], "95%") / max(number(floor[key], "95%"), 1.0), key[1]) for key in shared)
ok &= SMOKE or WITHOUT_OWN or CALIBRATION or (throughput >= 0.9 and worst[0] <= 1.2)
if CALIBRATION:
    print("(calibration run: both sides vanilla crm doing the same mix; the ratios are the test's own spread) ", end="")
elif WITHOUT_OWN:
    print("(diagnostic run: the addon's side without its own actions; timings reported, not judged) ", end="")
elif SMOKE:
    print("(smoke run: timings reported, not judged) ", end="")
print(f"shared actions: {ours_rps:.1f} vs {floor_rps:.1f} requests/s = {throughput:.2f}x (goal >= 0.9x); "
      f"worst p95 ratio {worst[0]:.2f}x ({worst[1]}, goal <= 1.2x)")  # fmt: skip

# the untimed warm-up before the slices (locustfile.py): its server errors count like the others
warm_path = work / "load_warmup.json"
warm = json.loads(warm_path.read_text(encoding="utf-8")) if warm_path.exists() else {}

# The same requests in the servers' own logs, from the timed slices on: the time a worker spent on each
# (latency less the wait for a free worker), and how long each side's workers were busy in all. A
# request that costs the same on both sides but takes longer in the addon's workers waited for the CPU
# or the database behind the other requests of a busier server, not for its own work.
served = {side: server_times(side, warm.get("timed_from", 0)) for side in ("addon", "vanilla")}
for side, times in served.items():
    if not any(path in SHARED_URLS for path in times):
        print(f"(no shared action found in {side}'s server log since the slices started: the lines below are empty)")
print(f"{'in the workers':<24}{'requests':>12}{'vanilla':>9}{'p50 ms':>8}{'vanilla':>9}{'p95 ms':>8}{'vanilla':>9}")
for path, name in SHARED_URLS.items():
    mine, base = served["addon"].get(path, []), served["vanilla"].get(path, [])
    print(
        f"{name:<24}{len(mine):>12}{len(base):>9}{percentile(mine, 0.5):>8.0f}{percentile(base, 0.5):>9.0f}"
        f"{percentile(mine, 0.95):>8.0f}{percentile(base, 0.95):>9.0f}"
    )
busy = {side: sum(sum(times) for path, times in served[side].items() if path not in SET_UP) / 1000 for side in served}
own_busy = sum(sum(times) for path, times in served["addon"].items() if path not in (*SHARED_URLS, *SET_UP)) / 1000
print(f"workers busy: addon {busy['addon']:.1f} s (its own actions {own_busy:.1f} s of it), vanilla "
      f"{busy['vanilla']:.1f} s = {busy['addon'] / max(busy['vanilla'], 0.001):.2f}x")  # fmt: skip

# How busy the machine was while each side had the load (locustfile.py): far from all its cores, a
# request rarely waits for one, and its latency is its own cost (the lines "server cost, no queue");
# near all of them, latencies add a queue, longer on the busier side.
cpu = warm.get("cpu") or {}
if all(cpu.get(side, {}).get("total") and cpu[side].get("seconds") for side in ("addon", "vanilla")):
    cores = os.cpu_count() or 1
    print(f"machine's CPU ({cores} cores) while each side had the load: " + ", ".join(
        f"{side} {100 * cpu[side]['busy'] / cpu[side]['total']:.0f} % busy (the load generator "
        f"{100 * cpu[side]['generator'] / (cpu[side]['seconds'] * cores):.0f} % of it)"
        for side in ("addon", "vanilla")
    ))  # fmt: skip
else:
    print("machine's CPU while each side had the load: not measured (no /proc/stat, or no timed slice)")


def warmed(side, what):
    """The requests or the failures of one side during the warm-up (refusals and retries are not requests)."""
    return sum(
        count
        for key, count in warm.get(what, {}).items()
        if key.partition(" ")[2].startswith(f"{side}/") and (what == "failures" or key.startswith("POST "))
    )


for side, table in (("addon", ours), ("vanilla", floor)):
    requests = sum(int(number(row, "Request Count")) for (kind, _name), row in table.items() if kind == "POST")
    errors = sum(int(number(row, "Failure Count")) for row in table.values())
    warm_errors = warmed(side, "failures")
    retried, given_up = retries(side)
    ok &= errors == 0 and warm_errors == 0
    print(f"{side}: {requests} requests, {errors} server errors (goal 0); warm-up (untimed): "
          f"{warmed(side, 'requests')} requests, {warm_errors} server errors (goal 0); "
          f"{retried} serialization retries, {given_up} given up")  # fmt: skip
failures = work / "load_failures.csv"
if failures.exists():
    with open(failures, encoding="utf-8") as handle:
        for row in list(csv.DictReader(handle))[:10]:
            print(f"  error: {row.get('Name')}: {row.get('Error', '')[:200]} x{row.get('Occurrences')}")
for error in warm.get("errors", [])[:10]:
    print(f"  error in the warm-up: {error['name']}: {error['error']} x{error['occurrences']}")

if CALIBRATION:
    print("invariant: not checked (calibration run: no addon on either side)")
    sys.exit(0 if ok else 1)
check = json.loads((work / "check.json").read_text() or "{}") if (work / "check.json").exists() else {}
invariant = check.get("past_unmet") == 0 and not check.get("lost") and not check.get("revived")
ok &= bool(check) and invariant
print(f"invariant: {check.get('past_unmet', '?')} active deals past an unmet milestone (goal 0); "
      f"{check.get('ticks', 0)} rows ticked or unticked, {len(check.get('lost', []))} ticks lost, "
      f"{len(check.get('revived', []))} unticks lost (goal 0)")  # fmt: skip
sys.exit(0 if ok else 1)
