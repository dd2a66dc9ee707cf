"""The models' names and field labels, translatable (Chinese by default), in one place.

Django derives a label from a field's name ("baseline year") when the field gives none, and
that label is never translated. Giving every field ``verbose_name=_(…)`` in its definition
would change the migration state of every field (a migration altering some three hundred
fields, the historical copies included) for no change in the database. The labels are set here
instead, once the models exist: migrations read the arguments a field was defined with
(``Field._verbose_name``, ``Meta.original_attrs``), never these attributes, so
``makemigrations --check`` stays clean. Imported at the end of ``evaluation.models``, before
any form or admin class reads a label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from evaluation.models.cities import City
from evaluation.models.execution import RunChunk
from evaluation.models.ledger import LedgerEntry
from evaluation.models.outbox import OfficialNotice, OutboxTask, ReviewNotice, UndeliveredEmail
from evaluation.models.people import OfficialProfile
from evaluation.models.programmes import (
    Indicator,
    OfficialAssignment,
    Participation,
    Programme,
    Target,
)
from evaluation.models.reporting import (
    CityReminder,
    MetricValue,
    Reminder,
    Report,
    ReportComment,
)
from evaluation.models.rulesets import GradeBand, IndicatorRule, Ruleset
from evaluation.models.runs import CityResult, EvaluationRun, IndicatorResult, TrancheDecision

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# The English labels are the ones Django derives from the names (what the admin showed before);
# the Chinese ones are in the catalogue.

PERIOD = {
    "year": _("year"),
    "granularity": _("granularity"),
    "number": pgettext_lazy("the number of a period in its year", "number"),
}
PEOPLE_AND_TIMES = {
    "created_at": _("created at"),
    "created_by": _("created by"),
    "submitted_by": _("submitted by"),
    "submitted_at": _("submitted at"),
}


def label(
    model: type[models.Model], name: StrOrPromise, plural: StrOrPromise, /, **fields: StrOrPromise
) -> None:
    """Name ``model`` and its fields (and its historical model's, if it keeps a history)."""
    unknown = set(fields) - {f.name for f in model._meta.local_fields}
    assert not unknown, f"{model.__name__} has no field {sorted(unknown)}"
    targets: list[tuple[type[models.Model], StrOrPromise, StrOrPromise]] = [(model, name, plural)]
    history = getattr(model, "history", None)
    if history is not None and hasattr(history, "model"):
        targets.append(
            (
                history.model,
                format_lazy(_("historical {}"), name),
                format_lazy(_("historical {}"), plural),
            )
        )
    for target, verbose_name, verbose_name_plural in targets:
        target._meta.verbose_name = verbose_name
        target._meta.verbose_name_plural = verbose_name_plural
        for field in target._meta.local_fields:
            if field.name in fields:
                field.verbose_name = fields[field.name]


label(
    OfficialProfile,
    _("official's profile"),
    _("officials' profiles"),
    user=_("user"),
    language=_("language"),
)
label(
    OfficialNotice,
    _("notice to officials"),
    _("notices to officials"),
    report=_("report"),
    version=_("version"),
    kind=_("kind"),
    sent_at=_("sent at"),
)
label(
    City,
    _("city"),
    _("cities"),
    code=_("code"),
    name_en=_("English name"),
    name_zh=_("Chinese name"),
    province=_("province"),
)
label(
    Programme,
    _("programme"),
    _("programmes"),
    code=_("code"),
    name=_("name"),
    baseline_year=_("baseline year"),
    construction_years=_("construction years"),
    midterm_as_of=_("midterm as of"),
    total_amount_min=_("total amount min"),
    total_amount_max=_("total amount max"),
    first_tranche_min=_("first tranche min"),
    first_tranche_max=_("first tranche max"),
    release_basis=_("release basis"),
    is_active=_("is active"),
    midterm_grace_days=_("midterm grace days"),
    report_due_day=_("report due day"),
    quality_factor=_("quality factor"),
)
label(
    Participation,
    _("participation"),
    _("participations"),
    programme=_("programme"),
    city=_("city"),
    total_amount=_("total amount"),
    first_tranche=_("first tranche"),
)
label(
    OfficialAssignment,
    _("official assignment"),
    _("official assignments"),
    user=_("user"),
    participation=_("participation"),
)
label(
    Indicator,
    _("indicator"),
    _("indicators"),
    code=_("code"),
    name_en=_("English name"),
    name_zh=_("Chinese name"),
    unit=_("unit"),
    unit_zh=_("unit word (Chinese)"),
    unit_en=_("unit word (English)"),
    unit_en_one=_("unit word for one (English)"),
    position=_("position"),
)
label(
    Target,
    _("target"),
    _("targets"),
    participation=_("participation"),
    indicator=_("indicator"),
    value=_("value"),
)
label(
    Report,
    _("report"),
    _("reports"),
    **PERIOD,
    **PEOPLE_AND_TIMES,
    participation=_("participation"),
    city=_("city"),
    status=_("status"),
    version=_("version"),
    due_date=_("due date"),
    reviewed_by=_("reviewed by"),
    reviewed_at=_("reviewed at"),
    review_comment=_("review comment"),
)
label(
    Reminder,
    _("reminder"),
    _("reminders"),
    **PERIOD,
    participation=_("participation"),
    step=_("step"),
    sent_at=_("sent at"),
    recipients=_("recipients"),
)
label(
    ReportComment,
    _("comment on a report"),
    _("comments on reports"),
    report=_("report"),
    kind=_("kind"),
    author=_("author"),
    created_at=_("created at"),
    text=_("text"),
    emailed_at=_("emailed at"),
)
label(
    CityReminder,
    _("reminder to a city"),
    _("reminders to cities"),
    participation=_("participation"),
    periods=_("periods"),
    requested_by=_("requested by"),
    requested_at=_("requested at"),
    sent_at=_("sent at"),
    recipients=_("recipients"),
)
label(
    MetricValue,
    _("metric value"),
    _("metric values"),
    **PERIOD,
    submitted_by=PEOPLE_AND_TIMES["submitted_by"],
    submitted_at=PEOPLE_AND_TIMES["submitted_at"],
    city=_("city"),
    report=_("report"),
    flags=_("data-quality flags"),
    indicator=_("indicator"),
    value=_("value"),
    status=_("status"),
    approved_by=_("approved by"),
    approved_at=_("approved at"),
)
label(
    OutboxTask,
    _("outbox task"),
    _("outbox tasks"),
    task=_("task"),
    kwargs=_("kwargs"),
    created_at=_("created at"),
    dispatched_at=_("dispatched at"),
    attempts=_("attempts"),
    last_error=_("last error"),
    given_up_at=_("given up at"),
)
label(
    UndeliveredEmail,
    _("undelivered email"),
    _("undelivered emails"),
    created_at=_("created at"),
    recipients=_("recipients"),
    subject=_("subject"),
    about=_("about"),
    error=_("error"),
)
label(
    ReviewNotice,
    _("review notice"),
    _("review notices"),
    report=_("report"),
    version=_("version"),
    sent_at=_("sent at"),
)
label(
    Ruleset,
    _("ruleset"),
    _("rulesets"),
    programme=_("programme"),
    version=_("version"),
    notes=_("notes"),
    created_at=_("created at"),
    created_by=_("created by"),
    frozen_at=_("frozen at"),
    is_draft=_("draft"),
    rectification_below=_("rectification below grade"),
    rectification_days=_("rectification days"),
)
label(
    IndicatorRule,
    _("indicator rule"),
    _("indicator rules"),
    ruleset=_("ruleset"),
    indicator=_("indicator"),
    kind=_("kind"),
    floor=_("floor"),
    weight=_("weight"),
)
label(
    GradeBand,
    _("grade band"),
    _("grade bands"),
    ruleset=_("ruleset"),
    grade=_("grade"),
    min_score=_("min score"),
    release_share=_("release share"),
)
label(
    EvaluationRun,
    _("evaluation run"),
    _("evaluation runs"),
    programme=_("programme"),
    ruleset=_("ruleset"),
    as_of=_("as of"),
    kind=_("kind"),
    status=_("status"),
    trigger=_("trigger"),
    triggered_by=_("triggered by"),
    years_elapsed=_("years elapsed"),
    cities_total=_("cities total"),
    input_digest=_("input digest"),
    result_digest=_("result digest"),
    identical_to=_("identical to"),
    error=_("error"),
    created_at=_("created at"),
    started_at=_("started at"),
    finished_at=_("finished at"),
    finalised_at=_("finalised at"),
    heartbeat_at=_("last progress at"),
    start_deliveries=_("deliveries of its start"),
    start_last_error=_("last error of its start"),
)
label(
    RunChunk,
    _("chunk of the plan"),
    _("chunks of the plan"),
    run=_("evaluation run"),
    number=_("number"),
    participation_ids=_("participations"),
    city_codes=_("cities"),
    status=_("status"),
    deliveries=_("deliveries"),
    queued_at=_("sent at"),
    last_delivered_at=_("last delivered at"),
    last_error=_("last error"),
    last_error_delivery=_("delivery of the last error"),
    finished_at=_("stored at"),
)
label(
    CityResult,
    _("city result"),
    _("city results"),
    run=_("run"),
    participation=_("participation"),
    score=_("score"),
    grade=_("grade"),
    release_share=_("release share"),
    reason=_("reason"),
    input_digest=_("input digest"),
    result_digest=_("result digest"),
)
label(
    IndicatorResult,
    _("indicator result"),
    _("indicator results"),
    city_result=_("city result"),
    indicator=_("indicator"),
    position=_("position"),
    kind=_("kind"),
    status=_("status"),
    weight=_("weight"),
    full_target=_("full target"),
    target_source=_("target source"),
    target=_("target"),
    actual=_("actual"),
    attainment=_("attainment"),
    points=_("points"),
    base_value=_("base value"),
    final_value=_("final value"),
    reason=_("reason"),
)
label(
    TrancheDecision,
    _("tranche decision"),
    _("tranche decisions"),
    city_result=_("city result"),
    remaining_amount=_("remaining amount"),
    recommended_decision=_("recommended decision"),
    recommended_amount=_("recommended amount"),
    reason=_("reason"),
    status=_("status"),
    final_decision=_("final decision"),
    final_amount=_("final amount"),
    decided_by=_("decided by"),
    decided_at=_("decided at"),
    override_reason=_("override reason"),
)
label(
    LedgerEntry,
    _("ledger entry"),
    _("ledger entries"),
    seq=_("entry number"),
    at=_("at"),
    subject=_("subject"),
    object_id=_("record number"),
    action=_("action"),
    actor=_("actor's user number"),
    actor_name=_("actor"),
    state=_("state"),
    previous=_("digest of the entry before"),
    digest=_("digest"),
)
