"""Fixtures for the install / upgrade / uninstall checks.

These tests drive the real Odoo command line on throwaway databases.  They are
run by scripts/test, which exports where Odoo and the test database are; run
outside it they fail (never skip) and say so.
"""

import os
import subprocess
import sys
import uuid
from contextlib import closing

import psycopg2
import pytest

MODULE = "kam_sales_process"

#: The example addon's own tests are Odoo tests, run by test_extension.py on a database, not collected here.
collect_ignore = ["example_addons"]


def _env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these checks through scripts/test", pytrace=False)
    return value


class OdooCli:
    """The Odoo command line on databases named after the test database."""

    def __init__(self):
        self.addons_path = _env("KAM_ADDONS_PATH")
        self.template = _env("KAM_TEST_DB")
        self.created = []

    def new_db_name(self, label):
        name = f"{self.template}_{label}_{uuid.uuid4().hex[:6]}"
        self.created.append(name)
        return name

    def run(self, db, *args, subcommand=None, stdin=None, addons_path=None):
        """Run ``odoo [subcommand] -d db ... args``; fail on a non-zero exit or a logged problem."""
        cmd = [sys.executable, "-m", "odoo", *([subcommand] if subcommand else [])]
        cmd += ["-d", db, f"--addons-path={addons_path or self.addons_path}", "--log-level=warn", *args]
        proc = subprocess.run(cmd, check=False, input=stdin, capture_output=True, text=True, timeout=1800)
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{log[-5000:]}"
        problems = [
            line for line in log.splitlines() if any(f" {level} " in line for level in ("WARNING", "ERROR", "CRITICAL"))
        ]
        assert not problems, "Odoo logged:\n" + "\n".join(problems)
        return log

    def shell(self, db, code, addons_path=None):
        return self.run(db, "--no-http", subcommand="shell", stdin=code, addons_path=addons_path)

    def copy_template(self, label):
        name = self.new_db_name(label)
        with closing(psycopg2.connect(dbname="postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                cr.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def query(self, db, sql, params=None):
        with closing(psycopg2.connect(dbname=db)) as conn, conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()

    def drop_created(self):
        with closing(psycopg2.connect(dbname="postgres")) as conn:
            conn.autocommit = True
            with conn.cursor() as cr:
                for name in self.created:
                    cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def odoo_cli():
    cli = OdooCli()
    yield cli
    cli.drop_created()
