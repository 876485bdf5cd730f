"""Environment checks for scripts/run and scripts/test.

Run by the Python that has Odoo.  Prints one line and exits non-zero when
something is missing, so the shell scripts never show a traceback.
"""

import os
import sys


def fail(message):
    print(message)
    sys.exit(1)


def check_odoo():
    """Print the Odoo version and its addons folders; fail unless it is 18.0."""
    try:
        import odoo.release  # noqa: PLC0415 (the check is the import itself)
    except Exception as exc:  # any import failure means "not usable"
        fail(f"{sys.executable} cannot import odoo ({type(exc).__name__}: {exc}).")
    if odoo.release.version_info[:2] != (18, 0):
        fail(
            f"found Odoo {odoo.release.version} at {os.path.dirname(odoo.release.__file__)}"
            ", but this addon needs Odoo 18.0."
        )
    root = os.path.dirname(os.path.abspath(odoo.release.__file__))
    paths = [os.path.join(root, "addons")]
    main_addons = os.path.abspath(os.path.join(root, "..", "addons"))
    if os.path.isdir(os.path.join(main_addons, "crm")):
        paths.append(main_addons)
    if not any(os.path.isdir(os.path.join(p, "crm")) for p in paths):
        fail(f"Odoo at {root} has no 'crm' addon: install the full Odoo 18.0 Community.")
    print(",".join(paths))


def check_postgres():
    """Connect through libpq's defaults and PG* variables; check what Odoo needs."""
    try:
        import psycopg2  # noqa: PLC0415
    except ImportError:
        fail(f"{sys.executable} cannot import psycopg2: Odoo's requirements are not installed.")
    try:
        conn = psycopg2.connect(dbname=os.environ.get("PGDATABASE", "postgres"))
    except psycopg2.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        fail(f"PostgreSQL is not reachable through the PG* variables: {first}")
    with conn, conn.cursor() as cr:
        cr.execute("SELECT current_user, rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
        user, can_create = cr.fetchone()
    conn.close()
    if user == "postgres":
        fail("Odoo refuses the PostgreSQL role 'postgres': set PGUSER to another role.")
    if not can_create:
        fail(f"the PostgreSQL role '{user}' may not create databases (ALTER ROLE {user} CREATEDB).")
    print(user)


def db_state(dbname):
    """Print 'missing', 'bare' (no kam_sales_process) or 'installed' for ``dbname``."""
    import psycopg2  # noqa: PLC0415

    try:
        conn = psycopg2.connect(dbname=dbname)
    except psycopg2.OperationalError:
        print("missing")
        return
    with conn, conn.cursor() as cr:
        cr.execute("SELECT to_regclass('ir_module_module') IS NOT NULL")
        if not cr.fetchone()[0]:
            print("bare")
            return
        cr.execute("SELECT state FROM ir_module_module WHERE name = 'kam_sales_process'")
        row = cr.fetchone()
    conn.close()
    print("installed" if row and row[0] == "installed" else "bare")


def copy_db(source, target):
    """Create database ``target`` as a copy of ``source``, its Odoo filestore included."""
    import shutil  # noqa: PLC0415

    import psycopg2  # noqa: PLC0415
    from odoo.tools import config  # noqa: PLC0415

    conn = psycopg2.connect(dbname="postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
            cr.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    except psycopg2.Error as exc:
        fail(f"copying database {source} to {target} failed: {str(exc).strip()}")
    finally:
        conn.close()
    source_files, target_files = config.filestore(source), config.filestore(target)
    shutil.rmtree(target_files, ignore_errors=True)
    if os.path.isdir(source_files):
        shutil.copytree(source_files, target_files)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "odoo":
        check_odoo()
    elif command == "postgres":
        check_postgres()
    elif command == "db-state":
        db_state(sys.argv[2])
    elif command == "copy-db":
        copy_db(sys.argv[2], sys.argv[3])
    else:
        fail("usage: envcheck.py odoo | postgres | db-state DBNAME | copy-db SOURCE TARGET")
