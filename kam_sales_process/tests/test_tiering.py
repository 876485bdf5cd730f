"""Tiering arithmetic, without Odoo."""

import pytest

from kam_sales_process.tiering import (
    GradeMatrix,
    criterion_points,
    opportunity_grade,
    pick_tier,
    quadrant,
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
