"""Tiering arithmetic: opportunity grades, criterion scores, account tiers, quadrants.

Plain numbers in, plain answers out; the Odoo layer reads the configuration
(grade matrix, criteria thresholds and weights, tiers, quadrant cut-offs) and
the aggregated figures, and stores what these functions return.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from .vocabulary import QUALIFICATION_ITEMS, RATING_CODES  # noqa: F401 (part of this module's vocabulary)

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


# --- the 7+3 qualification scorecard -----------------------------------------------

ITEM_MAX = 10


def qualification_score(item_scores: Iterable[float | None]) -> int:
    """The 7+3 score 0-100: ten items scored 0-10 each (missing items count 0, out-of-range ones are clamped)."""
    return round(sum(min(max(score or 0, 0), ITEM_MAX) for score in item_scores))


# --- the account value scorecard -----------------------------------------------


def parse_thresholds(text: str | None) -> tuple[float, ...]:
    """Thresholds written as "10000, 50000, 200000" -> (10000.0, 50000.0, 200000.0).

    Raises ``ValueError`` unless they are numbers in strictly ascending order.
    Blank text gives no thresholds (the criterion then earns nothing).
    """
    if not text or not text.strip():
        return ()
    values = tuple(float(part.strip().replace("_", "")) for part in text.replace(";", ",").split(","))
    if any(b <= a for a, b in pairwise(values)):
        raise ValueError("thresholds must be strictly ascending")
    return values


@dataclass(frozen=True)
class Criterion:
    """A criterion of the account value scorecard as configured."""

    code: str
    weight: float
    thresholds: tuple[float, ...]
    higher_is_better: bool = True


@dataclass(frozen=True)
class AccountFigures:
    """What the database says about one account, in the scoring company's currency.

    ``won_count``/``won_revenue`` and ``lost_count`` cover the look-back window
    (12 months by default); ``days_since_won`` is ``None`` when the account never
    won; ``ratings`` are the manual 0-5 star ratings by criterion code.
    """

    won_revenue: float = 0.0
    won_count: int = 0
    lost_count: int = 0
    pipeline: float = 0.0
    days_since_won: int | None = None
    deep_contacts: int = 0
    ratings: dict[str, int] | None = None

    @property
    def average_won(self) -> float:
        return self.won_revenue / self.won_count if self.won_count else 0.0

    @property
    def win_rate(self) -> float | None:
        """Won share of the closed deals in %, ``None`` when nothing was closed."""
        closed = self.won_count + self.lost_count
        return 100.0 * self.won_count / closed if closed else None


#: Manual ratings (0-5 stars) score 20 points a star.
RATING_MAX = 5


#: How each computed criterion reads its raw value from the figures (``None`` = no data).
RAW_VALUES = {
    "won_revenue": lambda figures: figures.won_revenue,
    "won_count": lambda figures: float(figures.won_count),
    "average_won": lambda figures: figures.average_won,
    "win_rate": lambda figures: figures.win_rate,
    "pipeline": lambda figures: figures.pipeline,
    "days_since_won": lambda figures: None if figures.days_since_won is None else float(figures.days_since_won),
    "relationship_depth": lambda figures: float(figures.deep_contacts),
}


def raw_value(code: str, figures: AccountFigures) -> float | None:
    """The raw value of a criterion for an account (``None`` = no data)."""
    if code in RATING_CODES:
        return float((figures.ratings or {}).get(code) or 0)
    return RAW_VALUES[code](figures)


def score_account(figures: AccountFigures, criteria: Iterable[Criterion]) -> tuple[float, list[dict]]:
    """The account's score 0-100 and the breakdown: one dict per criterion.

    Each dict holds ``code``, ``value`` (raw), ``points`` (0-100), ``weight`` and
    ``contribution`` (points x weight / total weight), so that the contributions
    add up to the score.  Manual ratings earn 20 points a star; the others are
    normalised by their thresholds (:func:`criterion_points`).
    """
    criteria = [c for c in criteria if c.weight > 0]
    total_weight = sum(c.weight for c in criteria)
    lines = []
    for criterion in criteria:
        value = raw_value(criterion.code, figures)
        if criterion.code in RATING_CODES:
            points = 100.0 * min(max(value or 0, 0), RATING_MAX) / RATING_MAX
        else:
            points = criterion_points(value, criterion.thresholds, criterion.higher_is_better)
        lines.append(
            {
                "code": criterion.code,
                "value": value,
                "points": points,
                "weight": criterion.weight,
                "contribution": round(points * criterion.weight / total_weight, 2) if total_weight else 0.0,
            }
        )
    return weighted_score((line["points"], line["weight"]) for line in lines), lines


#: The computed criteria in the order ``make_scorer`` reads their raw values.
RAW_ORDER = ("won_revenue", "won_count", "average_won", "win_rate", "pipeline", "days_since_won", "relationship_depth")


def make_scorer(criteria: Iterable[Criterion]):
    """A function ``(figures, ratings) -> score`` giving the score of :func:`score_account` without the
    breakdown, for scoring many accounts: the criteria are prepared once, the raw values read once per
    account, the thresholds looked up by bisection, and the points added up in the criteria's order (the
    same sum, to the last bit).  ``ratings`` replaces ``figures.ratings`` (the manual ratings by code).
    """
    computed, rated = [], []
    total_weight = 0.0
    for criterion in criteria:
        if criterion.weight <= 0:
            continue
        total_weight += criterion.weight
        position = len(computed) + len(rated)
        if criterion.code in RATING_CODES:
            rated.append((criterion.code, criterion.weight, position))
        else:
            thresholds = tuple(sorted(criterion.thresholds))
            computed.append(
                (
                    RAW_ORDER.index(criterion.code),
                    criterion.weight,
                    thresholds,
                    len(thresholds),
                    criterion.higher_is_better,
                    position,
                )
            )
    size = len(computed) + len(rated)
    if not total_weight:
        return lambda figures, ratings=None: 0.0

    def score(figures: AccountFigures, ratings: dict[str, int] | None = None) -> float:
        ratings = figures.ratings if ratings is None else ratings
        won_count = figures.won_count
        closed = won_count + figures.lost_count
        days = figures.days_since_won
        raw = (
            figures.won_revenue,
            float(won_count),
            figures.won_revenue / won_count if won_count else 0.0,
            100.0 * won_count / closed if closed else None,
            figures.pipeline,
            None if days is None else float(days),
            float(figures.deep_contacts),
        )
        parts = [0.0] * size
        for index, weight, thresholds, count, higher_is_better, position in computed:
            value = raw[index]
            if value is None or not count:
                continue
            reached = bisect_right(thresholds, value) if higher_is_better else count - bisect_left(thresholds, value)
            parts[position] = (100.0 * reached / count) * weight
        if ratings:
            for code, weight, position in rated:
                stars = min(max(float(ratings.get(code) or 0), 0), RATING_MAX)
                parts[position] = (100.0 * stars / RATING_MAX) * weight
        total = 0.0
        for part in parts:
            total += part
        return round(total / total_weight, 2)

    return score
