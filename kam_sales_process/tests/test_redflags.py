"""Red flag rules, without Odoo."""

from datetime import date

from kam_sales_process.redflags import (
    CORE_NOT_MET,
    IDENTITY_CHANGED,
    NEW_FACE,
    NO_COACH,
    ROLE_MISSING,
    Person,
    red_flags,
)

DECISION, TECHNICAL, USER, COACH = 1, 2, 3, 5
CORE = {DECISION, TECHNICAL, USER}
TODAY = date(2026, 11, 22)
LONG_AGO = date(2026, 10, 1)


def person(*roles, contacted=True, added_on=LONG_AGO, last_contact=LONG_AGO, identity_changed=False):
    return Person(frozenset(roles), contacted, added_on, last_contact, identity_changed)


def flags(*people, new_face_days=14):
    return red_flags(people, CORE, {COACH}, TODAY, new_face_days)


def test_a_complete_buying_centre_raises_nothing():
    assert flags(person(DECISION), person(TECHNICAL, USER), person(COACH)) == set()


def test_an_empty_buying_centre_misses_core_roles_and_a_coach():
    assert flags() == {ROLE_MISSING, NO_COACH}


def test_core_role_missing():
    assert flags(person(DECISION), person(TECHNICAL), person(COACH)) == {ROLE_MISSING}


def test_no_coach():
    assert flags(person(DECISION, TECHNICAL, USER)) == {NO_COACH}


def test_core_buyer_never_met():
    centre = (person(DECISION, contacted=False, last_contact=None), person(TECHNICAL, USER), person(COACH))
    assert CORE_NOT_MET in flags(*centre)
    # A coach never met is no core buyer.
    assert CORE_NOT_MET not in flags(person(DECISION, TECHNICAL, USER), person(COACH, contacted=False))


def test_new_face_not_followed_up_after_the_threshold():
    newcomer = person(COACH, contacted=False, added_on=date(2026, 11, 1), last_contact=None)
    base = (person(DECISION, TECHNICAL, USER),)
    assert NEW_FACE in flags(*base, newcomer)
    # Within the threshold: not yet a flag.
    assert NEW_FACE not in flags(*base, newcomer, new_face_days=30)
    # Contacted after joining: followed up.
    followed = person(COACH, added_on=date(2026, 11, 1), last_contact=date(2026, 11, 3))
    assert NEW_FACE not in flags(*base, followed)
    # Only an old contact, from before joining this deal: not followed up.
    stale = person(COACH, added_on=date(2026, 11, 1), last_contact=date(2026, 10, 1))
    assert NEW_FACE in flags(*base, stale)


def test_threshold_edge_is_inclusive():
    newcomer = person(COACH, contacted=False, added_on=date(2026, 11, 8), last_contact=None)
    assert NEW_FACE in flags(person(DECISION, TECHNICAL, USER), newcomer, new_face_days=14)
    assert NEW_FACE not in flags(person(DECISION, TECHNICAL, USER), newcomer, new_face_days=15)


def test_identity_changed():
    assert flags(person(DECISION, TECHNICAL, USER), person(COACH, identity_changed=True)) == {IDENTITY_CHANGED}
