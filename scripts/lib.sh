# Shared by scripts/run and scripts/test: find (or build) Odoo, set up the
# project's tooling, find (or start) PostgreSQL, link the addon.  Source it; it sets:
#   KAM_REPO        the repository (= the addon's folder)
#   KAM_CACHE       the cache folder (KAM_CACHE_DIR, default ~/.cache/kam_sales_process)
#   KAM_PY          the tooling Python (sees Odoo and the project's requirements)
#   KAM_ODOO_ADDONS Odoo's own addons folders, comma-separated
# Every failure is one line on stderr, prefixed "kam:", and exit status 1.

KAM_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAM_CACHE="${KAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kam_sales_process}"

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

# Debian packages that Odoo 18's requirements need to build on a bare machine
# (python-ldap, psycopg2, lxml, Pillow), and git for the clone.
KAM_ODOO_DEBS="git build-essential python3-dev python3-venv libldap2-dev libsasl2-dev libpq-dev libxml2-dev libxslt1-dev libjpeg-dev zlib1g-dev"
# Odoo 18.0's pins that no longer build, and the nearest patch release that does.
KAM_ODOO_PIN_FIXES='s/^cbor2==5\.4\.2\b/cbor2==5.4.6/'

# kam_apt_install PACKAGE...: install the Debian packages not yet installed
# (when running as root with apt-get), or stop naming them.
kam_apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ "${#missing[@]}" = 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        kam_say "installing Debian packages: ${missing[*]}"
        mkdir -p "$KAM_CACHE"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
            >"$KAM_CACHE/apt.log" 2>&1 || kam_die "installing ${missing[*]} failed; see $KAM_CACHE/apt.log"
        return 0
    fi
    kam_die "missing Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
}

# kam_build_odoo: an Odoo 18.0 built in the cache folder, from ODOO_SRC (a
# source tree) or a shallow clone of ODOO_GIT_URL (default: Odoo's official
# repository) at ODOO_GIT_BRANCH (default: 18.0); its own requirements, with the
# broken pins replaced, in a virtual environment.  Sets ODOO_PY.
kam_build_odoo() {
    local venv="$KAM_CACHE/odoo-venv" src="${ODOO_SRC:-$KAM_CACHE/odoo-src}" url log
    log="$KAM_CACHE/odoo-build.log"
    mkdir -p "$KAM_CACHE" || kam_die "cannot create $KAM_CACHE"
    : >"$log"
    kam_apt_install $KAM_ODOO_DEBS
    if [ -n "${ODOO_SRC:-}" ]; then
        [ -f "$src/odoo/release.py" ] || kam_die "ODOO_SRC=$src is not an Odoo source tree (no odoo/release.py)."
    elif [ ! -f "$src/odoo/release.py" ]; then
        url="${ODOO_GIT_URL:-https://github.com/odoo/odoo.git}"
        kam_say "cloning Odoo ${ODOO_GIT_BRANCH:-18.0} from $url into $src (once)"
        rm -rf "$src"
        git clone --quiet --depth 1 --branch "${ODOO_GIT_BRANCH:-18.0}" "$url" "$src" >>"$log" 2>&1 ||
            kam_die "cloning $url failed; see $log"
    fi
    kam_say "building Odoo's Python environment from $src in $venv (several minutes, once)"
    rm -rf "$venv"
    python3 -m venv "$venv" >>"$log" 2>&1 || kam_die "could not create $venv (is python3-venv installed?)"
    sed -E "$KAM_ODOO_PIN_FIXES" "$src/requirements.txt" >"$venv/odoo-requirements.txt"
    # setuptools<81: Odoo 18's gevent loads its plugins with pkg_resources (multi-worker mode);
    # >=75: older ones (a venv's bundled 66) cannot resolve normalised names (zope.interface).
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$venv/odoo-requirements.txt" 'setuptools>=75,<81' >>"$log" 2>&1 ||
        kam_die "installing Odoo's requirements failed; see $log"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$src" >>"$log" 2>&1 ||
        kam_die "installing Odoo from $src failed; see $log"
    touch "$venv/.kam-ready"
    ODOO_PY="$venv/bin/python"
}

# Sets ODOO_PY: the Python that can import Odoo 18.
#   1. $ODOO_PYTHON, when set;
#   2. the interpreter of the `odoo` (or `odoo-bin`) command on PATH;
#   3. `python3` on PATH, if it imports odoo;
#   4. the Odoo built in the cache folder earlier, or built now (kam_build_odoo).
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
        if [ -z "${candidate:-}" ] && [ -f "$KAM_CACHE/odoo-venv/.kam-ready" ]; then
            candidate="$KAM_CACHE/odoo-venv/bin/python"
        fi
        if [ -z "${candidate:-}" ]; then
            kam_say "Odoo 18.0 not found (no 'odoo' on PATH, python3 cannot import odoo): building one"
            kam_build_odoo
            candidate="$ODOO_PY"
        fi
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
    local cache="$KAM_CACHE" key venv base sites
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

