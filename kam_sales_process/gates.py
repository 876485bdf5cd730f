"""Gate rules: which stages' milestones a deal must have met to reach its position.

A deal's *position* is what the gate looks at: its pipeline (the sales team),
its company, its stage and whether it is active.  The transition rule
(``transition``) says, for a change of position, which stages' milestones must
be met, and which stages open again:

- Moving from stage S to a stage T with a higher sequence, within the same
  pipeline and company, clears S, the other stages of S's sequence and every
  stage whose sequence lies strictly between the two: stages of one sequence
  are one level, left only with all their milestones met (else a step sideways
  to a sibling without milestones, then forward, would skip them).  Moving
  back, or sideways to a stage of the same sequence, clears nothing.
- Creating a deal, moving it into another pipeline (its team changes),
  changing its company and restoring it from the archive each count as moving
  it to its stage from the first stage of its pipeline.
- A stage outside the deal's pipeline lies beyond the pipeline's last stage:
  reaching it clears the stage left and every later stage of the pipeline.
- Archiving (marking lost included) clears nothing; neither does a deal
  without a stage.

Stages that were cleared stay *passed* (their milestones' states are history)
until the deal moves back to their level or before it: those are the stages
that ``transition`` reports as reopened.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Pipeline = Sequence[tuple[Hashable, int]]

#: Longest deal or milestone name quoted in a refusal.
NAME_LIMIT = 80


@dataclass(frozen=True)
class Position:
    """Where a deal stands, as the gate sees it."""

    team: Hashable
    company: Hashable
    stage: Hashable | None
    active: bool = True


@dataclass(frozen=True)
class Transition:
    """What a change of position asks: the stages to clear and the stages opened again."""

    clear: tuple[Hashable, ...] = ()
    reopen: tuple[Hashable, ...] = ()


def first_stage(pipeline: Pipeline) -> Hashable | None:
    """The stage a new deal of this pipeline starts in: the first one listed."""
    return pipeline[0][0] if pipeline else None


def stages_to_clear(pipeline: Pipeline, from_stage: Hashable | None, to_stage: Hashable) -> tuple[Hashable, ...]:
    """Return the stages whose milestones must be met to go ``from_stage`` → ``to_stage``.

    ``pipeline`` lists the ``(stage, sequence)`` pairs of the deal's pipeline in
    pipeline order (Odoo's stage order: sequence, then name, then id).
    ``from_stage`` is ``None`` for a deal that enters the pipeline (created,
    restored, moved from another pipeline or company): the move then starts
    from the first stage of the pipeline.  A ``to_stage`` outside the pipeline
    lies beyond its last stage; a ``from_stage`` outside it too (a move from
    there is a move back).  The answer follows the pipeline order: the stage
    left, then the other stages of its sequence and every stage whose sequence
    lies strictly between the two.  It is empty when the target's sequence is
    not higher.
    """
    if not pipeline or to_stage is None:
        return ()
    sequences = dict(pipeline)
    if from_stage is None:
        from_stage = first_stage(pipeline)
    elif from_stage not in sequences:
        return ()  # from beyond the last stage: back or sideways
    low = sequences[from_stage]
    if to_stage not in sequences:
        return (from_stage, *(stage for stage, seq in pipeline if seq >= low and stage != from_stage))
    high = sequences[to_stage]
    if high <= low:
        return ()
    return (from_stage, *(stage for stage, seq in pipeline if low <= seq < high and stage != from_stage))


def stages_reopened(pipeline: Pipeline, to_stage: Hashable | None) -> tuple[Hashable, ...]:
    """Stages a deal arriving in ``to_stage`` has not passed: its level and every later one."""
    sequences = dict(pipeline)
    if to_stage not in sequences:
        return ()
    level = sequences[to_stage]
    return tuple(stage for stage, seq in pipeline if seq >= level)


def enters(before: Position | None, after: Position) -> bool:
    """Whether ``after`` counts as entering the pipeline from its first stage."""
    return before is None or not before.active or before.team != after.team or before.company != after.company


def transition(pipeline: Pipeline, before: Position | None, after: Position) -> Transition:
    """The stages to clear and to reopen when a deal goes from ``before`` to ``after``.

    ``pipeline`` is the pipeline of ``after`` (its team's stages and the shared
    ones); ``before`` is ``None`` for a deal being created.
    """
    if not after.active or after.stage is None:
        return Transition()
    if not enters(before, after) and before.stage == after.stage:
        return Transition()
    origin = None if enters(before, after) else before.stage
    return Transition(
        clear=stages_to_clear(pipeline, origin, after.stage),
        reopen=stages_reopened(pipeline, after.stage),
    )


def shorten(name: str, limit: int = NAME_LIMIT) -> str:
    """``name`` on one line, cut to ``limit`` characters with an ellipsis."""
    name = " ".join(str(name or "").split())
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def refusal_lines(blocked: Sequence[tuple[str, Sequence[str]]], limit: int = 10) -> tuple[list[str], int]:
    """Lines naming each blocked deal with its unmet milestones, and how many more.

    ``blocked`` lists ``(deal name, [unmet milestone names])``.  The first
    ``limit`` deals are named, each name cut to a readable length; the number
    of the others is returned so the caller can say "and N more" in the user's
    language.
    """
    lines = [
        f"- {shorten(deal)}: {', '.join(shorten(milestone) for milestone in milestones)}"
        for deal, milestones in blocked[:limit]
    ]
    return lines, max(len(blocked) - limit, 0)
