"""Gate evaluation order: which stages' milestones a move must clear.

The contract's gate rule: moving a deal from stage S to a stage T with a higher
sequence requires every applicable milestone of S and of every stage between S
and T to be met.  Creating a deal directly in a stage counts as a move from the
first stage of its pipeline.  Moving back (or sideways, to a stage of the same
sequence) is never blocked.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping


def _order_key(item: tuple[Hashable, int]) -> tuple[int, str]:
    stage, sequence = item
    # Odoo orders stages by sequence, then id; ids may be any hashable here.
    return (sequence, str(stage))


def first_stage(pipeline: Mapping[Hashable, int]) -> Hashable | None:
    """The stage a new deal of this pipeline starts in (lowest sequence, then id)."""
    if not pipeline:
        return None
    return min(pipeline.items(), key=_order_key)[0]


def stages_to_clear(
    pipeline: Mapping[Hashable, int],
    from_stage: Hashable | None,
    to_stage: Hashable,
) -> tuple[Hashable, ...]:
    """Return the stages whose milestones must be met to go ``from_stage`` → ``to_stage``.

    ``pipeline`` maps each stage of the deal's pipeline to its sequence.
    ``from_stage`` is ``None`` for a deal created directly in ``to_stage``, or a
    stage outside the pipeline (its team changed): the move then starts from
    the first stage of the pipeline.  The answer is ordered as the pipeline: the
    stage left, then every stage whose sequence lies strictly between the two.
    It is empty when the target's sequence is not higher, and when the target
    is not in the pipeline.
    """
    if to_stage not in pipeline:
        return ()
    if from_stage not in pipeline:
        from_stage = first_stage(pipeline)
    low, high = pipeline[from_stage], pipeline[to_stage]
    if high <= low:
        return ()
    between = sorted(
        ((stage, seq) for stage, seq in pipeline.items() if low < seq < high),
        key=_order_key,
    )
    return (from_stage, *(stage for stage, _seq in between))
