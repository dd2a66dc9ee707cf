"""The city's self-evaluation (自评) and its review: an official prepares it for an evaluation
date from the engine's figures, writes the reason for each shortfall (偏差原因) and the measures
(整改措施), and submits it, frozen; where the programme uses the provincial review, a reviewer
of the city's province returns it with a comment or forwards it to the ministry with its
opinion (复核意见), and the ministry accepts or returns what was forwarded (otherwise the
ministry reviews it directly). Which step is allowed when, and why not, is the workflow table
(``workflow.SELF_EVALUATION``); each service checks, then writes with its history rows in one
transaction. A refused request changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evaluation import vocabulary, workflow
from evaluation.access import require_official_of, require_province_of, require_reviewer
from evaluation.exceptions import FieldError, Locked, WorkflowError
from evaluation.models import (
    Indicator,
    Participation,
    ProvincialOpinion,
    SelfEvaluation,
    SelfEvaluationLine,
)
from evaluation.reasons import history_reason
from evaluation.scoring import EvaluationError
from evaluation.self_evaluations import engine_figures, evaluation_dates, is_short
from evaluation.services.audit import audited_save
from evaluation.services.races import once_more_after_a_race

LIFECYCLE = workflow.SELF_EVALUATION
PROVINCE_REASONS = {"forward": "province_forwarded", "send_back": "province_returned"}
TEXT_LENGTH = 2000
LINE_FIELDS = (
    "position",
    "kind",
    "status",
    "weight",
    "full_target",
    "target",
    "actual",
    "attainment",
    "points",
    "short",
)


def _raise(refusal: workflow.Refusal) -> None:
    if refusal.locked:
        raise Locked(refusal.reason, refusal.code)
    raise WorkflowError([FieldError(refusal.field, refusal.reason, refusal.code)])


def _locked(item: SelfEvaluation) -> SelfEvaluation:
    return (
        # Its own row only: not its participation, city and programme (which every city shares)
        # that the join reaches.
        SelfEvaluation.objects.select_for_update(of=("self",))
        .select_related("participation__programme", "participation__city")
        .get(pk=item.pk)
    )


def _check_step(item: SelfEvaluation, step: str, *, by: User) -> bool:
    """Whether ``by`` may take ``step`` now: who (the city's officials, its province's
    reviewers, the ministry's), and the table. True: already taken (nothing changes)."""
    chosen = LIFECYCLE.step(step)
    if chosen.actor == workflow.Actor.OFFICIAL:
        require_official_of(by, item.participation)
    elif chosen.actor == workflow.Actor.PROVINCE:
        require_province_of(by, item.participation)
    else:
        require_reviewer(by)
    if LIFECYCLE.is_done(step, item.status):
        return True
    refusal = LIFECYCLE.refusal(
        step, item.status, provincial=item.participation.programme.provincial_review
    )
    if refusal is not None:
        _raise(refusal)
    return False


def _text(step: str, text: str) -> str:
    text = text.strip()
    refusal = LIFECYCLE.missing(step, text)
    if refusal is not None:
        _raise(refusal)
    _length(refusal_field=LIFECYCLE.step(step).needs or "text", text=text)
    return text


def _length(*, refusal_field: str, text: str) -> None:
    if len(text) > TEXT_LENGTH:
        raise WorkflowError(
            [
                FieldError(
                    refusal_field,
                    gettext("a text is at most %(limit)s characters; this one has %(n)s")
                    % {"limit": TEXT_LENGTH, "n": len(text)},
                    "text_too_long",
                )
            ]
        )


def _refresh(item: SelfEvaluation, *, by: User) -> None:
    """The engine's figures at the evaluation date as they stand now, written on the
    self-evaluation and its lines; the city's reasons kept by indicator."""
    try:
        outcome = engine_figures(participation=item.participation, as_of=item.as_of)
    except EvaluationError as exc:
        raise WorkflowError(
            [
                FieldError(
                    None,
                    gettext("the figures cannot be scored at %(date)s: %(why)s")
                    % {"date": item.as_of.isoformat(), "why": "; ".join(exc.messages)},
                    "self_evaluation_not_scored",
                )
            ]
        ) from None
    now = timezone.now()
    item.figures = {
        "score": f"{outcome.score:.2f}",
        "grade": outcome.grade,
        "amount": f"{outcome.amount:.2f}",
        "remaining": f"{outcome.remaining_amount:.2f}",
        "computed_at": now.isoformat(),
    }
    item.prepared_at = now
    indicators = {i.code: i for i in Indicator.objects.all()}
    existing = {line.indicator.code: line for line in item.lines.select_related("indicator")}
    wanted = set()
    for position, result in enumerate(outcome.indicators):
        wanted.add(result.indicator)
        line = existing.get(result.indicator) or SelfEvaluationLine(
            self_evaluation=item, indicator=indicators[result.indicator]
        )
        line.position = position
        line.kind = result.kind
        line.status = result.status.value
        line.weight = result.weight
        line.full_target = result.full_target
        line.target = result.target
        line.actual = result.actual
        line.attainment = result.attainment
        line.points = result.points
        line.short = is_short(result.status.value)
        audited_save(line, by=by, reason=history_reason("self_evaluation_computed"))
    for code, line in existing.items():
        if code not in wanted:
            line.delete()


@transaction.atomic
@once_more_after_a_race
def self_evaluation_prepare(
    *, participation: Participation, as_of: dt.date, by: User
) -> SelfEvaluation:
    """Begin (or bring up to date) the city's self-evaluation for the evaluation date
    ``as_of``: the engine's figures now. Only while it is open to the city."""
    require_official_of(by, participation)
    if as_of not in evaluation_dates(programme=participation.programme):
        raise WorkflowError(
            [
                FieldError(
                    "as_of",
                    gettext("%(date)s is not an evaluation date of programme %(programme)s")
                    % {"date": as_of.isoformat(), "programme": participation.programme.code},
                    "not_an_evaluation_date",
                )
            ]
        )
    item = SelfEvaluation.objects.filter(participation=participation, as_of=as_of).first()
    if item is None:
        item = SelfEvaluation(participation=participation, as_of=as_of)
        audited_save(item, by=by, reason=history_reason("self_evaluation_begun"))
    item = _locked(item)
    _check_step(item, "edit", by=by)
    _refresh(item, by=by)
    item.version += 1
    return audited_save(item, by=by, reason=history_reason("self_evaluation_computed"))


@transaction.atomic
def self_evaluation_explain(
    *,
    self_evaluation: SelfEvaluation,
    explanations: Mapping[str, tuple[str, str]],
    summary: str | None = None,
    by: User,
) -> SelfEvaluation:
    """Write the city's reason for each shortfall and its measures (by indicator code), and
    its summary. Saved as they are: completeness is checked on submission."""
    item = _locked(self_evaluation)
    _check_step(item, "edit", by=by)
    lines = {line.indicator.code: line for line in item.lines.select_related("indicator")}
    errors = []
    for code, (reason, measures) in explanations.items():
        line = lines.get(code)
        if line is None:
            errors.append(
                FieldError(
                    f"reason-{code}",
                    gettext("%(code)s is not an indicator of this self-evaluation")
                    % {"code": code},
                    "unknown_indicator",
                )
            )
            continue
        for name, text in ((f"reason-{code}", reason), (f"measures-{code}", measures)):
            if len(text.strip()) > TEXT_LENGTH:
                errors.append(
                    FieldError(
                        name,
                        gettext("a text is at most %(limit)s characters; this one has %(n)s")
                        % {"limit": TEXT_LENGTH, "n": len(text.strip())},
                        "text_too_long",
                    )
                )
    if summary is not None and len(summary.strip()) > TEXT_LENGTH:
        errors.append(
            FieldError(
                "summary",
                gettext("a text is at most %(limit)s characters; this one has %(n)s")
                % {"limit": TEXT_LENGTH, "n": len(summary.strip())},
                "text_too_long",
            )
        )
    if errors:
        raise WorkflowError(errors)
    for code, (reason, measures) in explanations.items():
        line = lines[code]
        if (line.shortfall_reason, line.measures) != (reason.strip(), measures.strip()):
            line.shortfall_reason, line.measures = reason.strip(), measures.strip()
            audited_save(line, by=by, reason=history_reason("shortfall_explained"))
    if summary is not None:
        item.summary = summary.strip()
    item.version += 1
    return audited_save(item, by=by, reason=history_reason("self_evaluation_saved"))


def unexplained(item: SelfEvaluation) -> list[FieldError]:
    """A refusal for each indicator below its target without a reason or measures, naming it
    in the reader's language."""
    errors = []
    for line in item.lines.select_related("indicator"):
        if not line.short:
            continue
        name = vocabulary.indicator_name(line.indicator)
        if not line.shortfall_reason.strip():
            errors.append(
                FieldError(
                    f"reason-{line.indicator.code}",
                    gettext(
                        "%(indicator)s is below its target: write the reason for the "
                        "shortfall (偏差原因)"
                    )
                    % {"indicator": name},
                    "shortfall_reason_required",
                )
            )
        if not line.measures.strip():
            errors.append(
                FieldError(
                    f"measures-{line.indicator.code}",
                    gettext(
                        "%(indicator)s is below its target: write the measures the city "
                        "will take (整改措施)"
                    )
                    % {"indicator": name},
                    "measures_required",
                )
            )
    return errors


@transaction.atomic
def self_evaluation_submit(*, self_evaluation: SelfEvaluation, by: User) -> SelfEvaluation:
    """Submit the self-evaluation: its figures computed once more, then frozen; refused, naming
    each indicator, while a shortfall is unexplained."""
    item = _locked(self_evaluation)
    if _check_step(item, "submit", by=by):
        return item
    _refresh(item, by=by)
    errors = unexplained(item)
    if errors:
        raise WorkflowError(errors)
    item.status = LIFECYCLE.target_of("submit")
    item.submitted_by, item.submitted_at = by, timezone.now()
    item.version += 1
    return audited_save(item, by=by, reason=history_reason("self_evaluation_submitted"))


def _province_step(item: SelfEvaluation, step: str, *, text: str, by: User) -> SelfEvaluation:
    item = _locked(item)
    _check_step(item, step, by=by)
    ProvincialOpinion.objects.create(self_evaluation=item, step=step, text=text, by=by)
    item.status = LIFECYCLE.target_of(step)
    if step == "send_back":
        item.review_comment = text
    item.version += 1
    return audited_save(item, by=by, reason=history_reason(PROVINCE_REASONS[step], text=text))


@transaction.atomic
def self_evaluation_forward(
    *, self_evaluation: SelfEvaluation, opinion: str, by: User
) -> SelfEvaluation:
    """The province forwards the self-evaluation to the ministry with its opinion."""
    return _province_step(self_evaluation, "forward", text=_text("forward", opinion), by=by)


@transaction.atomic
def self_evaluation_send_back(
    *, self_evaluation: SelfEvaluation, comment: str, by: User
) -> SelfEvaluation:
    """The province returns the self-evaluation to the city, saying what to fix."""
    return _province_step(self_evaluation, "send_back", text=_text("send_back", comment), by=by)


@transaction.atomic
def self_evaluation_accept(*, self_evaluation: SelfEvaluation, by: User) -> SelfEvaluation:
    """The ministry accepts the self-evaluation (after the province forwarded it, where the
    programme uses the provincial review)."""
    item = _locked(self_evaluation)
    if _check_step(item, "accept", by=by):
        return item
    item.status = LIFECYCLE.target_of("accept")
    item.reviewed_by, item.reviewed_at = by, timezone.now()
    item.version += 1
    return audited_save(item, by=by, reason=history_reason("self_evaluation_accepted"))


@transaction.atomic
def self_evaluation_return(
    *, self_evaluation: SelfEvaluation, comment: str, by: User
) -> SelfEvaluation:
    """The ministry returns the self-evaluation to the city with a comment."""
    comment = _text("return", comment)
    item = _locked(self_evaluation)
    _check_step(item, "return", by=by)
    item.status = LIFECYCLE.target_of("return")
    item.reviewed_by, item.reviewed_at = by, timezone.now()
    item.review_comment = comment
    item.version += 1
    return audited_save(item, by=by, reason=history_reason("report_returned", text=comment))
