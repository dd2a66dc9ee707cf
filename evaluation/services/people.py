"""Who is who: user accounts, city officials bound to participations, and the ministry's roles.
Every role grant or revocation is recorded (``RoleChange``) with the acting user, in the same
transaction."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from evaluation.access import require_administrator
from evaluation.exceptions import FieldError, WorkflowError
from evaluation.models import OfficialAssignment, Participation, ProvincialReviewer, RoleChange
from evaluation.provinces import province_error
from evaluation.selectors import ROLES, roles_of
from evaluation.services.audit import audited_save

# The roles that work in the ministry's admin; an expert works on the panel's own pages.
STAFF_ROLES = {RoleChange.Role.REVIEWER, RoleChange.Role.ADMINISTRATOR}


@transaction.atomic
def user_create(*, username: str, password: str, email: str = "", by: User | None) -> User:
    """Create the account ``username`` with ``password`` (checked by the password validators),
    or, if it exists, set its password (and email, when given): safe to run again."""
    if by is not None:
        require_administrator(by)
    user = User.objects.filter(username=username).first() or User(username=username)
    validate_password(password, user)
    user.set_password(password)
    if email:
        user.email = email
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def official_assign(
    *, user: User, participation: Participation, by: User | None
) -> OfficialAssignment:
    """Bind ``user`` to a city's participation (again: no change)."""
    assignment = OfficialAssignment.objects.filter(user=user, participation=participation).first()
    if assignment is None:
        assignment = audited_save(
            OfficialAssignment(user=user, participation=participation),
            by=by,
            reason=None,
            clean=False,
        )
    return assignment


@transaction.atomic
def role_grant(*, user: User, role: str, by: User | None = None) -> bool:
    """Make ``user`` a ministry reviewer or administrator, with access to the admin. Only an
    administrator (or the system, ``by=None``) grants roles. Returns whether anything changed;
    a change is recorded with ``by``."""
    if by is not None:
        require_administrator(by)
    group = Group.objects.get(name=ROLES[RoleChange.Role(role)])
    changed = not user.groups.filter(pk=group.pk).exists()
    if changed:
        user.groups.add(group)
        RoleChange.objects.create(user=user, role=role, change=RoleChange.Change.GRANTED, by=by)
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_evaluation_groups", None)
    return changed


@transaction.atomic
def role_revoke(*, user: User, role: str, by: User | None = None) -> bool:
    """Take a ministry role away from ``user`` (recorded with ``by``); the account stays."""
    if by is not None:
        require_administrator(by)
    group = Group.objects.get(name=ROLES[RoleChange.Role(role)])
    changed = user.groups.filter(pk=group.pk).exists()
    if changed:
        user.groups.remove(group)
        RoleChange.objects.create(user=user, role=role, change=RoleChange.Change.REVOKED, by=by)
    user.__dict__.pop("_evaluation_groups", None)
    if changed and user.is_staff and not user.is_superuser and not roles_of(user) & STAFF_ROLES:
        # No role left: no business in the admin either.
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    return changed


@transaction.atomic
def roles_set(*, user: User, roles: Iterable[str], by: User | None) -> None:
    """Give ``user`` exactly ``roles``: each grant and revocation recorded with ``by``."""
    wanted = set(roles)
    for role in ROLES:
        if role in wanted:
            role_grant(user=user, role=role, by=by)
        else:
            role_revoke(user=user, role=role, by=by)


@transaction.atomic
def province_bind(*, user: User, province: str, by: User | None = None) -> ProvincialReviewer:
    """Bind a provincial reviewer to the province whose cities they review (the two digits of
    its division codes), and grant the role: both recorded, in one transaction. A reviewer is
    bound to one province; binding again moves them."""
    if by is not None:
        require_administrator(by)
    problem = province_error(province)
    if problem is not None:
        raise WorkflowError([FieldError("province", problem, "province_unknown")])
    binding = ProvincialReviewer.objects.filter(user=user).first() or ProvincialReviewer(user=user)
    if binding.pk is None or binding.province != province:
        binding.province = province
        audited_save(binding, by=by, reason=None)
    role_grant(user=user, role=RoleChange.Role.PROVINCE, by=by)
    user.__dict__.pop("_evaluation_province", None)
    return binding
