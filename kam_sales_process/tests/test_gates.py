"""Gate rules, without Odoo."""

import subprocess
import sys
from pathlib import Path

from kam_sales_process.gates import first_stage, refusal_lines, stages_to_clear

PIPELINE = [("new", 1), ("qualified", 2), ("proposition", 3), ("negotiation", 4), ("won", 70)]


def test_next_stage_clears_only_the_stage_left():
    assert stages_to_clear(PIPELINE, "new", "qualified") == ("new",)


def test_skipping_stages_clears_every_stage_in_between_in_order():
    assert stages_to_clear(PIPELINE, "new", "won") == ("new", "qualified", "proposition", "negotiation")
    assert stages_to_clear(PIPELINE, "qualified", "negotiation") == ("qualified", "proposition")


def test_moving_back_or_staying_clears_nothing():
    assert stages_to_clear(PIPELINE, "negotiation", "qualified") == ()
    assert stages_to_clear(PIPELINE, "proposition", "proposition") == ()


def test_creation_counts_as_a_move_from_the_first_stage():
    assert stages_to_clear(PIPELINE, None, "proposition") == ("new", "qualified")
    assert stages_to_clear(PIPELINE, None, "new") == ()


def test_a_stage_outside_the_pipeline_starts_from_the_first_stage():
    assert stages_to_clear(PIPELINE, "other_team_stage", "qualified") == ("new",)


def test_a_target_outside_the_pipeline_is_not_gated():
    assert stages_to_clear(PIPELINE, "new", "other_team_stage") == ()


def test_same_sequence_is_sideways_and_not_between():
    pipeline = [(10, 1), (11, 1), (12, 2), (13, 3)]
    assert stages_to_clear(pipeline, 10, 11) == ()
    assert first_stage(pipeline) == 10
    # 11 shares the sequence of the stage left: it is not "between".
    assert stages_to_clear(pipeline, 10, 13) == (10, 12)
    # Leaving 11 for 13 clears 11 itself, not its sibling 10.
    assert stages_to_clear(pipeline, 11, 13) == (11, 12)


def test_empty_pipeline():
    assert first_stage([]) is None
    assert stages_to_clear([], None, "new") == ()


def test_refusal_names_ten_deals_then_counts_the_rest():
    blocked = [(f"Deal {i}", ["Budget known", "Coach found"]) for i in range(12)]
    lines, more = refusal_lines(blocked)
    assert len(lines) == 10
    assert lines[0] == "- Deal 0: Budget known, Coach found"
    assert more == 2
    assert refusal_lines(blocked[:3]) == (
        [
            "- Deal 0: Budget known, Coach found",
            "- Deal 1: Budget known, Coach found",
            "- Deal 2: Budget known, Coach found",
        ],
        0,
    )


def test_package_does_not_import_odoo():
    code = "import sys, kam_sales_process; assert 'odoo' not in sys.modules; print('ok')"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "ok"
