"""Red flags (地雷) of a deal's buying centre.

Plain values in, red flag codes out; the Odoo layer gathers the stakeholders of
many deals in one query and calls :func:`red_flags` per deal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

ROLE_MISSING = "role_missing"
NO_COACH = "no_coach"
CORE_NOT_MET = "core_not_met"
NEW_FACE = "new_face"
IDENTITY_CHANGED = "identity_changed"
CODES = (ROLE_MISSING, NO_COACH, CORE_NOT_MET, NEW_FACE, IDENTITY_CHANGED)


@dataclass(frozen=True)
class Person:
    """One stakeholder of a deal, as the red flag rules see it."""

    role_ids: frozenset
    contacted: bool
    added_on: date
    last_contact: date | None = None
    identity_changed: bool = False


@dataclass(frozen=True)
class Situation:
    """A deal's buying centre and what its red flag rules compare it with."""

    people: tuple[Person, ...]
    core_role_ids: frozenset
    coach_role_ids: frozenset
    today: date
    new_face_days: int = 14
    #: What extension rules need besides (e.g. a role id), filled by the Odoo layer.
    extra: Mapping = field(default_factory=dict)

    @property
    def held(self) -> frozenset:
        """Every role somebody holds."""
        return frozenset().union(*(p.role_ids for p in self.people))


@dataclass(frozen=True)
class FlagRule:
    """One red flag: its code, its English label and guidance, how it looks, and when it is raised."""

    code: str
    label: str
    description: str
    raised: Callable[[Situation], bool]
    sequence: int = 10
    color: int = 1
    #: The addon that ships the flag (its record is named after it).
    module: str = "kam_sales_process"


def _role_missing(s: Situation) -> bool:
    return bool(s.core_role_ids - s.held)


def _no_coach(s: Situation) -> bool:
    return not s.held & s.coach_role_ids


def _core_not_met(s: Situation) -> bool:
    return any(p.role_ids & s.core_role_ids and not p.contacted for p in s.people)


def _new_face(s: Situation) -> bool:
    deadline = s.today - timedelta(days=s.new_face_days)
    return any(p.added_on <= deadline and (p.last_contact is None or p.last_contact < p.added_on) for p in s.people)


def _identity_changed(s: Situation) -> bool:
    return any(p.identity_changed for p in s.people)


#: The shipped red flags (地雷): the one registry behind the flag records, their codes and the compute.
RULES: tuple[FlagRule, ...] = (
    FlagRule(
        ROLE_MISSING,
        "Core role missing",
        "Nobody holds one of the core buying roles (decision maker, technical buyer, user buyer): find out who it is.",
        _role_missing,
        sequence=10,
        color=1,
    ),
    FlagRule(
        NO_COACH,
        "No coach",
        "Nobody inside the customer guides us: find a coach (内线).",
        _no_coach,
        sequence=20,
        color=2,
    ),
    FlagRule(
        CORE_NOT_MET,
        "Core buyer never met",
        "A core buyer is identified but nobody of our team has met or contacted them.",
        _core_not_met,
        sequence=30,
        color=3,
    ),
    FlagRule(
        NEW_FACE,
        "New face not followed up",
        "Someone joined the buying circle and nobody has been in touch since (threshold in Settings).",
        _new_face,
        sequence=40,
        color=4,
    ),
    FlagRule(
        IDENTITY_CHANGED,
        "Identity changed",
        "A person's position, company or status changed after tagging: review the decision-chain map.",
        _identity_changed,
        sequence=50,
        color=9,
    ),
)


def red_flags(
    people: Iterable[Person],
    core_role_ids: Collection,
    coach_role_ids: Collection,
    today: date,
    new_face_days: int = 14,
    *,
    rules: Sequence[FlagRule] = RULES,
    extra: Mapping | None = None,
) -> set[str]:
    """The red flag codes raised by a deal's buying centre, one per rule of ``rules`` that holds.

    The shipped rules (:data:`RULES`):

    - ``role_missing``: a core role is held by nobody;
    - ``no_coach``: nobody is our coach;
    - ``core_not_met``: someone holding a core role was never met or contacted;
    - ``new_face``: someone joined more than ``new_face_days`` days ago and
      nobody has been in touch since they joined;
    - ``identity_changed``: someone's position, company or status changed
      since they were tagged, and nobody reviewed them yet.
    """
    situation = Situation(
        tuple(people), frozenset(core_role_ids), frozenset(coach_role_ids), today, new_face_days, extra or {}
    )
    return {rule.code for rule in rules if rule.raised(situation)}
