"""i18n/ matches the addon: the .pot is current and zh_CN / zh_TW translate every term."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import i18n_tools


def test_pot_is_current_and_catalogues_are_complete(odoo_cli, tmp_path):
    exported = tmp_path / "export.pot"
    odoo_cli.run(odoo_cli.template, f"--i18n-export={exported}", "--modules=kam_sales_process")
    assert exported.exists()
    found = i18n_tools.problems(exported)
    assert not found, "run scripts/i18n-update, then translate:\n" + "\n".join(found)
