"""The addon as a pip wheel, the OCA way (whool): named and versioned from the manifest,
installed into an environment layered over Odoo, and installed by Odoo from there with
no addons-path entry for the repository."""

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULE = "kam_sales_process"


def run(*cmd, **kwargs):
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=1800, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{(proc.stdout + proc.stderr)[-5000:]}"
    return proc.stdout


def source_copy(dest):
    """The repository's files (those git tracks, and new ones it does not ignore) in a folder named as the addon."""
    listed = run("git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)
    return dest


def test_wheel_builds_installs_and_odoo_installs_the_module_from_it(tmp_path, odoo_cli):
    version = ast.literal_eval((REPO / "__manifest__.py").read_text())["version"]
    addon = source_copy(tmp_path / "src" / MODULE)

    # pip wheel: name and version from the manifest, the addon under odoo/addons.
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(addon))
    wheels = sorted(p.name for p in dist.iterdir())
    assert wheels == [f"odoo_addon_{MODULE}-{version}-py3-none-any.whl"], wheels
    with zipfile.ZipFile(dist / wheels[0]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(f"odoo_addon_{MODULE}-{version}.dist-info/METADATA").decode()
    assert f"odoo/addons/{MODULE}/__manifest__.py" in names
    assert f"odoo/addons/{MODULE}/i18n/zh_CN.po" in names
    assert "Requires-Dist: odoo==18.0.*" in metadata.splitlines()

    # A throwaway environment layered over Odoo's (the same .pth as the tooling's), the wheel
    # installed with its dependencies checked against what is there (no index: nothing downloaded).
    env_dir = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    run(base, "-m", "venv", str(env_dir))
    python = env_dir / "bin" / "python"
    sites = Path(run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    shutil.copy(Path(sysconfig.get_paths()["purelib"]) / "_kam_odoo.pth", sites / "_kam_odoo.pth")
    run(str(python), "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check", str(dist / wheels[0]))
    installed = sites / "odoo" / "addons" / MODULE / "__manifest__.py"
    assert installed.is_file()

    # Odoo finds the module in that environment: only Odoo's own folders on the addons path.
    odoo_addons = os.environ["KAM_ODOO_ADDONS"]
    assert str(REPO) not in odoo_addons and "kam-test" not in odoo_addons
    db = odoo_cli.new_db_name("wheel")
    common = ["-d", db, f"--addons-path={odoo_addons}", "--log-level=warn", "--no-http"]
    run(str(python), "-m", "odoo", *common, "-i", MODULE, "--without-demo=all", "--stop-after-init")
    assert odoo_cli.query(db, "SELECT state FROM ir_module_module WHERE name = %s", (MODULE,)) == [("installed",)]
    where = run(
        str(python),
        "-m",
        "odoo",
        "shell",
        *common,
        input=f"import odoo.modules\nprint('PATH', odoo.modules.get_module_path('{MODULE}'))\n",
    )
    [path] = [line.split(" ", 1)[1] for line in where.splitlines() if line.startswith("PATH ")]
    assert Path(path).resolve() == installed.parent.resolve()
