"""Take the README screenshots from a running demo server with headless Chromium.

Usage (scripts/screenshots does all of it): screenshots.py BASE_URL DB OUT_DIR
Logs in as admin, opens each screen, waits for it, saves a PNG.  Talks to
Chromium over the DevTools protocol with websocket-client (requirements.txt).
"""

import base64
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

BASE, DB, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
PORT = 9339


def login():
    body = json.dumps({"jsonrpc": "2.0", "params": {"db": DB, "login": "admin", "password": "admin"}}).encode()
    request = urllib.request.Request(BASE + "/web/session/authenticate", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        reply = json.loads(response.read())
        if "error" in reply:
            sys.exit(f"screenshots: cannot log in as admin: {reply['error']['data']['message']}")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == "session_id":
                return rest.split(";", 1)[0]
    sys.exit("screenshots: the server sent no session cookie")


def rpc(model, method, args, kwargs=None, session=None):
    body = json.dumps(
        {"jsonrpc": "2.0", "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}}
    ).encode()
    request = urllib.request.Request(
        BASE + "/web/dataset/call_kw", body, {"Content-Type": "application/json", "Cookie": f"session_id={session}"}
    )
    return json.loads(urllib.request.urlopen(request).read())["result"]


class Browser:
    def __init__(self, session):
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            sys.exit("screenshots: Debian's chromium is needed (apt-get install chromium)")
        self.profile = tempfile.mkdtemp()
        self.proc = subprocess.Popen(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--remote-debugging-port={PORT}",
                "--window-size=1440,900",
                f"--user-data-dir={self.profile}",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                tabs = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{PORT}/json").read())
                break
            except OSError:
                time.sleep(0.2)
        tab = next(tab for tab in tabs if tab["type"] == "page")
        self.ws = websocket.create_connection(tab["webSocketDebuggerUrl"], suppress_origin=True)
        self.seq = 0
        self.call("Network.enable")
        self.call("Network.setCookie", name="session_id", value=session, domain="127.0.0.1", path="/")

    def call(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({"id": self.seq, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.seq:
                return message

    def js(self, expression):
        return self.call("Runtime.evaluate", expression=expression, awaitPromise=True)

    def wait_for(self, selector, timeout=20, fatal=True):
        end = time.time() + timeout
        while time.time() < end:
            result = self.js(f"!!document.querySelector({json.dumps(selector)})")
            if result.get("result", {}).get("result", {}).get("value"):
                time.sleep(1.0)
                return
            time.sleep(0.3)
        if fatal:
            raise SystemExit(f"screenshots: {selector} did not appear")

    def shot(self, name):
        data = self.call("Page.captureScreenshot", format="png")["result"]["data"]
        with open(f"{OUT}/{name}.png", "wb") as file:
            file.write(base64.b64decode(data))
        print(f"screenshots: {OUT}/{name}.png")

    def close(self):
        self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    session = login()
    deal = rpc("ir.model.data", "check_object_reference", ["kam_sales_process", "demo_deal_6"], session=session)[1]
    browser = Browser(session)
    try:
        browser.call("Page.navigate", url=f"{BASE}/odoo/action-crm.crm_lead_action_pipeline")
        browser.wait_for(".o_searchview_input")
        # show the key-account team's pipeline: search its sales team, drop "My Pipeline"
        browser.js("document.querySelector('.o_searchview_input').focus()")
        browser.call("Input.insertText", text="Heavy Industry")
        browser.wait_for(".o_searchview_autocomplete li")
        browser.js(
            """[...document.querySelectorAll('.o_searchview_autocomplete li')]
                .find((li) => li.textContent.includes('Sales Team')).querySelector('.o_expand, a, span').click()"""
        )
        time.sleep(1)
        browser.js(
            """[...document.querySelectorAll('.o_searchview_autocomplete li')]
                .find((li) => li.textContent.trim() === 'Heavy Industry Key Accounts').click()"""
        )
        time.sleep(1.5)
        browser.js("document.querySelector('.o_searchview_facet .o_facet_remove').click()")
        browser.wait_for(".o_kam_gate_badge")
        browser.shot("pipeline")
        browser.call("Page.navigate", url=f"{BASE}/odoo/crm/{deal}")
        browser.wait_for(".o_statusbar_status")
        # the deal is in "Prepare the bid": its milestone is not met, the next stage is refused
        browser.js(
            """[...document.querySelectorAll('.o_statusbar_status button')]
                .find((b) => b.textContent.trim() === 'Negotiate and sign').click()"""
        )
        browser.wait_for(".modal-dialog", fatal=False)
        browser.shot("gate_refusal")
        browser.call("Page.navigate", url=f"{BASE}/odoo/crm/{deal}")
        browser.wait_for(".o_notebook")
        browser.js(
            """[...document.querySelectorAll('.o_notebook .nav-link')]
                .find((e) => e.getAttribute('name') === 'kam_gate').click()"""
        )
        browser.wait_for(".o_notebook .tab-pane.active .o_kam_gate_rows")
        browser.js("document.querySelector('.o_notebook').scrollIntoView()")
        time.sleep(1)
        browser.shot("gate_tab")
        browser.js(
            """[...document.querySelectorAll('.o_notebook .nav-link')]
                .find((e) => e.getAttribute('name') === 'kam_buying_centre').click()"""
        )
        browser.wait_for(".o_notebook .tab-pane.active .o_list_renderer")
        browser.js("document.querySelector('.o_notebook').scrollIntoView()")
        time.sleep(1)
        browser.shot("buying_centre")
        browser.call("Page.navigate", url=f"{BASE}/odoo/action-kam_sales_process.kam_account_action")
        browser.wait_for(".o_list_renderer .o_data_row")
        browser.shot("key_accounts")
    finally:
        browser.close()
    # the steel works' printed account plan: its first page
    plan = rpc("ir.model.data", "check_object_reference", ["kam_sales_process", "demo_plan_steel"], session=session)[1]
    rpc("ir.config_parameter", "set_param", ["report.url", BASE], session=session)  # wkhtmltopdf loads the styles here
    url = f"{BASE}/report/pdf/kam_sales_process.report_kam_account_plan/{plan}"
    request = urllib.request.Request(url, headers={"Cookie": f"session_id={session}"})
    with urllib.request.urlopen(request, timeout=300) as response, tempfile.TemporaryDirectory() as folder:
        pdf = f"{folder}/plan.pdf"
        with open(pdf, "wb") as file:
            file.write(response.read())
        first_page = ["-f", "1", "-l", "1", "-singlefile"]
        subprocess.run(["pdftoppm", "-png", "-r", "80", *first_page, pdf, f"{OUT}/account_plan"], check=True)
    print(f"screenshots: {OUT}/account_plan.png")


main()
