"""Reads of the spot checks for the checkers' pages: a checker sees the sampled items (every
value a spot check picked), and nothing else; anyone else sees none."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from evaluation.access import is_checker
from evaluation.exceptions import NotFound
from evaluation.models import EvaluationRun, SpotCheckItem


def spot_check_items_for(user: User | AnonymousUser) -> QuerySet[SpotCheckItem]:
    """The items ``user`` may see: every sampled item for a checker, none for anyone else."""
    queryset = SpotCheckItem.objects.select_related(
        "spot_check__programme", "metric_value__city", "metric_value__indicator", "checker"
    )
    if not is_checker(user):
        return queryset.none()
    return queryset.order_by("checked_at", "metric_value__city__code", "pk")


def read_since(item: SpotCheckItem) -> EvaluationRun | None:
    """A run that started after the item's verified value was recorded, of a programme of the
    value's city: it has read the value, so the value can no longer change (a new spot check
    supersedes it)."""
    if item.checked_at is None:
        return None
    return (
        EvaluationRun.objects.filter(
            programme__participations__city_id=item.metric_value.city_id,
            started_at__gte=item.checked_at,
        )
        .order_by("started_at")
        .first()
    )


@dataclass(frozen=True)
class CheckItem:
    """A sampled item on the checker's page, and the run that has read its verified value
    since it was recorded (it can no longer change), if any."""

    item: SpotCheckItem
    read_by_run: int | None


def spot_check_item(*, pk: int, fetched_by: User | AnonymousUser) -> CheckItem:
    item = spot_check_items_for(fetched_by).filter(pk=pk).first()
    if item is None:
        raise NotFound()
    run = read_since(item)
    return CheckItem(item, run.pk if run is not None else None)
