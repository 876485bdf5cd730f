"""The funnel's arithmetic: what a balanced funnel holds, and where it jams.

A funnel in a steady state holds, at each stage, the deals that arrive there
times how long they stay (Little's law).  Deals arrive at a stage at the rate
of the first stage times the conversion rates of the stages before it, so the
share a stage should hold is proportional to

    (product of the conversion rates of the earlier stages) x (average days in the stage).

Comparing today's open deals per stage with that share names the bottleneck:
the stage holding the most deals beyond what its history says it should.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: A stage needs this many finished stays before its conversion rate is trusted.
MIN_EVIDENCE = 5


@dataclass(frozen=True)
class StageFigures:
    """One stage of a pipeline, in pipeline order: its history and what it holds now."""

    stage: object
    finished: int  # stays that ended (forward, back, won, lost, forced, re-mapped)
    forward: int  # of them, moved on to a later stage (won included)
    average_days: float | None  # average length of the finished stays
    open_now: int  # deals in the stage today


@dataclass(frozen=True)
class StageBalance:
    stage: object
    open_now: int
    expected: float  # what a balanced funnel with today's open deals would hold here
    conversion: float | None  # forward / finished, None without enough evidence

    @property
    def excess(self) -> float:
        return self.open_now - self.expected


def conversion(figures: StageFigures, min_evidence: int = MIN_EVIDENCE) -> float | None:
    """The stage's historical conversion to a later stage, or None with too few finished stays."""
    if figures.finished < max(min_evidence, 1):
        return None
    return figures.forward / figures.finished


def balance(stages: Sequence[StageFigures], min_evidence: int = MIN_EVIDENCE) -> list[StageBalance]:
    """Today's open deals per stage beside what a balanced funnel would hold.

    The expected counts add up to today's open deals.  A stage without enough
    history converts as if it lost nothing and lasts one day: missing evidence
    never invents a bottleneck.
    """
    weights, reach = [], 1.0
    for figures in stages:
        weights.append(reach * (figures.average_days if figures.average_days else 1.0))
        rate = conversion(figures, min_evidence)
        reach *= 1.0 if rate is None else rate
    total_open = sum(figures.open_now for figures in stages)
    total_weight = sum(weights)
    return [
        StageBalance(
            stage=figures.stage,
            open_now=figures.open_now,
            expected=(total_open * weight / total_weight) if total_weight else 0.0,
            conversion=conversion(figures, min_evidence),
        )
        for figures, weight in zip(stages, weights, strict=True)
    ]


def bottleneck(balances: Sequence[StageBalance], min_excess: float = 1.0) -> object | None:
    """The stage holding the most open deals beyond its balanced share (at least ``min_excess``), or None."""
    worst = max(balances, key=lambda b: (b.excess, -balances.index(b)), default=None)
    if worst is None or worst.excess < min_excess:
        return None
    return worst.stage
