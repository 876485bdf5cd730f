"""Relationship-phase rules, without Odoo."""

from itertools import pairwise

import pytest

from kam_sales_process.phases import RULES, Evidence, grid_cell, is_inactive, suggest_phase, unmet

EVIDENCE = {
    "exploratory": Evidence(),
    "basic": Evidence(share_of_wallet=30, departments=1, deepest_level=2, won_deals=1, months=3),
    "cooperative": Evidence(share_of_wallet=60, departments=3, deepest_level=3, won_deals=3, months=12),
    "interdependent": Evidence(share_of_wallet=95, departments=4, deepest_level=4, won_deals=6, months=30),
    "integrated": Evidence(share_of_wallet=100, departments=6, deepest_level=5, won_deals=12, months=48),
}


@pytest.mark.parametrize("phase", list(EVIDENCE))
def test_each_phase_is_suggested_from_its_evidence(phase):
    suggested, rule, _next_rule = suggest_phase(EVIDENCE[phase])
    assert suggested == phase
    assert (rule is None) == (phase == "exploratory")


def test_one_missing_item_keeps_the_phase_below_and_names_it():
    evidence = Evidence(share_of_wallet=60, departments=2, deepest_level=3, won_deals=3, months=12)
    suggested, _rule, next_rule = suggest_phase(evidence)
    assert suggested == "basic"
    assert next_rule.phase == "cooperative"
    assert unmet(next_rule, evidence) == ["departments"]


def test_no_estimate_of_share_counts_as_zero():
    evidence = Evidence(share_of_wallet=None, departments=5, deepest_level=5, won_deals=9, months=60)
    assert suggest_phase(evidence)[0] == "basic"


def test_rules_go_from_deep_to_shallow():
    assert [rule.phase for rule in RULES] == ["integrated", "interdependent", "cooperative", "basic"]
    assert all(a.min_share >= b.min_share and a.min_level >= b.min_level for a, b in pairwise(RULES))


def test_grid_cell():
    assert grid_cell("brand", "greeting") == (0, 0)
    assert grid_cell("trust", "values") == (4, 4)
    assert grid_cell("solution", None) is None
    assert grid_cell(None, "facts") is None


@pytest.mark.parametrize(
    ("won", "interaction", "limit", "inactive"),
    [
        (200, 200, 180, True),
        (180, 180, 180, True),  # edge: exactly the limit
        (179, 400, 180, False),
        (400, 10, 180, False),
        (None, None, 180, True),
        (None, 5, 180, False),
        (400, 400, 0, False),  # 0 switches the alert off
    ],
)
def test_is_inactive(won, interaction, limit, inactive):
    assert is_inactive(won, interaction, limit) is inactive
