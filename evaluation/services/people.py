"""Who is who: city officials bound to participations, and the ministry's roles."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.db import transaction

from evaluation.access import ADMINISTRATORS, REVIEWERS
from evaluation.models import OfficialAssignment, Participation

ROLES = {"reviewer": REVIEWERS, "administrator": ADMINISTRATORS}


@transaction.atomic
def official_assign(
    *, user: User, participation: Participation, by: User | None
) -> OfficialAssignment:
    """Bind ``user`` to a city's participation (again: no change)."""
    assignment = OfficialAssignment.objects.filter(user=user, participation=participation).first()
    if assignment is None:
        assignment = OfficialAssignment(user=user, participation=participation)
        assignment._history_user = by  # type: ignore[attr-defined]
        assignment.save()
    return assignment


@transaction.atomic
def role_grant(*, user: User, role: str) -> None:
    """Make ``user`` a ministry reviewer or administrator, with access to the admin."""
    user.groups.add(Group.objects.get(name=ROLES[role]))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
