"""Tiering arithmetic: opportunity grades, criterion scores, account tiers, quadrants.

Plain numbers in, plain answers out; the Odoo layer reads the configuration
(grade matrix, criteria thresholds and weights, tiers, quadrant cut-offs) and
the aggregated figures, and stores what these functions return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class GradeMatrix:
    """Opportunity grade A-D from win probability and days to the expected close.

    A deal is graded A when it is at least ``probability[0]`` % likely and closes
    within ``days[0]`` days, B at ``probability[1]`` % within ``days[1]`` days, C at
    ``probability[2]`` % within ``days[2]`` days; anything else is D.  A deal with
    no expected closing date is judged on probability alone against the C row.
    """

    probability: tuple[float, float, float] = (70.0, 50.0, 25.0)
    days: tuple[int, int, int] = (30, 90, 180)


def opportunity_grade(probability: float, days_to_close: int | None, matrix: GradeMatrix = GradeMatrix()) -> str:
    """The grade A-D of a deal (see :class:`GradeMatrix`); overdue deals count as closing now."""
    for grade, min_probability, max_days in zip(GRADES, matrix.probability, matrix.days, strict=False):
        if probability < min_probability:
            continue
        if days_to_close is None:
            if grade == "C":
                return grade
            continue
        if max(days_to_close, 0) <= max_days:
            return grade
    return "D"


def criterion_points(value: float | None, thresholds: Sequence[float], higher_is_better: bool = True) -> float:
    """Normalise a raw value to 0-100 points by ascending ``thresholds``.

    With thresholds ``(t1, …, tn)``, a value reaching ``tk`` (higher is better)
    earns ``100 * k / n`` points: below ``t1`` nothing, at or above ``tn`` 100.
    When lower is better (e.g. days since the last won deal) a value at or below
    ``tk`` counted from the top earns the points instead.  ``None`` earns 0.
    """
    if value is None or not thresholds:
        return 0.0
    reached = sum(1 for t in thresholds if (value >= t if higher_is_better else value <= t))
    return 100.0 * reached / len(thresholds)


def weighted_score(points_and_weights: Iterable[tuple[float, float]]) -> float:
    """Weighted average of criterion points (0-100); criteria of weight 0 are ignored."""
    total_weight = 0.0
    total = 0.0
    for points, weight in points_and_weights:
        if weight <= 0:
            continue
        total += points * weight
        total_weight += weight
    return round(total / total_weight, 2) if total_weight else 0.0


def pick_tier(score: float, tiers: Iterable[tuple[object, float]]) -> object | None:
    """The tier with the highest ``min_score`` the score reaches, or ``None``."""
    best = None
    best_min = None
    for tier, min_score in tiers:
        if score >= min_score and (best_min is None or min_score > best_min):
            best, best_min = tier, min_score
    return best


def quadrant(volume: float, profit: float, volume_cutoff: float, profit_cutoff: float) -> str:
    """Portfolio quadrant by volume x profit: star, elephant, cash_cow or dog (cut-offs inclusive)."""
    high_volume = volume >= volume_cutoff
    high_profit = profit >= profit_cutoff
    if high_volume and high_profit:
        return "star"
    if high_volume:
        return "elephant"
    if high_profit:
        return "cash_cow"
    return "dog"
