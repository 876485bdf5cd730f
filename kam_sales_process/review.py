"""The weekly deal review (项目过堂): scoring a presentation and ranking the presenters.

Every participant scores each presentation on three parts:

    the 7+3 elements        0-60  (did the salesperson know each element of the deal?)
    logic and reasoning     0-20
    form and presentation   0-20

A presentation's score is the average of the participants' totals; a
presenter's score is the average over all the participants' totals of all
their presentations in the meeting, and the meeting ranks the presenters by
it, best first (equal scores share a rank).  The seed's example: 小王
30 + 10 + 15 = 55, 小李 40 + 15 + 15 = 70, 小张 45 + 15 + 15 = 75, ranked 小张,
小李, 小王.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The three parts of a score and their maxima.
SCORE_PARTS = (("elements", 60), ("logic", 20), ("presentation", 20))
#: A 7+3 item (0-10) scored below this is a weak element of the deal.
WEAK_ITEM_BELOW = 6
#: Verdicts of a review, in the order a lead weighs them.
VERDICTS = ("push", "hold", "downgrade", "drop")


def score_total(elements: float, logic: float, presentation: float) -> float:
    """One participant's total for one presentation (0-100); parts out of range are refused."""
    for (name, maximum), value in zip(SCORE_PARTS, (elements, logic, presentation), strict=True):
        if not 0 <= value <= maximum:
            raise ValueError(f"{name} is scored from 0 to {maximum} (got {value})")
    return float(elements + logic + presentation)


def average(totals: Iterable[float]) -> float:
    """The average of some totals, 0 without any."""
    values = list(totals)
    return round(sum(values) / len(values), 2) if values else 0.0


@dataclass(frozen=True)
class Rank:
    presenter: object
    rank: int
    score: float
    scores: int


def ranking(totals_by_presenter: Mapping[object, Iterable[float]]) -> list[Rank]:
    """Presenters by their average total, best first; equal averages share a rank (1, 2, 2, 4).

    Presenters nobody scored are left out: a rank says how a presentation was judged.
    """
    averaged = []
    for presenter, totals in totals_by_presenter.items():
        values = list(totals)
        if values:
            averaged.append((presenter, average(values), len(values)))
    averaged.sort(key=lambda item: -item[1])
    result, previous, rank = [], None, 0
    for position, (presenter, score, count) in enumerate(averaged, start=1):
        if score != previous:
            rank, previous = position, score
        result.append(Rank(presenter, rank, score, count))
    return result


def weak_elements(items: Mapping[str, int], below: int = WEAK_ITEM_BELOW) -> list[str]:
    """The 7+3 items of a deal scored below ``below`` (0-10 each), in the order given."""
    return [code for code, value in items.items() if (value or 0) < below]
