import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam_sales_process.planning import (
    PlanLine,
    needs,
    per_week,
    split,
    total,
    weekly_gap,
    weeks_between,
)

#: The source method's worked example: 300,000 a year.
SEED = {
    "small projects": PlanLine(120_000, 40_000, 1 / 3, 8, 10),
    "large finance": PlanLine(96_000, 8_000, 1 / 3, 3, 6),
    "small finance": PlanLine(48_000, 2_000, 1 / 2, 1.5, 5),
    "consumables": PlanLine(20_000, 200),
    "services": PlanLine(10_000, 1_000),
}


def test_the_worked_example_of_the_source_method():
    assert {name: needs(line).deals for name, line in SEED.items()} == {
        "small projects": 3,
        "large finance": 12,
        "small finance": 24,
        "consumables": 100,
        "services": 10,
    }
    assert needs(SEED["small projects"]).visits == 72  # 8 visits x 9 attempts
    assert needs(SEED["large finance"]).visits == 108
    assert needs(SEED["small finance"]).visits == 72
    plan = total(SEED.values())
    assert plan.visits == 252
    assert plan.opportunities == 222
    weeks = weeks_between(365)
    assert weeks == 48
    assert round(per_week(plan.visits, weeks)) == 5
    assert round(per_week(plan.opportunities, weeks)) == 5


def test_a_line_without_size_or_rate_needs_only_what_it_can():
    assert needs(PlanLine(10_000, 0)).deals == 0
    no_rate = needs(PlanLine(10_000, 3_000, 0, 4, 2))
    assert (no_rate.deals, no_rate.visits, no_rate.opportunities) == (4, 0, 8)


def test_the_weekly_gap_to_close():
    assert weekly_gap(252, 52, 40) == 5
    assert weekly_gap(252, 300, 40) == 0
    assert weekly_gap(10, 4, 0) == 6


def test_a_team_plan_split_evenly_or_by_weights():
    assert split(300_000, [0, 0, 0]) == [100_000, 100_000, 100_000]
    assert split(300_000, [1, 2, 3]) == [50_000, 100_000, 150_000]
    assert split(100, []) == []


@given(st.floats(0, 1e9), st.lists(st.floats(0, 100), min_size=1, max_size=20))
def test_the_parts_of_a_split_add_up(amount, weights):
    assert sum(split(amount, weights)) == pytest.approx(amount, abs=0.05)


@given(st.floats(1, 1e8), st.floats(1, 1e6), st.floats(0.01, 1), st.floats(0, 20), st.floats(0, 20))
def test_more_deals_never_need_fewer_visits(target, size, rate, visits, opportunities):
    smaller = needs(PlanLine(target, size, rate, visits, opportunities))
    larger = needs(PlanLine(target * 2, size, rate, visits, opportunities))
    assert larger.deals >= smaller.deals
    assert larger.visits >= smaller.visits
    assert larger.opportunities >= smaller.opportunities
