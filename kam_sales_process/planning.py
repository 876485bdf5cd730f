"""The funnel plan's arithmetic: from a revenue target to the weekly work it takes.

Per line of business (a deal type or product line):

    deals needed         = target / average deal size (whole deals, rounded up)
    attempts needed      = deals / win rate          (deals pursued to the end)
    visits needed        = visits per attempt x attempts
    opportunities needed = deals x opportunities per deal

and per week, each total divided by the working weeks of the period.  Lines
without visit or opportunity figures (consumables, services) count their
deals only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: Working weeks in a year (52 less holidays): the weekly figures of a yearly plan.
WORKING_WEEKS_PER_YEAR = 48
#: Rounding that absorbs binary fractions (1/3 x 3) before a rounding up.
_EPSILON = 1e-9


@dataclass(frozen=True)
class PlanLine:
    target_amount: float
    average_amount: float
    win_rate: float = 1.0  # 0..1
    visits_per_attempt: float = 0.0
    opportunities_per_deal: float = 0.0


@dataclass(frozen=True)
class Needs:
    deals: int
    attempts: float
    visits: float
    opportunities: float

    def __add__(self, other: Needs) -> Needs:
        return Needs(
            self.deals + other.deals,
            self.attempts + other.attempts,
            self.visits + other.visits,
            self.opportunities + other.opportunities,
        )


NOTHING = Needs(0, 0.0, 0.0, 0.0)


def needs(line: PlanLine) -> Needs:
    """What one line of the plan takes. A line without an average size or a win rate needs nothing."""
    if line.target_amount <= 0 or line.average_amount <= 0:
        return NOTHING
    deals = math.ceil(line.target_amount / line.average_amount - _EPSILON)
    if line.win_rate <= 0:
        return Needs(deals, 0.0, 0.0, round(deals * line.opportunities_per_deal, 2))
    attempts = round(deals / min(line.win_rate, 1.0), 2)
    return Needs(
        deals=deals,
        attempts=attempts,
        visits=round(line.visits_per_attempt * attempts, 2),
        opportunities=round(deals * line.opportunities_per_deal, 2),
    )


def total(lines: Iterable[PlanLine]) -> Needs:
    result = NOTHING
    for line in lines:
        result += needs(line)
    return result


def weeks_between(days: int) -> float:
    """Working weeks in a period of ``days`` calendar days (a year: 48)."""
    return max(days, 1) * WORKING_WEEKS_PER_YEAR / 365.0


def per_week(amount: float, weeks: float) -> float:
    return amount / weeks if weeks > 0 else 0.0


def weekly_gap(needed: float, done: float, weeks_left: float) -> float:
    """What each remaining week must bring to reach ``needed`` (0 once reached)."""
    missing = max(needed - done, 0.0)
    if not missing:
        return 0.0
    return missing / weeks_left if weeks_left > 0 else missing


def split(amount: float, weights: Iterable[float]) -> list[float]:
    """Share ``amount`` by ``weights`` (evenly when they are all zero); the parts add up to the amount."""
    weights = list(weights)
    if not weights:
        return []
    if not any(w > 0 for w in weights):
        weights = [1.0] * len(weights)
    whole = sum(w for w in weights if w > 0)
    parts = [round(amount * max(w, 0) / whole, 2) for w in weights]
    parts[-1] = round(amount - sum(parts[:-1]), 2)
    return parts
