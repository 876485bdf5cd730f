"""Odoo's command line, with one race of Odoo 18's browser-test harness closed (scripts/referee).

An ``HttpCase`` browser test ends by closing Chrome and joining the server threads that handle its
requests (``_wait_remaining_requests``). A request the page sent as it was closed can reach the
server after that join: the next test then starts while the request still runs, and both use the
class's one database cursor at once (the test fails with ``StopIteration`` or "cursor already
closed" in whatever query it ran). calendar's month-view tour ends that way (its popover's
``get_state_selections`` call, sent ~0.3 s after the last click), on a vanilla database as on one
with the addon. Here the harness also waits for Chrome to exit and then for the server to stay
idle for a moment, joining any request still running, and logs each request the server accepted
once Chrome was being closed ("late request"), so the referee shows how often it happened on each side.

Both sides of the referee run with it; no test is changed or skipped. ``--selfcheck`` shows the
race with Odoo's harness and its absence with this one (a simulated late request, counted once; exit 1
if not).
"""

import logging
import subprocess
import sys
import threading
import time

from odoo.cli.command import main
from odoo.service import server as odoo_server
from odoo.tools import config

config["test_enable"] = True  # as the referee's --test-enable will say: Odoo's test framework may be imported
from odoo.tests import common  # noqa: E402

_logger = logging.getLogger("kam.referee.harness")
QUIET = 0.3  # seconds without a request thread before the next test may start
_accepted = []  # when the server accepted each request (time.monotonic()), since the last browser test ended
_closing = [0.0]  # when the last browser test began closing Chrome


def _request_threads():
    # process_request marks its threads ``type = "http"`` before starting them, before they are
    # renamed "odoo.service.http.request.*": this finds a request accepted a moment ago as well.
    return [t for t in threading.enumerate() if getattr(t, "type", None) == "http"]


_process_request = odoo_server.ThreadedWSGIServerReloadable.process_request


def process_request(self, request, client_address):
    _accepted.append(time.monotonic())
    return _process_request(self, request, client_address)


_stop = common.ChromeBrowser.stop


def stop(self):
    _closing[0] = time.monotonic()
    _stop(self)
    if self.chrome:
        try:
            self.chrome.wait(10)  # its network process may still deliver what the page had sent
        except subprocess.TimeoutExpired:
            _logger.warning("Chrome (pid %s) did not exit within 10 s", self.chrome.pid)


_wait = common.HttpCase._wait_remaining_requests


def _wait_remaining_requests(self, timeout=10):
    _wait(self, timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(QUIET)
        running = _request_threads()
        if not running:
            break
        for thread in running:
            thread.join(max(deadline - time.monotonic(), 0.1))
    else:
        _logger.warning("requests still running after %s s: %s", timeout, _request_threads())
    # Requests the server accepted once Chrome was being closed: with Odoo's harness alone (it joins the threads
    # running when Chrome is killed, without waiting for it to exit) such a request can run into the next test.
    late = sum(1 for accepted in _accepted if accepted >= _closing[0])
    _accepted.clear()
    for _n in range(late):
        _logger.info("late request: accepted after %s began closing the browser, done before the next test", self)
    return late


def selfcheck():
    """A request the server accepts 0.1 s after the browser closed, served for 0.5 s: Odoo's harness lets
    the next test start while it runs, this one waits for it."""

    class Case:
        _logger = _logger

    def late_request(served):
        time.sleep(0.1)
        thread = threading.Thread(target=lambda: (time.sleep(0.5), served.set()))
        thread.type = "http"  # as the server's process_request marks it
        _accepted.append(time.monotonic())  # as the referee's process_request records it
        thread.start()

    results = {}
    for name, wait in (("Odoo's harness", _wait), ("the referee's", _wait_remaining_requests)):
        _closing[0] = time.monotonic()
        served = threading.Event()
        threading.Thread(target=late_request, args=(served,)).start()
        counted = wait(Case(), 5)
        results[name] = served.is_set()
        served.wait(5)
        print(f"{name}: the late request {'was' if results[name] else 'was NOT'} done when the next test began")
    return 0 if results == {"Odoo's harness": False, "the referee's": True} and counted == 1 else 1


odoo_server.ThreadedWSGIServerReloadable.process_request = process_request
common.ChromeBrowser.stop = stop
common.HttpCase._wait_remaining_requests = _wait_remaining_requests

if __name__ == "__main__":
    sys.exit(selfcheck() if sys.argv[1:] == ["--selfcheck"] else main())
