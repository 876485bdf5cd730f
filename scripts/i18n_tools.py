"""Keep i18n/ in step with the addon: the .pot template and the zh_CN/zh_TW catalogues.

    python scripts/i18n_tools.py update EXPORTED.pot   # write i18n/*.pot, merge the .po files
    python scripts/i18n_tools.py check EXPORTED.pot    # fail if the .pot is stale or a term untranslated

EXPORTED.pot is what ``odoo --i18n-export --modules=kam_sales_process`` wrote.
scripts/i18n-update produces it on a throwaway database; scripts/test runs the check.
"""

import sys
from pathlib import Path

import polib

I18N = Path(__file__).resolve().parent.parent / "i18n"
POT = I18N / "kam_sales_process.pot"
LANGUAGES = ("zh_CN", "zh_TW")
# Dates are left empty so that re-exporting an unchanged addon changes nothing.
UNDATED = ("POT-Creation-Date", "PO-Revision-Date")


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def _content(catalogue):
    """What matters in a template: each term with where it comes from."""
    return {
        _key(e): (tuple(sorted(e.occurrences)), tuple(sorted(e.comment.splitlines())))
        for e in catalogue
        if not e.obsolete
    }


def _undate(catalogue):
    for field in UNDATED:
        if field in catalogue.metadata:
            catalogue.metadata[field] = ""


def update(exported_path):
    exported = polib.pofile(str(exported_path), wrapwidth=78)
    _undate(exported)
    exported.save(str(POT))
    for lang in LANGUAGES:
        path = I18N / f"{lang}.po"
        old = {_key(e): e for e in polib.pofile(str(path))} if path.exists() else {}
        catalogue = polib.pofile(str(POT), wrapwidth=78)
        catalogue.metadata["Language"] = lang
        catalogue.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
        for entry in catalogue:
            previous = old.get(_key(entry))
            if previous is not None and not previous.obsolete:
                entry.msgstr = previous.msgstr
                entry.flags = [f for f in previous.flags if f != "fuzzy"] if previous.msgstr else []
        catalogue.save(str(path))
        untranslated = [e.msgid for e in catalogue if not e.msgstr]
        print(f"{path.name}: {len(catalogue)} terms, {len(untranslated)} untranslated")


def problems(exported_path):
    """Every reason the committed i18n/ does not match the addon."""
    found = []
    exported = _content(polib.pofile(str(exported_path)))
    committed = _content(polib.pofile(str(POT))) if POT.exists() else {}
    for key in sorted(set(exported) - set(committed), key=str):
        found.append(f"{POT.name}: missing term {key[1]!r}")
    for key in sorted(set(committed) - set(exported), key=str):
        found.append(f"{POT.name}: stale term {key[1]!r}")
    for key in sorted(set(committed) & set(exported), key=str):
        if committed[key] != exported[key]:
            found.append(f"{POT.name}: term {key[1]!r} moved (references or comments differ)")
    for lang in LANGUAGES:
        path = I18N / f"{lang}.po"
        if not path.exists():
            found.append(f"{path.name}: missing")
            continue
        catalogue = polib.pofile(str(path))
        translated = {_key(e) for e in catalogue if e.msgstr and not e.obsolete and "fuzzy" not in e.flags}
        for key in sorted(set(exported) - translated, key=str):
            found.append(f"{path.name}: untranslated {key[1]!r}")
    return found


def main(argv):
    if len(argv) != 3 or argv[1] not in ("update", "check"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if argv[1] == "update":
        update(argv[2])
        return 0
    found = problems(argv[2])
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
