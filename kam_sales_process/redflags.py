"""Red flags (地雷) of a deal's buying centre.

Plain values in, red flag codes out; the Odoo layer gathers the stakeholders of
many deals in one query and calls :func:`red_flags` per deal.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
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


def red_flags(
    people: Iterable[Person],
    core_role_ids: Collection,
    coach_role_ids: Collection,
    today: date,
    new_face_days: int = 14,
) -> set[str]:
    """The red flag codes raised by a deal's buying centre.

    - ``role_missing``: a core role is held by nobody;
    - ``no_coach``: nobody is our coach;
    - ``core_not_met``: someone holding a core role was never met or contacted;
    - ``new_face``: someone joined more than ``new_face_days`` days ago and
      nobody has been in touch since they joined;
    - ``identity_changed``: someone's position, company or status changed
      since they were tagged, and nobody reviewed them yet.
    """
    people = list(people)
    held = set().union(*(p.role_ids for p in people)) if people else set()
    flags = set()
    if set(core_role_ids) - held:
        flags.add(ROLE_MISSING)
    if not held & set(coach_role_ids):
        flags.add(NO_COACH)
    core = set(core_role_ids)
    if any(p.role_ids & core and not p.contacted for p in people):
        flags.add(CORE_NOT_MET)
    deadline = today - timedelta(days=new_face_days)
    if any(p.added_on <= deadline and (p.last_contact is None or p.last_contact < p.added_on) for p in people):
        flags.add(NEW_FACE)
    if any(p.identity_changed for p in people):
        flags.add(IDENTITY_CHANGED)
    return flags
