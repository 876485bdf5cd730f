"""The manifest says what the code needs: checked by scripts/test (lint step).

- manifestoo: every dependency found on the addons path, licenses and
  development statuses compatible (transitively);
- every module the code refers to (Python ``odoo.addons.X`` imports and
  ``env.ref("X.…")``, XML ``ref``/``inherit_id``/``parent``/``groups``, access
  CSV, JavaScript ``@X/…`` imports) is a dependency, and every direct
  dependency is referred to;
- every third-party Python module the addon imports at run time is declared in
  ``external_dependencies``;
- CHANGELOG.md's newest entry is the manifest's version.

Usage: check_manifest.py ADDONS_PATH (the addon linked as kam_sales_process on it).
"""

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODULE = "kam_sales_process"
#: Tooling that is not part of the addon Odoo loads.
NOT_THE_ADDON = {"bench", "scripts", "tests_lifecycle", ".git", ".ci"}
PATTERNS = {
    ".py": [r"odoo\.addons\.(\w+)", r"\.ref\(\s*[\"'](\w+)\.\w+[\"']"],
    ".xml": [
        r"\b(?:ref|inherit_id|parent|action)=\"(\w+)\.\w+\"",
        r"%\((\w+)\.\w+\)d",
        r"ref\('(\w+)\.\w+'\)",
    ],
    ".csv": [r",(\w+)\.\w+(?=,|$)"],
    ".js": [r"from \"@(\w+)/", r"from '@(\w+)/"],
}
GROUPS = re.compile(r"\bgroups=\"([^\"]+)\"")
failures = []


def fail(message):
    failures.append(message)


def manifestoo(addons_path, *args):
    cmd = [
        Path(sys.executable).with_name("manifestoo"),
        f"--addons-path={addons_path}",
        "--no-addons-path-from-import-odoo",
        f"--select={MODULE}",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode:
        fail(f"manifestoo {' '.join(args)}: {(proc.stdout + proc.stderr).strip()}")
    return proc.stdout.strip()


def addon_files():
    for path in sorted(REPO.rglob("*")):
        parts = path.relative_to(REPO).parts
        if path.is_file() and parts[0] not in NOT_THE_ADDON and path.suffix in PATTERNS:
            yield path


def referred_modules():
    found = {}
    for path in addon_files():
        text = path.read_text(encoding="utf-8")
        names = set()
        for pattern in PATTERNS[path.suffix]:
            names.update(re.findall(pattern, text, flags=re.MULTILINE))
        if path.suffix == ".xml":
            for groups in GROUPS.findall(text):
                names.update(g.strip().lstrip("!").split(".")[0] for g in groups.split(",") if "." in g)
        for name in names:
            found.setdefault(name, path.relative_to(REPO))
    return found


def third_party_imports():
    found = {}
    for path in addon_files():
        parts = path.relative_to(REPO).parts
        if path.suffix != ".py" or "tests" in parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top not in sys.stdlib_module_names and top not in ("odoo", MODULE):
                    found.setdefault(top, path.relative_to(REPO))
    return found


def main(addons_path):
    manifest = ast.literal_eval((REPO / "__manifest__.py").read_text(encoding="utf-8"))
    depends = set(filter(None, manifestoo(addons_path, "list-depends", "--separator=,", "--transitive").split(",")))
    missing = manifestoo(addons_path, "list-missing", "--separator=,")
    if missing:
        fail(f"dependencies not found on the addons path: {missing}")
    manifestoo(addons_path, "check-licenses", "--transitive")
    manifestoo(addons_path, "check-dev-status", "--transitive", "--default-dev-status=Production/Stable")

    referred = referred_modules()
    for name, where in sorted(referred.items()):
        if name not in (MODULE, "odoo") and name not in depends:  # "@odoo/owl": the framework
            fail(f"{where} refers to module '{name}', which the manifest does not depend on")
    for name in manifest["depends"]:
        if name not in referred:
            fail(f"the manifest depends on '{name}', which the code never refers to")
    declared = set(manifest.get("external_dependencies", {}).get("python", []))
    # Odoo's own requirements come with Odoo (an import name maps to its distribution's name).
    odoo_requires = {
        re.split(r"[\s;<>=!\[]", req, maxsplit=1)[0].lower() for req in importlib.metadata.requires("odoo")
    }
    distributions = importlib.metadata.packages_distributions()
    for name, where in sorted(third_party_imports().items()):
        dists = {dist.lower() for dist in distributions.get(name, [name])}
        if not (dists & odoo_requires or name in declared or dists & declared):
            fail(f"{where} imports '{name}', missing from the manifest's external_dependencies")

    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## (\S+)", changelog, flags=re.MULTILINE)
    if not versions or versions[0] != manifest["version"]:
        fail(f"CHANGELOG.md's newest entry is {versions[:1]}, the manifest's version {manifest['version']}")
    if len(set(versions)) != len(versions):
        fail("CHANGELOG.md has a version twice")

    for message in failures:
        print(f"check_manifest: {message}")
    if not failures:
        print(f"check_manifest: {len(depends)} dependencies, {len(referred)} modules referred to, all consistent")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
