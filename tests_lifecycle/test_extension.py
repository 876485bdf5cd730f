"""A third-party addon extends kam_sales_process through its extension points, with nothing edited here.

``example_addons/kam_example_extension`` (test only) adds a milestone kind
("budget above") and a red flag ("sponsor never met"); it is installed on a
copy of the test database and its own tests run there.
"""

import re
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent / "example_addons"


def test_an_addon_adds_a_milestone_kind_and_a_red_flag(odoo_cli):
    db = odoo_cli.copy_template("extension")
    log = odoo_cli.run(
        db,
        "-i",
        "kam_example_extension",
        "--test-enable",
        "--test-tags",
        "/kam_example_extension",
        "--stop-after-init",
        "--no-http",
        "--log-level=info",
        addons_path=f"{EXAMPLES},{odoo_cli.addons_path}",
    )
    result = re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests", log)
    assert result == [("0", "0", "2")], log[-3000:]
    assert odoo_cli.query(db, "SELECT count(*) FROM kam_red_flag WHERE code = 'sponsor_not_met'") == [(1,)]
