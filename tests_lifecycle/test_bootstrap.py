"""What the run and test commands build or start when it is missing (scripts/lib.sh).

The cold path (Odoo cloned and built, PostgreSQL started, on a machine without
either) is too slow for every run: its log is attached to the install issue.
Here, in a throwaway cache folder: a private PostgreSQL cluster is started,
answers and stops beside the machine's server; Odoo is built from a source tree
(ODOO_SRC) into a working environment with the broken pin replaced.
"""

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def lib(script, cache, **env):
    """Run bash code with scripts/lib.sh sourced, the cache folder ``cache``; return its output."""
    proc = subprocess.run(
        ["bash", "-c", f'set -euo pipefail; . "{REPO}/scripts/lib.sh"; {script}'],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        env={**os.environ, "KAM_CACHE_DIR": str(cache), **env},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_private_postgres_starts_answers_and_stops(tmp_path):
    cache = tmp_path / "cache"
    out = lib(
        """
        kam_start_postgres
        psql -d postgres -Atc "SELECT 'answered as ' || current_user || ' on ' || current_setting('port')"
        [ "$PGHOST" = "$(readlink -f "$KAM_CACHE/pg")" ] && echo "socket in the cache folder"
        kam_stop_postgres
        pg_isready -q && echo "still running" || echo "stopped"
        rm -rf "$(readlink -f "$KAM_CACHE/pg")"
        """,
        cache,
        KAM_PG_PORT="55433",
    )
    user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
    assert f"answered as {user} on 55433" in out
    assert "using a private cluster" in out
    assert "socket in the cache folder" in out
    assert "\nstopped\n" in out and "still running" not in out, out


def test_odoo_built_from_a_source_tree(tmp_path):
    import odoo.release  # noqa: PLC0415 (the Odoo of this run: its source tree is ODOO_SRC)

    source = Path(odoo.release.__file__).resolve().parent.parent
    cache = tmp_path / "cache"
    out = lib('kam_build_odoo; echo "PY=$ODOO_PY"', cache, ODOO_SRC=str(source))
    python = out.split("PY=", 1)[1].split()[0]
    assert python == str(cache / "odoo-venv" / "bin" / "python")
    version = subprocess.run(
        [
            python,
            "-W",
            "ignore",
            "-c",
            # gevent's plugins resolved as the multi-worker server does (setuptools >=75,<81)
            "import odoo.release, cbor2, pkg_resources; pkg_resources.require('gevent'); print(odoo.release.version)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "18.0"
    pins = (cache / "odoo-venv" / "odoo-requirements.txt").read_text()
    assert "cbor2==5.4.6" in pins and "cbor2==5.4.2" not in pins
