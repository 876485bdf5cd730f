"""Gate rules, without Odoo."""

import subprocess
import sys
from pathlib import Path

from kam_sales_process.gates import (
    Position,
    Transition,
    enters,
    first_stage,
    refusal_lines,
    shorten,
    stages_reopened,
    stages_to_clear,
    transition,
)

PIPELINE = [("new", 1), ("qualified", 2), ("proposition", 3), ("negotiation", 4), ("won", 70)]


def test_next_stage_clears_only_the_stage_left():
    assert stages_to_clear(PIPELINE, "new", "qualified") == ("new",)


def test_skipping_stages_clears_every_stage_in_between_in_order():
    assert stages_to_clear(PIPELINE, "new", "won") == ("new", "qualified", "proposition", "negotiation")
    assert stages_to_clear(PIPELINE, "qualified", "negotiation") == ("qualified", "proposition")


def test_moving_back_or_staying_clears_nothing():
    assert stages_to_clear(PIPELINE, "negotiation", "qualified") == ()
    assert stages_to_clear(PIPELINE, "proposition", "proposition") == ()


def test_entering_counts_as_a_move_from_the_first_stage():
    assert stages_to_clear(PIPELINE, None, "proposition") == ("new", "qualified")
    assert stages_to_clear(PIPELINE, None, "new") == ()


def test_a_target_outside_the_pipeline_lies_beyond_its_last_stage():
    assert stages_to_clear(PIPELINE, "proposition", "other_team_won") == ("proposition", "negotiation", "won")
    assert stages_to_clear(PIPELINE, None, "other_team_won") == tuple(stage for stage, _seq in PIPELINE)


def test_from_beyond_the_last_stage_every_move_is_back():
    assert stages_to_clear(PIPELINE, "other_team_won", "qualified") == ()
    assert stages_to_clear(PIPELINE, "other_team_won", "other_team_lost") == ()


def test_same_sequence_is_one_level():
    pipeline = [(10, 1), (11, 1), (12, 2), (13, 3)]
    # sideways: nothing to clear
    assert stages_to_clear(pipeline, 10, 11) == ()
    assert stages_to_clear(pipeline, 11, 10) == ()
    assert first_stage(pipeline) == 10
    # leaving the level clears all of it: a step sideways to a sibling, then forward, skips nothing
    assert stages_to_clear(pipeline, 10, 13) == (10, 11, 12)
    assert stages_to_clear(pipeline, 11, 13) == (11, 10, 12)
    assert stages_to_clear(pipeline, 11, 12) == (11, 10)
    assert stages_to_clear(pipeline, 11, "elsewhere") == (11, 10, 12, 13)
    # entering the pipeline starts from its first stage, the whole first level with it
    assert stages_to_clear(pipeline, None, 12) == (10, 11)


def test_empty_pipeline():
    assert first_stage([]) is None
    assert stages_to_clear([], None, "new") == ()
    assert transition([], None, Position(1, 1, "new")) == Transition()


def test_reopened_stages_are_the_target_level_and_after():
    assert stages_reopened(PIPELINE, "proposition") == ("proposition", "negotiation", "won")
    assert stages_reopened([(10, 1), (11, 1), (12, 2)], 11) == (10, 11, 12)
    assert stages_reopened(PIPELINE, "other_team_won") == ()


A_NEW = Position(team="A", company=1, stage="new")


def _at(stage, **changes):
    values = {"team": "A", "company": 1, "stage": stage, "active": True, **changes}
    return Position(**values)


def test_a_plain_move_forward_and_back():
    assert transition(PIPELINE, _at("new"), _at("proposition")) == Transition(
        clear=("new", "qualified"), reopen=("proposition", "negotiation", "won")
    )
    assert transition(PIPELINE, _at("proposition"), _at("new")).clear == ()
    assert transition(PIPELINE, _at("proposition"), _at("new")).reopen == tuple(s for s, _q in PIPELINE)


def test_nothing_changes_nothing():
    assert transition(PIPELINE, _at("qualified"), _at("qualified")) == Transition()


def test_creating_restoring_and_changing_team_or_company_enter_from_the_first_stage():
    target = _at("negotiation")
    expected = ("new", "qualified", "proposition")
    assert transition(PIPELINE, None, target).clear == expected
    assert transition(PIPELINE, _at("won", active=False), target).clear == expected
    assert transition(PIPELINE, _at("negotiation", team="B"), target).clear == expected
    assert transition(PIPELINE, _at("negotiation", company=2), target).clear == expected
    assert transition(PIPELINE, _at("negotiation", company=None), target).clear == expected
    for before in (None, _at("x", active=False), _at("x", team="B"), _at("x", company=2)):
        assert enters(before, target)
    assert not enters(_at("new"), target)


def test_archiving_and_losing_clear_nothing():
    assert transition(PIPELINE, _at("new"), _at("won", active=False)) == Transition()
    assert transition(PIPELINE, None, _at("won", active=False)) == Transition()


def test_a_deal_without_stage_clears_nothing():
    assert transition(PIPELINE, _at("new"), _at(None)) == Transition()


def test_archive_move_restore_is_checked_from_the_first_stage():
    archived = _at("new", active=False)
    moved = _at("won", active=False)
    assert transition(PIPELINE, archived, moved).clear == ()
    assert transition(PIPELINE, moved, _at("won")).clear == ("new", "qualified", "proposition", "negotiation")


def test_another_pipelines_stage_then_that_pipeline():
    b_pipeline = [("b_new", 1), ("b_won", 50)]
    in_b_stage = _at("b_won")
    assert transition(PIPELINE, _at("new"), in_b_stage).clear == tuple(stage for stage, _seq in PIPELINE)
    assert transition(b_pipeline, in_b_stage, _at("b_won", team="B")).clear == ("b_new",)


def test_refused_names_are_cut():
    assert shorten("x" * 200) == "x" * 79 + "…"
    assert shorten("  Steel\n plant  ") == "Steel plant"
    assert shorten(None) == ""
    lines, _more = refusal_lines([("D" * 500, ["M" * 300])])
    assert len(lines[0]) < 200


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
