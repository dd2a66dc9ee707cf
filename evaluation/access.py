"""Who may see and do what. Every read and write of city data goes through these, whether it
comes from the API, the admin or a command, so a city official only ever reaches the cities
they are bound to."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from evaluation.exceptions import Forbidden, NotFound
from evaluation.models import CityResult, EvaluationRun, Participation, Report

__all__ = ["Forbidden", "NotFound"]

REVIEWERS = "reviewers"
ADMINISTRATORS = "administrators"
EXPERTS = "experts"
PROVINCIAL_REVIEWERS = "provincial reviewers"
CHECKERS = "checkers"


def _groups(user: User | AnonymousUser) -> set[str]:
    cached: set[str] | None = getattr(user, "_evaluation_groups", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        user._evaluation_groups = cached  # type: ignore[union-attr]
    return cached


def is_administrator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or ADMINISTRATORS in _groups(user)))


def is_reviewer(user: User | AnonymousUser) -> bool:
    """Ministry reviewers (and administrators) review every city's data."""
    return is_administrator(user) or REVIEWERS in _groups(user)


def is_expert(user: User | AnonymousUser) -> bool:
    """A member of the expert panels (``grant_role NAME expert``): scores the tasks of the
    cities they are assigned to, and sees nothing else."""
    return bool(user.is_authenticated and EXPERTS in _groups(user))


def reviewer_province(user: User | AnonymousUser) -> str | None:
    """The province a provincial reviewer (``grant_role NAME province --province 34``) reviews
    for: the two digits its cities' division codes start with; None for anyone else (a
    provincial reviewer without a binding reviews nothing)."""
    if not (user.is_authenticated and PROVINCIAL_REVIEWERS in _groups(user)):
        return None
    cached: str | None = getattr(user, "_evaluation_province", None)
    if cached is None:
        from evaluation.models import ProvincialReviewer

        binding = ProvincialReviewer.objects.filter(user=user).first()
        cached = binding.province if binding is not None else ""
        user._evaluation_province = cached  # type: ignore[attr-defined]
    return cached or None


def province_participations_for(user: User | AnonymousUser) -> QuerySet[Participation]:
    """The participations a provincial reviewer reviews: those of its province's cities in a
    programme that uses the provincial review. Nobody else's, and none for anyone else (the
    ministry's reviewers review from the admin)."""
    queryset = Participation.objects.select_related("programme", "city")
    province = reviewer_province(user)
    if province is None:
        return queryset.none()
    return queryset.filter(city__code__startswith=province, programme__provincial_review=True)


def require_province_of(user: User | AnonymousUser, participation: Participation) -> None:
    """Only a provincial reviewer of the city's province acts for the province; to anyone
    else a province's step on the city does not exist (a ministry reviewer is told why)."""
    if province_participations_for(user).filter(pk=participation.pk).exists():
        return
    if is_reviewer(user):
        raise Forbidden(gettext("only a reviewer of the city's province may do this"))
    raise NotFound()


def is_checker(user: User | AnonymousUser) -> bool:
    """The ministry's spot checkers (``grant_role NAME checker``): record the verified values of
    the spot checks' sampled items, and see nothing else."""
    return bool(user.is_authenticated and CHECKERS in _groups(user))


def participations_for(user: User | AnonymousUser) -> QuerySet[Participation]:
    """The participations ``user`` may see: all for reviewers, their own for officials."""
    queryset = Participation.objects.select_related("programme", "city")
    if not user.is_authenticated:
        return queryset.none()
    if is_reviewer(user):
        return queryset
    return queryset.filter(officials__user=user)


def reports_for(user: User | AnonymousUser) -> QuerySet[Report]:
    queryset = Report.objects.select_related("participation__programme", "participation__city")
    if not user.is_authenticated:
        return queryset.none()
    if is_reviewer(user):
        return queryset
    return queryset.filter(participation__officials__user=user)


def province_reports_for(user: User | AnonymousUser) -> QuerySet[Report]:
    """The reports a provincial reviewer reviews: its province's cities' in a programme with
    the provincial review (none for anyone else)."""
    return Report.objects.select_related("participation__programme", "participation__city").filter(
        participation__in=province_participations_for(user)
    )


def city_results_for(user: User | AnonymousUser) -> QuerySet[CityResult]:
    """The one rule of who sees a city's result, called by the API (its list and filters), the
    portal, the scorecards and every document: only the results of a run that succeeded (a
    run still going, or failed, has no result yet); reviewers see every city's; a city's
    officials see their own city's of a provisional run at once (it is for information) and of
    an official run only once it is finalised (before that its amounts are not decided)."""
    queryset = CityResult.objects.filter(run__status=EvaluationRun.Status.SUCCEEDED)
    if not user.is_authenticated:
        return queryset.none()
    if is_reviewer(user):
        return queryset
    return queryset.filter(participation__officials__user=user).filter(
        Q(run__kind=EvaluationRun.Kind.PROVISIONAL) | Q(run__finalised_at__isnull=False)
    )


def get_or_not_found(queryset: QuerySet[Any], **lookup: Any) -> Any:
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise NotFound() from None


def require_reviewer(user: User | AnonymousUser) -> None:
    if not is_reviewer(user):
        raise Forbidden(gettext("only ministry reviewers may do this"))


def require_administrator(user: User | AnonymousUser) -> None:
    if not is_administrator(user):
        raise Forbidden(gettext("only administrators may do this"))


def require_official_of(user: User | AnonymousUser, participation: Participation) -> None:
    """Officials act for their own cities only; to anyone else the city's data does not exist.
    Reviewers may read but do not fill in a city's report."""
    if not user.is_authenticated:
        raise NotFound()
    if participation.officials.filter(user=user).exists():
        return
    if is_reviewer(user):
        raise Forbidden(gettext("reports are filled in and submitted by the city's officials"))
    raise NotFound()
