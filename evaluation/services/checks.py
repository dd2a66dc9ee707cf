"""The ministry's spot checks (抽查): a reviewer draws a sample of approved values, a checker
records the verified value of each sampled item with a note and evidence, or a file of verified
values is loaded (``import_spot_checks``). Each write in one transaction with its history rows
and ledger entries (a verified value decides money)."""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from evaluation.access import is_checker, is_reviewer, require_reviewer
from evaluation.check_selectors import read_since
from evaluation.exceptions import (
    FieldError,
    Forbidden,
    ImportRefused,
    Locked,
    Reason,
    RowError,
    WorkflowError,
    reason_of,
)
from evaluation.inputs import parse_number
from evaluation.models import (
    MetricValue,
    Participation,
    Programme,
    SpotCheck,
    SpotCheckItem,
)
from evaluation.scoring import Period, PeriodError
from evaluation.selectors import ruleset_current
from evaluation.services.audit import audited_bulk_create, audited_save
from evaluation.services.evidence import evidence_file_errors, evidence_file_stored
from evaluation.services.imports import ImportSummary, dry_run_end
from evaluation.services.part_files import (
    duplicate,
    participation_of_row,
    participations_of_rows,
    required,
)
from evaluation.tabular import read_table

SPOT_CHECK_COLUMNS = ("city_code", "period", "indicator", "verified_value")


@dataclass(frozen=True)
class Candidate:
    """An approved value that can be drawn, with the points it carries: the indicator's weight
    times the value's share of the city's approved figures of that indicator."""

    value: MetricValue
    points: Decimal

    @property
    def key(self) -> tuple[str, str, int, str, int]:
        v = self.value
        return (v.city.code, v.indicator.code, v.year, v.granularity, v.number)


def draw_candidates(*, programme: Programme) -> dict[str, list[Candidate]]:
    """Each participating city's approved values of the current ruleset's reported indicators
    from the baseline year on, with the points each carries, in a fixed order (city, indicator,
    period) so the same data give the same list (two queries)."""
    ruleset = ruleset_current(programme=programme)
    weights = dict(ruleset.rules.reported().values_list("indicator_id", "weight"))
    values = list(
        MetricValue.objects.filter(
            city__participations__programme=programme,
            status=MetricValue.Status.APPROVED,
            indicator_id__in=list(weights),
            year__gte=programme.baseline_year,
        ).select_related("city", "indicator")
    )
    sums: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for v in values:
        sums[(v.city_id, v.indicator_id)] += v.value
        counts[(v.city_id, v.indicator_id)] += 1
    out: dict[str, list[Candidate]] = defaultdict(list)
    for v in values:
        whole = sums[(v.city_id, v.indicator_id)]
        weight = weights[v.indicator_id]
        share = v.value / whole if whole else Decimal(1) / counts[(v.city_id, v.indicator_id)]
        out[v.city.code].append(Candidate(v, (weight * share).quantize(Decimal("0.0001"))))
    for candidates in out.values():
        candidates.sort(key=lambda c: c.key)
    return dict(sorted(out.items()))


def draw_sample(
    candidates: dict[str, list[Candidate]], *, share: Decimal, seed: str
) -> list[Candidate]:
    """``share`` of each city's values (rounded up: at least one of a city with any), drawn
    without replacement with a chance that grows with the points a value carries (weighted
    random sampling, Efraimidis and Spirakis: the values with the highest ``u ** (1 / w)``),
    from a generator seeded by ``seed`` and the city: the same seed and data draw the same
    sample. A value carrying no points is drawn only when nothing else is left."""
    drawn: list[Candidate] = []
    for city, found in candidates.items():
        count = int((share * len(found)).to_integral_value(rounding=ROUND_CEILING))
        generator = random.Random(f"{seed}:{city}")
        keyed = []
        for candidate in found:
            u = generator.random() or 1e-300
            weight = float(candidate.points)
            key = math.log(u) / weight if weight > 0 else -math.inf
            keyed.append((key, candidate.key, candidate))
        keyed.sort(key=lambda k: (-k[0], k[1]))
        drawn += [candidate for _, _, candidate in keyed[:count]]
    return drawn


@transaction.atomic
def spot_check_draw(
    *, programme: Programme, share: Decimal, by: User, seed: str = "", note: str = ""
) -> SpotCheck:
    """Draw a sample of the programme's approved values to check: ``share`` of each city's,
    weighted towards the values carrying the most points. The seed is recorded (a new one when
    none is given)."""
    require_reviewer(by)
    if not Decimal(0) < share <= Decimal(1):
        raise WorkflowError(
            [
                FieldError(
                    "share",
                    Reason(gettext("the share is above 0 and at most 1"), "share_range"),
                )
            ]
        )
    seed = seed.strip() or secrets.token_hex(8)
    check = audited_save(
        SpotCheck(
            programme=programme,
            source=SpotCheck.Source.DRAW,
            share=share,
            seed=seed,
            note=note.strip(),
            created_by=by,
        ),
        by=by,
        reason=f"sample drawn, seed {seed}",
    )
    sample = draw_sample(draw_candidates(programme=programme), share=share, seed=seed)
    audited_bulk_create(
        [
            SpotCheckItem(
                spot_check=check,
                metric_value=c.value,
                claimed_value=c.value.value,
                points_carried=c.points,
            )
            for c in sample
        ],
        SpotCheckItem,
        by=by,
        reason=f"drawn in spot check #{check.pk}",
    )
    return check


