"""A city's self-evaluation (自评) ready for review, for the admin's, the API's and the
emails' tests: every target met but the operation centres (1 of the 2 the mid-term pro-rates),
so one shortfall, explained, and the self-evaluation submitted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from evaluation.models import MetricValue, Participation, Programme, SelfEvaluation
from evaluation.services import self_evaluation as service
from tests.factories import meet_every_target

MIDTERM = dt.date(2021, 12, 31)
REASON = "第二个中心选址推迟"
MEASURES = "2022年6月前建成"


def with_a_shortfall(participation: Participation) -> Participation:
    meet_every_target(participation.city)
    MetricValue.objects.filter(city=participation.city, indicator__code="operation_centres").update(
        value=Decimal(1)
    )
    return participation


def provincial(programme: Programme, on: bool = True) -> None:
    """The programme uses the provincial review (省级复核), or not."""
    Programme.objects.filter(pk=programme.pk).update(provincial_review=on)
    programme.refresh_from_db()


def submitted_self_evaluation(participation: Participation, official: Any) -> SelfEvaluation:
    item = service.self_evaluation_prepare(participation=participation, as_of=MIDTERM, by=official)
    item = service.self_evaluation_explain(
        self_evaluation=item,
        explanations={"operation_centres": (REASON, MEASURES)},
        summary="总体进展顺利",
        by=official,
    )
    return service.self_evaluation_submit(self_evaluation=item, by=official)


def prepared_and_explained(participation: Participation, official: Any) -> SelfEvaluation:
    """The mid-term self-evaluation prepared, every shortfall given a reason and measures,
    whatever the city's figures: ready to submit."""
    item = service.self_evaluation_prepare(participation=participation, as_of=MIDTERM, by=official)
    short = item.lines.filter(short=True).values_list("indicator__code", flat=True)
    return service.self_evaluation_explain(
        self_evaluation=item,
        explanations={code: (REASON, MEASURES) for code in short},
        by=official,
    )
