"""The evaluation dossier (评价档案) of a finalised run: one ZIP an outside evaluator checks on a
machine with only Python, without the ministry's server.

It holds the run's ruleset version as the scoring core reads it, every input the run read
(one file per kind under ``inputs/``), the SHA-256 of every evidence file, the run's results
and decisions with their sign-offs, the ledger entries that cover the run, its decisions and
its ruleset as the run read it (with the chain's links between them), a copy of the pure
scoring core (``evaluation/scoring``) and the verifier (``verify.py``,
``reports/verify_dossier.py`` here), which recomputes every result from the package and checks
every digest and the chain.

**An input kind is one entry of ``INPUTS``** (its file under ``inputs/``, the rows it writes)
and one reader of the same name in ``verify_dossier.INPUTS`` (how the rows go into the core's
``CityInput``). A kind the run's ruleset does not read is left out, as ``evaluation_inputs``
leaves it out, so the input digests are those the run stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from evaluation import workflow
from evaluation.ledger import at_text
from evaluation.models import (
    CityResult,
    EvaluationRun,
    Expenditure,
    IndicatorResult,
    LedgerEntry,
    MetricValue,
    Participation,
    RectificationItem,
    TrancheDecision,
)
from evaluation.scoring import CityInput, Granularity, Period, RulesetSpec
from evaluation.scoring.engine import reads_money, reads_tasks
from evaluation.selectors import (
    evaluation_inputs,
    periods_ended_by,
    programme_spec,
    ruleset_spec,
    run_results,
)

FORMAT = 1
SCORING = Path(__file__).resolve().parent.parent / "evaluation" / "scoring"
VERIFIER = Path(__file__).resolve().parent / "verify_dossier.py"


class DossierRefused(Exception):
    """Only a finalised run has a dossier."""


def _number(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def _moment(value: dt.datetime | None) -> str | None:
    return None if value is None else at_text(value)


@dataclass(frozen=True)
class Read:
    """What the run read, as the builders of ``INPUTS`` take it."""

    run: EvaluationRun
    ruleset: RulesetSpec
    cities: Sequence[CityInput]
    participations: dict[str, Participation]


# The inputs, one file each ---------------------------------------------------------------------


def _cities(read: Read) -> list[dict[str, Any]]:
    money = reads_money(read.ruleset)
    rows = []
    for city in read.cities:
        row: dict[str, Any] = {
            "city": city.city,
            "name": read.participations[city.city].city.name_zh,
            "remaining_amount": _number(city.remaining_amount),
        }
        if money:
            row["first_tranche"] = _number(city.first_tranche)
        rows.append(row)
    return rows


def _targets(read: Read) -> list[dict[str, Any]]:
    return [
        {"city": c.city, "indicator": code, "value": _number(value)}
        for c in read.cities
        for code, value in c.targets
    ]


def _period(year: int, granularity: str, number: int) -> str:
    return Period(year, Granularity(granularity), number).label


def _values(read: Read) -> list[dict[str, Any]]:
    """Every approved value the run summed: from the baseline year, periods that ended by its
    as-of date (``selectors.evaluation_inputs``' window), one by one."""
    run = read.run
    codes = {p.city_id: code for code, p in read.participations.items()}
    rows = periods_ended_by(
        MetricValue.objects.filter(
            city_id__in=list(codes),
            status=MetricValue.Status.APPROVED,
            year__gte=run.programme.baseline_year,
        ),
        run.as_of,
    ).values_list("pk", "city_id", "indicator__code", "year", "granularity", "number", "value")
    return sorted(
        (
            {
                "id": pk,
                "city": codes[city_id],
                "indicator": indicator,
                "period": _period(year, granularity, number),
                "value": _number(value),
            }
            for pk, city_id, indicator, year, granularity, number, value in rows
        ),
        key=lambda r: (r["city"], r["indicator"], r["period"]),
    )


def _expenditure_rows(read: Read) -> list[Expenditure]:
    run = read.run
    return list(
        periods_ended_by(
            Expenditure.objects.filter(
                participation_id__in=[p.pk for p in read.participations.values()],
                status=Expenditure.Status.APPROVED,
                year__gt=run.programme.baseline_year,
            ),
            run.as_of,
        ).select_related("participation__city")
    )


def _expenditure(read: Read) -> list[dict[str, Any]]:
    """Every approved expenditure the run summed for budget execution, one by one."""
    return sorted(
        (
            {
                "id": e.pk,
                "city": e.participation.city.code,
                "period": _period(e.year, e.granularity, e.number),
                "amount": _number(e.amount),
                "evidence": e.evidence,
            }
            for e in _expenditure_rows(read)
        ),
        key=lambda r: (r["city"], r["period"]),
    )


def _plan(read: Read) -> list[dict[str, Any]]:
    return [
        {"city": c.city, "year": year, "planned": _number(amount)}
        for c in read.cities
        for year, amount in c.plan
    ]


def _task_choices(read: Read) -> list[dict[str, Any]]:
    return [{"city": c.city, "task": task} for c in read.cities for task in c.optional_tasks]


def _task_scores(read: Read) -> list[dict[str, Any]]:
    return [
        {"city": c.city, "task": s.task, "expert": s.expert, "score": _number(s.score)}
        for c in read.cities
        for s in c.panel_scores
    ]


def _verified_values(read: Read) -> list[dict[str, Any]]:
    """The spot checks' verified values the run read (the latest check of each approved value
    recorded by the time the run started), beside the value each checked."""
    return [
        {
            "city": c.city,
            "indicator": v.indicator,
            "period": v.period.label,
            "claimed": _number(v.claimed),
            "verified": _number(v.verified),
        }
        for c in read.cities
        for v in c.verified
    ]


def _always(ruleset: RulesetSpec) -> bool:
    return True


def _reads_checks(ruleset: RulesetSpec) -> bool:
    return ruleset.spot_checks is not None


# Each input kind: its name (the file ``inputs/NAME.json``), whether the run's ruleset reads
# it, and its rows. A further kind is one more entry here and its reader in
# ``verify_dossier.INPUTS``.
INPUTS: tuple[tuple[str, Callable[[RulesetSpec], bool], Callable[[Read], list[Any]]], ...] = (
    ("cities", _always, _cities),
    ("targets", _always, _targets),
    ("values", _always, _values),
    ("plan", reads_money, _plan),
    ("expenditure", reads_money, _expenditure),
    ("task_choices", reads_tasks, _task_choices),
    ("task_scores", reads_tasks, _task_scores),
    ("verified_values", _reads_checks, _verified_values),
)


# The ruleset, the results, the evidence, the ledger ---------------------------------------------


def _ruleset(run: EvaluationRun, spec: RulesetSpec) -> dict[str, Any]:
    programme = programme_spec(programme=run.programme)
    codes = {
        r.indicator.code: r.indicator_id for r in run.ruleset.rules.select_related("indicator")
    }
    codes |= {
        t.indicator.code: t.indicator_id for t in run.ruleset.tasks.select_related("indicator")
    }
    return {
        "programme": {
            "code": programme.code,
            "baseline_year": programme.baseline_year,
            "construction_years": programme.construction_years,
        },
        "ruleset": {
            "id": run.ruleset_id,
            "version": run.ruleset.version,
            "label": spec.label,
            "indicators": [
                {
                    "indicator": r.indicator,
                    "kind": r.kind,
                    "floor": _number(r.floor),
                    "weight": _number(r.weight),
                }
                for r in spec.indicators
            ],
            "bands": [
                {
                    "grade": b.grade,
                    "min_score": _number(b.min_score),
                    "release_share": _number(b.release_share),
                }
                for b in spec.bands
            ],
            "tasks": [
                {"task": t.code, "compulsory": t.compulsory, "weight": _number(t.weight)}
                for t in spec.tasks
            ],
            "optional_task_weight": _number(spec.optional_task_weight),
            # The verified-values part (spot checks): None when the ruleset ignores them.
            "spot_checks": None
            if spec.spot_checks is None
            else {
                "tolerance": _number(spec.spot_checks.tolerance),
                "deduction": _number(spec.spot_checks.deduction),
            },
        },
        # The ledger names an indicator by its number: the ruleset's entry is read with these.
        "indicator_ids": dict(sorted(codes.items())),
    }


def _places(model: type[models.Model], names: Iterable[str]) -> dict[str, int]:
    out = {}
    for name in names:
        field = model._meta.get_field(name)
        assert isinstance(field, models.DecimalField)
        out[name] = field.decimal_places
    return out


INDICATOR_NUMBERS = (
    "weight",
    "full_target",
    "target",
    "actual",
    "attainment",
    "points",
    "base_value",
    "final_value",
)
DECISION_NUMBERS = ("remaining_amount", "recommended_amount", "final_amount")


def _indicator(result: IndicatorResult) -> dict[str, Any]:
    return {
        "indicator": result.indicator.code,
        "kind": result.kind,
        "status": result.status,
        "target_source": result.target_source,
        **{name: _number(getattr(result, name)) for name in INDICATOR_NUMBERS},
        "reason": result.reason,
    }


def _decision(decision: TrancheDecision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "remaining_amount": _number(decision.remaining_amount),
        "recommended_decision": decision.recommended_decision,
        "recommended_amount": _number(decision.recommended_amount),
        "reason": decision.reason,
        "status": decision.status,
        "final_decision": decision.final_decision,
        "final_amount": _number(decision.final_amount),
        "decided_by_id": decision.decided_by_id,
        "decided_by": decision.decided_by.username if decision.decided_by else None,
        "decided_at": _moment(decision.decided_at),
        "override_reason": decision.override_reason,
    }


def _results(run: EvaluationRun, stored: Sequence[CityResult]) -> dict[str, Any]:
    return {
        "run": {
            "id": run.pk,
            "programme": run.programme.code,
            "ruleset": run.ruleset.label,
            "as_of": run.as_of.isoformat(),
            "kind": run.kind,
            "status": run.status,
            "years_elapsed": run.years_elapsed,
            "input_digest": run.input_digest,
            "result_digest": run.result_digest,
            "triggered_by_id": run.triggered_by_id,
            "triggered_by": run.triggered_by.username if run.triggered_by else None,
            "finalised_at": _moment(run.finalised_at),
        },
        # The rules of sign-off, as the workflow table says them.
        "signed_statuses": list(workflow.SIGNED),
        "confirmed": workflow.DECISION.target_of("confirm"),
        "overridden": workflow.DECISION.target_of("override"),
        # The places each number is stored to: a recomputed figure is rounded to them.
        "places": {
            **_places(CityResult, ("score", "release_share")),
            **_places(IndicatorResult, INDICATOR_NUMBERS),
            **_places(TrancheDecision, DECISION_NUMBERS),
        },
        "cities": [
            {
                "city": r.participation.city.code,
                "score": _number(r.score),
                "grade": r.grade,
                "release_share": _number(r.release_share),
                "reason": r.reason,
                "input_digest": r.input_digest,
                "result_digest": r.result_digest,
                "indicators": [_indicator(i) for i in r.indicator_results.all()],
                "decision": _decision(r.decision),
            }
            for r in stored
        ],
    }


def _sha256_of(field: models.fields.files.FieldFile) -> str:
    digest = hashlib.sha256()
    with field.open("rb") as kept:
        for chunk in iter(lambda: kept.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _evidence(read: Read) -> list[dict[str, Any]]:
    """The SHA-256 of every evidence file behind the run: of the expenditure it read, and of
    the rectification it opened (with the digest recorded when the city sent the file)."""
    out: list[dict[str, Any]] = []
    if reads_money(read.ruleset):
        for e in _expenditure_rows(read):
            if e.evidence_file:
                out.append(
                    {
                        "kind": "expenditure",
                        "id": e.pk,
                        "city": e.participation.city.code,
                        "period": _period(e.year, e.granularity, e.number),
                        "file": e.evidence_file.name,
                        "sha256": _sha256_of(e.evidence_file),
                    }
                )
    items = RectificationItem.objects.filter(city_result__run=read.run).select_related(
        "participation__city", "indicator_result__indicator"
    )
    for item in items.order_by("pk"):
        if item.evidence_file:
            out.append(
                {
                    "kind": "rectification",
                    "id": item.pk,
                    "city": item.participation.city.code,
                    "indicator": item.indicator_result.indicator.code
                    if item.indicator_result
                    else None,
                    "file": item.evidence_file.name,
                    "sha256": _sha256_of(item.evidence_file),
                    "recorded_sha256": item.evidence_sha256,
                }
            )
    return out


def _ledger(run: EvaluationRun, decision_ids: Iterable[int]) -> dict[str, Any]:
    """Every entry of the run and its decisions in full, with the ruleset's entry that was its
    state when the run began (and any later one); and between the first and the last of them,
    every other entry's number and digests, so that the chain can be followed from one to the
    next."""
    entries = list(
        LedgerEntry.objects.filter(
            Q(subject="run", object_id=run.pk)
            | Q(subject="decision", object_id__in=list(decision_ids))
        ).order_by("seq")
    )
    rulesets = LedgerEntry.objects.filter(subject="ruleset", object_id=run.ruleset_id)
    if entries:
        began = entries[0].seq
        before = rulesets.filter(seq__lt=began).order_by("-seq")[:1]
        entries = sorted([*entries, *before, *rulesets.filter(seq__gt=began)], key=lambda e: e.seq)
    full = {e.seq for e in entries}
    links: list[list[Any]] = []
    if entries:
        links = [
            [seq, previous, digest]
            for seq, previous, digest in LedgerEntry.objects.filter(
                seq__gte=entries[0].seq, seq__lte=entries[-1].seq
            )
            .order_by("seq")
            .values_list("seq", "previous", "digest")
            if seq not in full
        ]
    return {
        "entries": [
            {
                "seq": e.seq,
                "previous": e.previous,
                "at": at_text(e.at),
                "subject": e.subject,
                "object_id": e.object_id,
                "action": e.action,
                "actor": e.actor,
                "actor_name": e.actor_name,
                "state": e.state,
                "digest": e.digest,
            }
            for e in entries
        ],
        "links": links,
    }


# The package ------------------------------------------------------------------------------------


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


README = """\
评价档案 · Evaluation dossier

核验（只需 Python 3.11 或更高版本，无需本系统、数据库或网络）：
To verify (Python 3.11 or later only; no server, database or network):

    python3 verify.py {zip}        (verify.py 可从压缩包中取出 / taken out of the ZIP)
    python3 {zip}                  (压缩包本身可运行 / the ZIP runs itself)
    unzip {zip} -d dossier && python3 dossier/verify.py

结果“一致（matches）”退出码 0；否则逐条列出差异，退出码 1。
"matches": exit status 0; otherwise each difference on its own line, exit status 1.
--lang en|zh-hans chooses the language; --evidence DIR also checks evidence files kept in DIR.
"""

MAIN = """\
import sys

from verify import main

sys.exit(main([sys.argv[0], *sys.argv[1:]]))
"""


def dossier_name(run: EvaluationRun) -> str:
    return f"dossier-{run.programme.code}-run{run.pk}.zip"


def dossier_files(run: EvaluationRun, *, language: str) -> dict[str, bytes]:
    """Every file of the run's dossier, by its path in the package (the manifest last)."""
    run = EvaluationRun.objects.select_related("programme", "ruleset", "triggered_by").get(
        pk=run.pk
    )
    if run.kind != EvaluationRun.Kind.OFFICIAL or run.finalised_at is None:
        raise DossierRefused("only a finalised official run has a dossier")
    spec = ruleset_spec(ruleset=run.ruleset)
    # What the run read: the spot checks recorded by the time it started, as its chunks did.
    cities, participations = evaluation_inputs(
        programme=run.programme, as_of=run.as_of, ruleset=spec, checked_by=run.started_at
    )
    read = Read(run=run, ruleset=spec, cities=cities, participations=participations)
    stored = list(run_results(run=run).select_related("decision__decided_by"))

    files: dict[str, bytes] = {"README.txt": README.format(zip=dossier_name(run)).encode()}
    files["verify.py"] = VERIFIER.read_bytes()
    files["__main__.py"] = MAIN.encode()
    files["evaluation/__init__.py"] = b""
    for source in sorted(SCORING.glob("*.py")):
        files[f"evaluation/scoring/{source.name}"] = source.read_bytes()
    files["ruleset.json"] = _json(_ruleset(run, spec))
    inputs = {}
    for name, reads, rows in INPUTS:
        if reads(spec):
            inputs[name] = f"inputs/{name}.json"
            files[inputs[name]] = _json(rows(read))
    files["results.json"] = _json(_results(run, stored))
    files["evidence.json"] = _json(_evidence(read))
    files["ledger.json"] = _json(_ledger(run, (r.decision.pk for r in stored)))
    files["manifest.json"] = _json(
        {
            "format": FORMAT,
            "programme": run.programme.code,
            "run": run.pk,
            "as_of": run.as_of.isoformat(),
            "language": language,
            "built_at": at_text(timezone.now()),
            "inputs": inputs,
            "files": {
                path: hashlib.sha256(content).hexdigest() for path, content in sorted(files.items())
            },
        }
    )
    return files


# A fixed time for every member, so that the ZIP's bytes depend on its contents only.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def dossier_zip(run: EvaluationRun, *, language: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in dossier_files(run, language=language).items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()