# Checks PostgreSQL through libpq's defaults and the PG* variables; when no
# server answers, starts a private cluster (kam_start_postgres) and uses it.
kam_check_postgres() {
    local out
    if out="$("$KAM_PY" "$KAM_REPO/scripts/envcheck.py" postgres 2>/dev/null)"; then
        return 0
    fi
    case "$out" in
    "PostgreSQL is not reachable"*) kam_start_postgres ;;
    *) kam_die "${out:-could not check PostgreSQL}" ;;
    esac
    out="$("$KAM_PY" "$KAM_REPO/scripts/envcheck.py" postgres 2>/dev/null)" ||
        kam_die "${out:-could not check the private PostgreSQL cluster}"
}

# The server programs of the newest PostgreSQL Debian installed (they are not on PATH).
_kam_pg_bindir() {
    find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1
}

# _kam_pg COMMAND ARGS...: a PostgreSQL server program, as the cluster's owner
# (PostgreSQL refuses to run as root: then the 'postgres' system user owns it).
_kam_pg() {
    local bin="$KAM_PG_BIN/$1"
    shift
    if [ "$(id -u)" = 0 ]; then
        # runuser lives in sbin, which a plain user's PATH (and CI's) may not hold.
        "$(PATH="$PATH:/usr/sbin:/sbin" command -v runuser)" -u postgres -- "$bin" "$@"
    else
        "$bin" "$@"
    fi
}

# kam_start_postgres: a private cluster on a Unix socket, with trust
# authentication and the current user as its superuser; Debian's postgresql
# package installed first when running as root and missing.  Sets and exports
# PGHOST and PGPORT; kam_stop_postgres stops it.  The cluster lives in the cache
# folder ($KAM_CACHE/pg); as root, whose home the 'postgres' user cannot enter,
# in /var/tmp/kam_sales_process-pg-<hash of the cache folder> (linked from it).
kam_start_postgres() {
    local dir
    KAM_PG_BIN="$(_kam_pg_bindir)"
    if [ -z "$KAM_PG_BIN" ]; then
        kam_apt_install postgresql
        KAM_PG_BIN="$(_kam_pg_bindir)"
        [ -n "$KAM_PG_BIN" ] || kam_die "PostgreSQL's server programs not found under /usr/lib/postgresql"
    fi
    mkdir -p "$KAM_CACHE"
    dir="$KAM_CACHE/pg"
    if [ "$(id -u)" = 0 ]; then
        local outside
        outside="/var/tmp/kam_sales_process-pg-$(echo "$KAM_CACHE" | sha1sum | cut -c1-8)"
        install -d -o postgres -g postgres -m 0755 "$outside"
        ln -sfn "$outside" "$dir"
        dir="$outside"
    else
        mkdir -p "$dir"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        _kam_pg initdb -D "$dir/data" -U "$(id -un)" --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$KAM_CACHE/pg-initdb.log" 2>&1 || kam_die "initdb failed; see $KAM_CACHE/pg-initdb.log"
    fi
    if ! _kam_pg pg_ctl -D "$dir/data" status >/dev/null 2>&1; then
        _kam_pg pg_ctl -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-k $dir -c listen_addresses='' -p ${KAM_PG_PORT:-5432}" start >/dev/null 2>&1 ||
            kam_die "the private PostgreSQL cluster did not start; see $dir/server.log"
        KAM_PG_STARTED="$dir"
    fi
    export PGHOST="$dir" PGPORT="${KAM_PG_PORT:-5432}"
    unset PGHOSTADDR
    kam_say "no PostgreSQL answered: using a private cluster in $dir (Unix socket${KAM_PG_STARTED:+; stopped when this command ends})"
}

# kam_stop_postgres: stop the private cluster if this command started it.
kam_stop_postgres() {
    if [ -n "${KAM_PG_STARTED:-}" ]; then
        _kam_pg pg_ctl -D "$KAM_PG_STARTED/data" -m fast -w stop >/dev/null 2>&1 || true
        KAM_PG_STARTED=""
    fi
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

# kam_odoo_dropdb NAME: drop the database NAME and the ones named NAME_*, with their filestores.
kam_odoo_dropdb() {
    "$KAM_PY" - "$1" <<'PY' || true
import shutil, sys, psycopg2
from odoo.tools import config
conn = psycopg2.connect(dbname="postgres")
conn.autocommit = True
with conn.cursor() as cr:
    cr.execute("SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
               (sys.argv[1], sys.argv[1] + "\\_%"))
    for (name,) in cr.fetchall():
        cr.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
        shutil.rmtree(config.filestore(name), ignore_errors=True)
PY
}

# The browser tours need Chromium. Odoo would skip them without it (the tests
# make that a failure); install Debian's package when we can, else stop.
kam_require_wkhtmltopdf() {
    # Odoo prints PDF reports (the account plan) with wkhtmltopdf; Chinese needs the CJK fonts.
    command -v wkhtmltopdf >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk" && return 0
    kam_say "wkhtmltopdf or the CJK fonts not found for the PDF reports"
    kam_apt_install wkhtmltopdf fonts-noto-cjk
}

kam_require_chromium() {
    local bin
    for bin in chromium google-chrome chromium-browser google-chrome-stable; do
        command -v "$bin" >/dev/null 2>&1 && return 0
    done
    kam_say "Chromium not found for the browser tours"
    kam_apt_install chromium
}