@transaction.atomic
def spot_check_record(
    *,
    item: SpotCheckItem,
    verified_value: str,
    note: str = "",
    evidence: UploadedFile | None = None,
    by: User,
) -> SpotCheckItem:
    """The checker's verified value of a sampled item, with a note and, if any, a file of
    evidence (its SHA-256 recorded). A value a run has read since it was recorded is locked:
    a later spot check supersedes it."""
    if not is_checker(by):
        raise Forbidden(gettext("only the ministry's checkers may record verified values"))
    item = SpotCheckItem.objects.select_for_update().select_related("metric_value").get(pk=item.pk)
    run = read_since(item)
    if run is not None:
        raise Locked(
            Reason(
                gettext(
                    "run #%(run)s has read this verified value: draw a new spot check to check "
                    "the value again"
                )
                % {"run": run.pk},
                "verified_value_read",
            ),
            "verified_value_read",
        )
    errors: list[FieldError] = []
    value: Decimal | None = None
    try:
        value = parse_number(verified_value.strip(), places=2)
    except ValueError as exc:
        errors.append(FieldError("verified_value", reason_of(exc), "verified_value"))
    checked, refused = evidence_file_errors(
        evidence, limit_mb=settings.RECTIFICATION_EVIDENCE_MAX_MB
    )
    errors += refused
    if errors:
        raise WorkflowError(errors)
    assert value is not None
    if checked is not None:
        item.evidence_file.save(*evidence_file_stored(checked), save=False)
        item.evidence_name, item.evidence_sha256 = checked.name, checked.sha256
    item.verified_value, item.note = value, note.strip()
    item.checker, item.checked_at = by, timezone.now()
    return audited_save(item, by=by, reason="verified value recorded")


@transaction.atomic
def spot_checks_import(
    *, name: str, data: bytes, programme: Programme, by: User | None, dry_run: bool = False
) -> ImportSummary:
    """Load a file of verified values (``city_code``, ``period``, ``indicator``,
    ``verified_value``): each row a checker's figure for a reported value of a city of the
    programme. A row naming no reported value is refused; all or nothing; a row whose value's
    latest verified value is already the row's changes nothing."""
    if by is not None and not (is_reviewer(by) or is_checker(by)):
        raise Forbidden(gettext("only ministry reviewers and checkers may load spot checks"))
    rows, errors = read_table(name, data, required=SPOT_CHECK_COLUMNS)
    participations = participations_of_rows(programme, rows)
    seen: dict[tuple[str, str, str], int] = {}
    good: list[tuple[MetricValue, Decimal]] = []
    wanted: list[tuple[int, str, Period]] = []
    parsed: list[tuple[int, Participation, str, Period, Decimal | None]] = []
    for row in rows:
        row_errors: list[RowError] = []
        participation = participation_of_row(row, participations, programme, row_errors)
        code = required(row, "indicator", row_errors)
        label = required(row, "period", row_errors)
        period: Period | None = None
        if label:
            try:
                period = Period.parse(label)
            except PeriodError:
                row_errors.append(
                    RowError(
                        row.line,
                        "period",
                        gettext("%(text)r is not a period: use 2019, 2020-Q3 or 2020-07")
                        % {"text": label},
                    )
                )
        value: Decimal | None = None
        try:
            value = parse_number(row.values.get("verified_value", ""), places=2)
        except ValueError as exc:
            row_errors.append(RowError(row.line, "verified_value", reason_of(exc)))
        key = (row.values.get("city_code", ""), label, code)
        if code and label and key in seen:
            row_errors.append(duplicate(row, seen[key], " ".join(key)))
        seen.setdefault(key, row.line)
        errors += row_errors
        if row_errors or participation is None or period is None:
            continue
        wanted.append((participation.city_id, code, period))
        parsed.append((row.line, participation, code, period, value))
    values = {
        (v.city_id, v.indicator.code, v.year, v.granularity, v.number): v
        for v in MetricValue.objects.filter(
            city_id__in={city for city, _, _ in wanted},
            indicator__code__in={code for _, code, _ in wanted},
        ).select_related("indicator", "city")
    }
    for line, participation, code, period, value in parsed:
        assert value is not None
        city_id = participation.city_id
        found = values.get((city_id, code, period.year, str(period.granularity), period.number))
        if found is None:
            errors.append(
                RowError(
                    line,
                    "period",
                    Reason(
                        gettext("no reported value of %(indicator)s for %(period)s")
                        % {"indicator": code, "period": period.label},
                        "no_reported_value",
                    ),
                )
            )
            continue
        good.append((found, value))
    if errors:
        raise ImportRefused(name, sorted(errors, key=lambda e: e.line))
    summary = ImportSummary()
    latest = {
        item.metric_value_id: item.verified_value
        for item in SpotCheckItem.objects.filter(
            metric_value__in=[v for v, _ in good], checked_at__isnull=False
        ).order_by("checked_at", "pk")
    }
    changed: list[tuple[MetricValue, Decimal]] = []
    for metric_value, verified in good:
        if metric_value.pk in latest and latest[metric_value.pk] == verified:
            summary.unchanged += 1
        else:
            if metric_value.pk in latest:
                summary.updated += 1
            else:
                summary.created += 1
            changed.append((metric_value, verified))
    if changed:
        reason = f"import_spot_checks {name} --programme {programme.code}"
        check = audited_save(
            SpotCheck(
                programme=programme, source=SpotCheck.Source.FILE, file_name=name, created_by=by
            ),
            by=by,
            reason=reason,
        )
        now = timezone.now()
        audited_bulk_create(
            [
                SpotCheckItem(
                    spot_check=check,
                    metric_value=metric_value,
                    claimed_value=metric_value.value,
                    verified_value=verified,
                    checker=by,
                    checked_at=now,
                )
                for metric_value, verified in changed
            ],
            SpotCheckItem,
            by=by,
            reason=reason,
        )
    summary.dry_run = dry_run
    dry_run_end(dry_run)
    return summary
