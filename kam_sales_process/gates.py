"""Gate rules: which stages' milestones a move must clear, and the refusal text.

The contract's gate rule: moving a deal from stage S to a stage T with a higher
sequence requires every applicable milestone of S and of every stage between S
and T to be met.  Creating a deal directly in a stage counts as moving it there
from the first stage of its pipeline.  Moving back, or sideways to a stage of
the same sequence, is never blocked.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

Pipeline = Sequence[tuple[Hashable, int]]


def first_stage(pipeline: Pipeline) -> Hashable | None:
    """The stage a new deal of this pipeline starts in: the first one listed."""
    return pipeline[0][0] if pipeline else None


def stages_to_clear(pipeline: Pipeline, from_stage: Hashable | None, to_stage: Hashable) -> tuple[Hashable, ...]:
    """Return the stages whose milestones must be met to go ``from_stage`` → ``to_stage``.

    ``pipeline`` lists the ``(stage, sequence)`` pairs of the deal's pipeline in
    pipeline order (Odoo's stage order: sequence, then name, then id).
    ``from_stage`` is ``None`` for a deal created directly in ``to_stage``, or a
    stage outside the pipeline (its team changed): the move then starts from
    the first stage of the pipeline.  The answer follows the pipeline order: the
    stage left, then every stage whose sequence lies strictly between the two.
    It is empty when the target's sequence is not higher, and when the target
    is not in the pipeline.
    """
    sequences = dict(pipeline)
    if to_stage not in sequences:
        return ()
    if from_stage not in sequences:
        from_stage = first_stage(pipeline)
    low, high = sequences[from_stage], sequences[to_stage]
    if high <= low:
        return ()
    return (from_stage, *(stage for stage, seq in pipeline if low < seq < high))


def refusal_lines(blocked: Sequence[tuple[str, Sequence[str]]], limit: int = 10) -> tuple[list[str], int]:
    """Lines naming each blocked deal with its unmet milestones, and how many more.

    ``blocked`` lists ``(deal name, [unmet milestone names])``.  The first
    ``limit`` deals are named; the number of the others is returned so the
    caller can say "and N more" in the user's language.
    """
    lines = [f"- {deal}: {', '.join(milestones)}" for deal, milestones in blocked[:limit]]
    return lines, max(len(blocked) - limit, 0)
