"""Relationship phases of a key account: suggestion from evidence, the 5x5 grid.

The phase itself is set by a person; these rules only suggest one and say why.
"""

from __future__ import annotations

from dataclasses import dataclass

from .vocabulary import COMPANY_LEVELS, PERSONAL_LEVELS


@dataclass(frozen=True)
class Evidence:
    """What the database says about an account's relationship.

    ``share_of_wallet`` is the estimated share (%) of the customer's spend in
    your category, ``None`` when nobody estimated it; ``deepest_level`` is the
    index (1-5) of the deepest personal relationship level reached, 0 when none;
    ``months`` is the age of the relationship (since its first deal).
    """

    share_of_wallet: float | None = None
    departments: int = 0
    deepest_level: int = 0
    won_deals: int = 0
    months: int = 0


@dataclass(frozen=True)
class PhaseRule:
    """The least evidence an account shows in a phase (the source methods' description of each phase)."""

    phase: str
    min_share: float
    min_departments: int
    min_level: int
    min_won: int
    min_months: int


#: Checked from the deepest phase down; the first one fully met is suggested.
RULES = (
    PhaseRule("integrated", min_share=100, min_departments=5, min_level=5, min_won=5, min_months=36),
    PhaseRule("interdependent", min_share=90, min_departments=4, min_level=4, min_won=4, min_months=24),
    PhaseRule("cooperative", min_share=50, min_departments=3, min_level=3, min_won=2, min_months=6),
    PhaseRule("basic", min_share=0, min_departments=0, min_level=0, min_won=1, min_months=0),
)


def unmet(rule: PhaseRule, evidence: Evidence) -> list[str]:
    """The evidence items below the rule's minimum: share, departments, level, won, months."""
    share = evidence.share_of_wallet or 0.0
    missing = []
    if share < rule.min_share:
        missing.append("share")
    if evidence.departments < rule.min_departments:
        missing.append("departments")
    if evidence.deepest_level < rule.min_level:
        missing.append("level")
    if evidence.won_deals < rule.min_won:
        missing.append("won")
    if evidence.months < rule.min_months:
        missing.append("months")
    return missing


def suggest_phase(evidence: Evidence) -> tuple[str, PhaseRule | None, PhaseRule | None]:
    """The suggested phase, the rule it meets (``None`` for exploratory) and the next rule up.

    An account without a won deal is exploratory.  Disintegration is never
    suggested here: the disintegration alert decides it from inactivity.
    """
    for index, rule in enumerate(RULES):
        if not unmet(rule, evidence):
            return rule.phase, rule, RULES[index - 1] if index else None
    return "exploratory", None, RULES[-1]


def grid_cell(company_level: str | None, personal_level: str | None) -> tuple[int, int] | None:
    """(row, column) of the 5x5 relationship grid, 0-based, or ``None`` while either level is unknown."""
    if company_level not in COMPANY_LEVELS or personal_level not in PERSONAL_LEVELS:
        return None
    return COMPANY_LEVELS.index(company_level), PERSONAL_LEVELS.index(personal_level)


def is_inactive(days_since_won: int | None, days_since_interaction: int | None, limit_days: int) -> bool:
    """No won deal and no logged interaction for ``limit_days`` (never counts as long ago)."""

    def old(days):
        return days is None or days >= limit_days

    return limit_days > 0 and old(days_since_won) and old(days_since_interaction)
