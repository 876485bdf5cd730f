# Shared by scripts/run and scripts/test: find Odoo, set up the project's
# tooling, check PostgreSQL, link the addon.  Source it; it sets:
#   KAM_REPO        the repository (= the addon's folder)
#   KAM_PY          the tooling Python (sees Odoo and the project's requirements)
#   KAM_ODOO_ADDONS Odoo's own addons folders, comma-separated
# Every failure is one line on stderr, prefixed "kam:", and exit status 1.

KAM_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

kam_die() {
    echo "kam: $*" >&2
    exit 1
}

kam_say() {
    echo "kam: $*" >&2
}

# The Python interpreter named by a script's "#!" line, if it is one.
_kam_shebang_python() {
    local line interp
    IFS= read -r line <"$1" || return 1
    case "$line" in
    '#!'*) ;;
    *) return 1 ;;
    esac
    line="${line#\#!}"
    # shellcheck disable=SC2086
    set -- $line
    interp="$1"
    if [ "$(basename "$interp")" = env ]; then
        interp="$(command -v "$2")" || return 1
    fi
    case "$(basename "$interp")" in
    python*) echo "$interp" ;;
    *) return 1 ;;
    esac
}

# Sets ODOO_PY: the Python that can import Odoo 18.
#   1. $ODOO_PYTHON, when set (the one documented override);
#   2. the interpreter of the `odoo` (or `odoo-bin`) command on PATH;
#   3. `python3` on PATH, if it imports odoo.
kam_find_odoo() {
    local candidate bin
    if [ -n "${ODOO_PYTHON:-}" ]; then
        [ -x "$ODOO_PYTHON" ] || kam_die "ODOO_PYTHON=$ODOO_PYTHON is not an executable Python interpreter."
        candidate="$ODOO_PYTHON"
    else
        for bin in odoo odoo-bin; do
            if command -v "$bin" >/dev/null 2>&1; then
                candidate="$(_kam_shebang_python "$(command -v "$bin")")" && break
                candidate=""
            fi
        done
        if [ -z "${candidate:-}" ] && command -v python3 >/dev/null 2>&1 &&
            python3 -c 'import odoo' >/dev/null 2>&1; then
            candidate="$(command -v python3)"
        fi
        [ -n "${candidate:-}" ] || kam_die "Odoo 18.0 not found: no 'odoo' command on PATH and python3 cannot import odoo; install Odoo 18.0 Community or set ODOO_PYTHON to the Python that has it."
    fi
    KAM_ODOO_ADDONS="$("$candidate" "$KAM_REPO/scripts/envcheck.py" odoo 2>/dev/null)" ||
        kam_die "${KAM_ODOO_ADDONS:-$candidate could not check the Odoo installation}"
    ODOO_PY="$candidate"
    export KAM_ODOO_ADDONS
}

# Sets KAM_PY: a virtual environment with requirements.txt, layered over the
# Odoo Python's own packages (a .pth file adds its site folders), so Odoo's
# environment is never modified.  Rebuilt only when requirements.txt or the
# Odoo Python change.
kam_tools_env() {
    local cache key venv base sites
    cache="${KAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kam_sales_process}"
    key="$( (readlink -f "$ODOO_PY"; cat "$KAM_REPO/requirements.txt") | sha1sum | cut -c1-12)"
    venv="$cache/venv-$key"
    if [ ! -f "$venv/.kam-ready" ]; then
        kam_say "installing the project's tooling (requirements.txt) into $venv"
        mkdir -p "$cache" || kam_die "cannot create $cache"
        rm -rf "$venv"
        base="$("$ODOO_PY" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
        "$base" -m venv "$venv" >/dev/null 2>&1 || kam_die "could not create a virtual environment with $base (is the venv module installed?)"
        sites="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
        "$ODOO_PY" - "$sites/_kam_odoo.pth" <<'PY' || kam_die "could not read the site folders of $ODOO_PY"
import os, site, sys
import odoo
folders = [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]
odoo_parent = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
with open(sys.argv[1], "w") as pth:
    # addsitedir also runs the .pth files of those folders (editable installs).
    pth.write("import site; list(map(site.addsitedir, %r))\n" % folders)
    pth.write(odoo_parent + "\n")
PY
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            -r "$KAM_REPO/requirements.txt" >"$cache/pip.log" 2>&1 ||
            kam_die "installing requirements.txt failed; see $cache/pip.log"
        touch "$venv/.kam-ready"
    fi
    KAM_PY="$venv/bin/python"
    "$KAM_PY" -c 'import odoo, psycopg2, pytest_odoo, websocket' >/dev/null 2>&1 ||
        kam_die "the tooling environment $venv cannot import odoo and its tools; delete it and retry."
    export KAM_PY
}

kam_check_postgres() {
    local out
    out="$("$KAM_PY" "$KAM_REPO/scripts/envcheck.py" postgres 2>/dev/null)" ||
        kam_die "${out:-could not check PostgreSQL}"
}

# kam_link_addons DIR: DIR/kam_sales_process -> the repository; prints the
# full addons path (DIR first, then Odoo's own folders).
kam_link_addons() {
    mkdir -p "$1" || kam_die "cannot create $1"
    ln -sfn "$KAM_REPO" "$1/kam_sales_process"
    echo "$1,$KAM_ODOO_ADDONS"
}

# kam_odoo ARGS...: the Odoo command line, with the tooling Python.
kam_odoo() {
    "$KAM_PY" -m odoo "$@"
}

# kam_odoo_dropdb NAME: drop the database NAME and the ones named NAME_*.
kam_odoo_dropdb() {
    "$KAM_PY" - "$1" <<'PY' || true
import sys, psycopg2
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
with conn.cursor() as cr:
    cr.execute("SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
               (sys.argv[1], sys.argv[1] + "\\_%"))
    for (name,) in cr.fetchall():
        cr.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
PY
}

# The browser tours need Chromium. Odoo would skip them without it (the tests
# make that a failure); install Debian's package when we can, else stop.
kam_require_chromium() {
    local bin
    for bin in chromium google-chrome chromium-browser google-chrome-stable; do
        command -v "$bin" >/dev/null 2>&1 && return 0
    done
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        kam_say "installing Debian's chromium for the browser tours"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
            >/tmp/kam-apt-chromium.log 2>&1 ||
            kam_die "installing chromium failed; see /tmp/kam-apt-chromium.log"
        return 0
    fi
    kam_die "Chromium not found for the browser tours: install Debian's chromium package (apt-get install chromium)."
}
