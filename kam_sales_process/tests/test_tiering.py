"""Tiering arithmetic, without Odoo."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kam_sales_process.tiering import (
    RATING_CODES,
    AccountFigures,
    Criterion,
    GradeMatrix,
    criterion_points,
    make_scorer,
    opportunity_grade,
    parse_thresholds,
    pick_tier,
    quadrant,
    qualification_score,
    score_account,
    weighted_score,
)


@pytest.mark.parametrize(
    ("probability", "days", "grade"),
    [
        (90, 10, "A"),
        (70, 30, "A"),  # both edges inclusive
        (70, 31, "B"),
        (69.9, 10, "B"),
        (50, 90, "B"),
        (50, 91, "C"),
        (25, 180, "C"),
        (25, 181, "D"),
        (24, 1, "D"),
        (90, -5, "A"),  # overdue: closing now
        (90, None, "C"),  # no closing date: probability alone, at most C
        (10, None, "D"),
    ],
)
def test_opportunity_grade_default_matrix(probability, days, grade):
    assert opportunity_grade(probability, days) == grade


def test_opportunity_grade_custom_matrix():
    strict = GradeMatrix(probability=(90, 75, 50), days=(14, 30, 60))
    assert opportunity_grade(80, 10, strict) == "B"
    assert opportunity_grade(80, 45, strict) == "C"


def test_criterion_points_higher_is_better_edges():
    thresholds = (100_000, 500_000, 1_000_000, 5_000_000)
    assert criterion_points(99_999, thresholds) == 0
    assert criterion_points(100_000, thresholds) == 25
    assert criterion_points(999_999, thresholds) == 50
    assert criterion_points(5_000_000, thresholds) == 100
    assert criterion_points(None, thresholds) == 0
    assert criterion_points(10, ()) == 0


def test_criterion_points_lower_is_better():
    days_since_last_win = (30, 90, 180, 365)
    assert criterion_points(10, days_since_last_win, higher_is_better=False) == 100
    assert criterion_points(90, days_since_last_win, higher_is_better=False) == 75
    assert criterion_points(400, days_since_last_win, higher_is_better=False) == 0


def test_weighted_score():
    assert weighted_score([(100, 3), (50, 1)]) == 87.5
    assert weighted_score([(100, 0), (40, 2)]) == 40
    assert weighted_score([]) == 0


def test_pick_tier_by_min_score():
    tiers = [("strategic", 80), ("key", 60), ("growth", 30), ("maintain", 0)]
    assert pick_tier(80, tiers) == "strategic"
    assert pick_tier(79.99, tiers) == "key"
    assert pick_tier(0, tiers) == "maintain"
    assert pick_tier(10, [("key", 60)]) is None


def test_quadrant_cut_offs_are_inclusive():
    assert quadrant(100, 20, 100, 20) == "star"
    assert quadrant(100, 19.9, 100, 20) == "elephant"
    assert quadrant(99, 20, 100, 20) == "cash_cow"
    assert quadrant(0, 0, 100, 20) == "dog"


def test_qualification_score_sums_ten_items_to_100():
    assert qualification_score([10] * 10) == 100
    assert qualification_score([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]) == 60
    assert qualification_score([None, 5, 0]) == 5
    assert qualification_score([15, -3]) == 10  # clamped to 0-10


def test_parse_thresholds():
    assert parse_thresholds("10000, 50_000; 200000") == (10000.0, 50000.0, 200000.0)
    assert parse_thresholds("  ") == ()
    with pytest.raises(ValueError):
        parse_thresholds("5, 5")
    with pytest.raises(ValueError):
        parse_thresholds("10, abc")


def test_account_figures_derived_metrics():
    figures = AccountFigures(won_revenue=300_000, won_count=3, lost_count=1)
    assert figures.average_won == 100_000
    assert figures.win_rate == 75
    assert AccountFigures().win_rate is None
    assert AccountFigures().average_won == 0


CRITERIA = [
    Criterion("won_revenue", 3, (100_000, 500_000, 1_000_000, 5_000_000)),
    Criterion("won_count", 1, (1, 3, 5, 10)),
    Criterion("average_won", 1, (50_000, 100_000, 250_000, 500_000)),
    Criterion("win_rate", 1, (20, 35, 50, 65)),
    Criterion("pipeline", 2, (50_000, 200_000, 500_000, 1_000_000)),
    Criterion("days_since_won", 1, (30, 90, 180, 365), higher_is_better=False),
    Criterion("relationship_depth", 1, (1, 2, 4, 6)),
    Criterion("strategic_fit", 1, ()),
    Criterion("financial_health", 0, ()),  # weight 0: ignored
]


def test_score_account_each_criterion_and_breakdown_adds_up():
    figures = AccountFigures(
        won_revenue=600_000,  # 2 of 4 thresholds -> 50
        won_count=3,  # 3 reaches 1 and 3 -> 50
        lost_count=3,  # win rate 50 % -> 75
        pipeline=1_000_000,  # all -> 100
        days_since_won=100,  # <= 180 and 365 -> 50
        deep_contacts=0,  # -> 0
        ratings={"strategic_fit": 4, "financial_health": 5},  # 4 stars -> 80
    )
    score, lines = score_account(figures, CRITERIA)
    points = {line["code"]: line["points"] for line in lines}
    assert points == {
        "won_revenue": 50,
        "won_count": 50,
        "average_won": 50,  # 200,000 reaches 2 of 4
        "win_rate": 75,
        "pipeline": 100,
        "days_since_won": 50,
        "relationship_depth": 0,
        "strategic_fit": 80,
    }
    assert "financial_health" not in points
    # (50*3 + 50 + 50 + 75 + 100*2 + 50 + 0 + 80) / 11
    assert score == round(655 / 11, 2)
    assert sum(line["contribution"] for line in lines) == pytest.approx(score, abs=0.05)


def test_score_account_never_won_and_no_criteria():
    score, lines = score_account(AccountFigures(), CRITERIA)
    assert score == 0
    assert {line["code"]: line["value"] for line in lines}["days_since_won"] is None
    assert score_account(AccountFigures(won_revenue=1e9), []) == (0.0, [])


CODES = ("won_revenue", "won_count", "average_won", "win_rate", "pipeline", "days_since_won", "relationship_depth")
amounts = st.floats(min_value=0, max_value=1e8, allow_nan=False)


@st.composite
def criteria_lists(draw):
    criteria = []
    for code in draw(st.lists(st.sampled_from(CODES + RATING_CODES), max_size=12)):
        thresholds = tuple(
            sorted(set(draw(st.lists(st.sampled_from([0, 1, 2, 5, 30, 90, 1e3, 1e5, 1e6]), max_size=5))))
        )
        weight = draw(st.sampled_from([0, 0.5, 1, 2, 3]))
        criteria.append(Criterion(code, weight, thresholds, draw(st.booleans())))
    return criteria


@st.composite
def figures(draw):
    return AccountFigures(
        won_revenue=draw(amounts),
        won_count=draw(st.integers(0, 50)),
        lost_count=draw(st.integers(0, 50)),
        pipeline=draw(amounts),
        days_since_won=draw(st.none() | st.integers(0, 1000)),
        deep_contacts=draw(st.integers(0, 10)),
        ratings=draw(st.dictionaries(st.sampled_from(RATING_CODES), st.integers(-1, 7))),
    )


@settings(max_examples=500, deadline=None, derandomize=True)
@given(criteria=criteria_lists(), account=figures())
def test_make_scorer_gives_the_score_of_score_account(criteria, account):
    """The fast scorer of a run gives exactly the score the breakdown shows."""
    expected, _lines = score_account(account, criteria)
    scorer = make_scorer(criteria)
    assert scorer(account) == expected
    assert scorer(AccountFigures(**{**account.__dict__, "ratings": None}), account.ratings) == expected
