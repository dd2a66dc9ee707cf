"""The ledger's rules, written once: what an entry keeps of each protected record (its state),
how an entry's digest is computed, and the check that walks the chain and compares every
protected record with its last entry.

An entry's digest is the SHA-256 of one JSON array, in this order, with no spaces and
non-ASCII characters as they are (UTF-8)::

    [seq, previous, at, subject, object_id, action, actor, actor_name, state]

``at`` in UTC as ISO 8601 with microseconds (``2021-04-15T02:32:09.123456+00:00``), ``state``
the stored JSON text itself, ``previous`` the digest of entry ``seq - 1`` (64 zeros for the
first). ``tools/verify_ledger.py`` recomputes it from a database copy without this project.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

from django.db import models
from django.utils.translation import gettext

GENESIS = "0" * 64
# The action of the entries that recorded what was stored when the ledger began (migration).
BEGAN = "recorded when the ledger began"

# The fields each subject's entry keeps: everything a service decides. Left out: what changes
# without a decision (a run's heartbeat and delivery counts).
FIELDS: dict[str, tuple[str, ...]] = {
    "report": (
        "participation_id",
        "city_id",
        "year",
        "granularity",
        "number",
        "status",
        "version",
        "due_date",
        "created_by_id",
        "created_at",
        "submitted_by_id",
        "submitted_at",
        "reviewed_by_id",
        "reviewed_at",
        "review_comment",
    ),
    "metricvalue": (
        "city_id",
        "report_id",
        "indicator_id",
        "year",
        "granularity",
        "number",
        "value",
        "status",
        "flags",
        "submitted_by_id",
        "submitted_at",
        "approved_by_id",
        "approved_at",
    ),
    "run": (
        "programme_id",
        "ruleset_id",
        "as_of",
        "kind",
        "status",
        "trigger",
        "triggered_by_id",
        "years_elapsed",
        "cities_total",
        "input_digest",
        "result_digest",
        "identical_to_id",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "finalised_at",
    ),
    "decision": (
        "city_result_id",
        "remaining_amount",
        "recommended_decision",
        "recommended_amount",
        "reason",
        "status",
        "final_decision",
        "final_amount",
        "decided_by_id",
        "decided_at",
        "override_reason",
    ),
    "ruleset": (
        "programme_id",
        "version",
        "notes",
        "created_by_id",
        "frozen_at",
        "is_draft",
        "rectification_below",
        "rectification_days",
        "optional_task_weight",
        "deviation_attainment",
        "deviation_execution",
        "spot_checks",
        "tolerance",
        "deduction",
    ),
    "verifiedvalue": (
        "spot_check_id",
        "metric_value_id",
        "claimed_value",
        "verified_value",
        "note",
        "evidence_sha256",
        "checker_id",
        "checked_at",
    ),
    # A file of evidence: what it is (its SHA-256), on what, who attached or removed it.
    "evidence": (
        "report_id",
        "value_id",
        "name",
        "kind",
        "size",
        "sha256",
        "uploaded_by_id",
        "uploaded_at",
        "removed_by_id",
        "removed_at",
    ),
}
RULE_FIELDS = ("indicator_id", "kind", "floor", "weight")
BAND_FIELDS = ("grade", "min_score", "release_share")
TASK_FIELDS = ("indicator_id", "compulsory", "weight", "position")


def is_protected(model: type[models.Model]) -> bool:
    """Whether every state change of ``model``'s records goes into the ledger."""
    return model._meta.label_lower in SUBJECTS


# Rows kept inside a protected record's entry: a change to one is a change of its ruleset.
PARTS = {
    "evaluation.indicatorrule": "ruleset",
    "evaluation.gradeband": "ruleset",
    "evaluation.rulesettask": "ruleset",
}


def protected_records(records: Iterable[models.Model]) -> list[models.Model]:
    """The protected records a change of ``records`` changes: each protected one itself, the
    ruleset of a ruleset's rule or band (once), nothing for any other."""
    out: dict[tuple[str, object], models.Model] = {}
    for record in records:
        label = record._meta.label_lower
        if label in SUBJECTS:
            out.setdefault((label, record.pk), record)
        elif label in PARTS:
            owner = getattr(record, PARTS[label])
            out.setdefault((owner._meta.label_lower, owner.pk), owner)
    return list(out.values())


def subject_of(instance: models.Model) -> str:
    """The ledger's name for a protected model (``report``, ``decision``…)."""
    return SUBJECTS[instance._meta.label_lower]


SUBJECTS = {
    "evaluation.report": "report",
    "evaluation.metricvalue": "metricvalue",
    "evaluation.evaluationrun": "run",
    "evaluation.tranchedecision": "decision",
    "evaluation.ruleset": "ruleset",
    "evaluation.spotcheckitem": "verifiedvalue",
    "evaluation.evidence": "evidence",
}


def field_text(instance: models.Model, name: str) -> Any:
    """A field's value as the ledger writes it (:func:`value_text`)."""
    return value_text(type(instance), name, getattr(instance, name))


def value_text(model: type[models.Model], name: str, value: Any) -> Any:
    """A value of ``model``'s field ``name`` as the ledger writes it: a decimal to its column's
    places, a time in UTC with microseconds, a date in ISO form; numbers, text and None as
    they are."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | dict):
        # A JSON column (a value's flags): kept as JSON, its keys put in order by the entry's
        # own serialisation, whatever order the database gives them back in.
        return value
    if isinstance(value, Decimal):
        return f"{value.quantize(_places(model, name)):f}"
    if isinstance(value, dt.datetime):
        return at_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@cache
def _places(model: type[models.Model], name: str) -> Decimal:
    column = model._meta.get_field(name)
    assert isinstance(column, models.DecimalField)
    return Decimal(1).scaleb(-column.decimal_places)


def state_of(
    subject: str,
    instance: Any,
    *,
    rules: Iterable[Any] = (),
    bands: Iterable[Any] = (),
    tasks: Iterable[Any] = (),
) -> dict[str, Any]:
    """What the ledger keeps of ``instance`` (a ruleset with its ``rules``, ``bands`` and
    ``tasks``)."""
    state = {name: field_text(instance, name) for name in FIELDS[subject]}
    if subject == "ruleset":
        state["rules"] = sorted([field_text(r, n) for n in RULE_FIELDS] for r in rules)
        state["bands"] = sorted([field_text(b, n) for n in BAND_FIELDS] for b in bands)
        state["tasks"] = sorted(([field_text(t, n) for n in TASK_FIELDS] for t in tasks), key=repr)
    return state


def row_state(subject: str, model: type[models.Model], row: Mapping[str, Any]) -> dict[str, Any]:
    """What the ledger keeps of a record given as a row (field attname to value, every field
    the ledger keeps present): the same as :func:`state_of` for the instance it would make."""
    return {name: value_text(model, name, row[name]) for name in FIELDS[subject]}


def state_text(state: dict[str, Any]) -> str:
    return json.dumps(state, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# ``json.dumps`` with the options of ``state_text`` and ``entry_digest``, made once.
_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


class RowStateTexts:
    """``state_text(row_state(subject, model, row))`` for many rows of one model, each distinct
    value of a field written once: JSON with sorted keys is its members' texts joined, so the
    text is the same, character for character (asserted in the ledger's tests)."""

    def __init__(self, subject: str, model: type[models.Model]) -> None:
        self.model = model
        self.names = sorted(FIELDS[subject])
        self.keys = [_json(name) + ":" for name in self.names]
        self.written: list[dict[tuple[Any, ...], str]] = [{} for _ in self.names]

    def __call__(self, row: Mapping[str, Any]) -> str:
        parts = []
        for name, key, written in zip(self.names, self.keys, self.written, strict=True):
            value = row[name]
            # Equal values written alike share a key; a decimal's sign is part of it (-0 and 0
            # are equal, and hash alike, but are not written alike).
            signed = type(value) is Decimal and value.is_signed()
            seen = (type(value), value, signed)
            try:
                text = written[seen]
            except KeyError:
                text = written[seen] = _json(value_text(self.model, name, value))
            except TypeError:  # a JSON column's list or dict: written each time
                text = _json(value_text(self.model, name, value))
            parts.append(key + text)
        return "{" + ",".join(parts) + "}"


def ledger_moment(moment: dt.datetime) -> dt.datetime:
    """An entry's time, to the millisecond: Django's serializers keep no more, so an entry
    dumped and loaded again (a copy made with ``dumpdata``, the test runner's serialized
    rollback) is the same entry, digest included."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@lru_cache(maxsize=4096)
def at_text(at: dt.datetime) -> str:
    """A time in UTC, ISO 8601 with microseconds (many records of one step share theirs)."""
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_digests(
    entries: Iterable[tuple[str, int, str, str]],
    *,
    seq: int,
    previous: str,
    at: dt.datetime,
    actor: int | None,
    actor_name: str,
) -> Iterator[tuple[int, str, str]]:
    """The chain of ``entries`` (subject, object id, action, state text) appended by one actor
    at one moment after entry ``seq`` whose digest is ``previous``: each entry's number, its
    predecessor's digest and its own digest, exactly :func:`entry_digest`'s (the fields all
    entries share written once; asserted in the ledger's tests)."""
    shared_at = _json(at_text(at))
    shared_actor = f"{_json(actor)},{_json(actor_name)}"
    words: dict[str, str] = {}
    for subject, object_id, action, state in entries:
        seq += 1
        subject_text = words.get(subject) or words.setdefault(subject, _json(subject))
        action_text = words.get(action) or words.setdefault(action, _json(action))
        payload = (
            f"[{_json(seq)},{_json(previous)},{shared_at},{subject_text},{_json(object_id)},"
            f"{action_text},{shared_actor},{_json(state)}]"
        )
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        yield seq, previous, digest
        previous = digest


def entry_digest(
    *,
    seq: int,
    previous: str,
    at: dt.datetime,
    subject: str,
    object_id: int,
    action: str,
    actor: int | None,
    actor_name: str,
    state: str,
) -> str:
    """The digest of an entry, covering the digest of the one before it (module docstring)."""
    payload = json.dumps(
        [seq, previous, at_text(at), subject, object_id, action, actor, actor_name, state],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# The check ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """Something the ledger and the database do not agree on, in words."""

    text: str
    seq: int | None = None  # the chain's first broken entry
    subject: str | None = None
    object_id: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        return self.text


@dataclass
class LedgerCheck:
    entries: int = 0
    head_seq: int = 0
    head_digest: str = GENESIS
    findings: list[Finding] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.findings


def _entries() -> Iterator[Any]:
    from evaluation.models import LedgerEntry

    return LedgerEntry.objects.order_by("seq").iterator(chunk_size=5000)


def chain_break(entry: Any, seq: int, previous: str) -> Finding | None:
    """Why ``entry`` does not follow entry ``seq`` (whose digest is ``previous``), or None."""
    if entry.seq > seq + 1:
        return Finding(
            gettext(
                "ledger entries #%(first)s to #%(last)s have been removed: entry #%(seq)s "
                "follows entry #%(before)s"
            )
            % {"first": seq + 1, "last": entry.seq - 1, "seq": entry.seq, "before": seq},
            seq=seq + 1,
        )
    if entry.previous != previous:
        return Finding(
            gettext(
                "ledger entry #%(seq)s does not follow the entry before it: an entry before it "
                "was removed, or this one was inserted"
            )
            % {"seq": entry.seq},
            seq=entry.seq,
        )
    digest = entry_digest(
        seq=entry.seq,
        previous=entry.previous,
        at=entry.at,
        subject=entry.subject,
        object_id=entry.object_id,
        action=entry.action,
        actor=entry.actor,
        actor_name=entry.actor_name,
        state=entry.state,
    )
    if digest != entry.digest:
        return Finding(
            gettext(
                "ledger entry #%(seq)s (%(subject)s #%(id)s, %(action)s) has been altered, or "
                "inserted: its digest does not match what it records"
            )
            % {
                "seq": entry.seq,
                "subject": entry.subject,
                "id": entry.object_id,
                "action": entry.action,
            },
            seq=entry.seq,
        )
    return None


def ledger_last_states() -> tuple[LedgerCheck, dict[tuple[str, int], dict[str, Any]]]:
    """Walk the chain: the first entry altered, removed or inserted (as a finding), and each
    record's state as its last entry gives it."""
    check = LedgerCheck()
    states: dict[tuple[str, int], dict[str, Any]] = {}
    seq, previous = 0, GENESIS
    broken = False
    for entry in _entries():
        if not broken:
            finding = chain_break(entry, seq, previous)
            if finding is not None:
                check.findings.append(finding)
                broken = True
        seq, previous = entry.seq, entry.digest
        check.entries += 1
        try:
            states[(entry.subject, entry.object_id)] = json.loads(entry.state)
        except ValueError:
            states[(entry.subject, entry.object_id)] = {}
    check.head_seq, check.head_digest = seq, previous
    return check, states


def current_states() -> dict[tuple[str, int], tuple[Any, dict[str, Any]]]:
    """Every protected record now, with what its ledger state would be."""
    from evaluation.models import (
        EvaluationRun,
        Evidence,
        MetricValue,
        Report,
        Ruleset,
        SpotCheckItem,
        TrancheDecision,
    )

    out: dict[tuple[str, int], tuple[Any, dict[str, Any]]] = {}
    for subject, queryset in (
        ("report", Report.objects.all()),
        ("metricvalue", MetricValue.objects.all()),
        ("run", EvaluationRun.objects.all()),
        ("decision", TrancheDecision.objects.all()),
        ("verifiedvalue", SpotCheckItem.objects.all()),
        ("evidence", Evidence.objects.all()),
    ):
        for instance in queryset.order_by().iterator(chunk_size=5000):
            out[(subject, instance.pk)] = (instance, state_of(subject, instance))
    for ruleset in Ruleset.objects.prefetch_related("rules", "bands", "tasks"):
        out[("ruleset", ruleset.pk)] = (
            ruleset,
            state_of(
                "ruleset",
                ruleset,
                rules=ruleset.rules.all(),
                bands=ruleset.bands.all(),
                tasks=ruleset.tasks.all(),
            ),
        )
    return out


def described(subject: str, object_id: int, state: dict[str, Any]) -> str:
    """A protected record in words, from its state (so a deleted one can be named too)."""
    from evaluation.models import CityResult, Indicator, Programme
    from evaluation.models.cities import City
    from evaluation.scoring import Granularity, Period

    def city(pk: Any) -> str:
        code = City.objects.filter(pk=pk).values_list("code", flat=True).first()
        return str(code or pk)

    def period() -> str:
        try:
            return Period(state["year"], Granularity(state["granularity"]), state["number"]).label
        except (KeyError, ValueError, TypeError):
            return "?"

    if subject == "decision":
        row = (
            CityResult.objects.filter(pk=state.get("city_result_id") or 0)
            .values_list("participation__city__code", "run_id")
            .first()
        )
        if row is not None:
            return gettext("the decision for city %(city)s in run #%(run)s") % {
                "city": row[0],
                "run": row[1],
            }
        return gettext("decision #%(id)s") % {"id": object_id}
    if subject == "metricvalue":
        indicator = (
            Indicator.objects.filter(pk=state.get("indicator_id") or 0)
            .values_list("code", flat=True)
            .first()
        )
        return gettext("the value of city %(city)s, %(indicator)s, %(period)s (#%(id)s)") % {
            "city": city(state.get("city_id")),
            "indicator": indicator or state.get("indicator_id"),
            "period": period(),
            "id": object_id,
        }
    if subject == "report":
        return gettext("the report of city %(city)s for %(period)s (#%(id)s)") % {
            "city": city(state.get("city_id")),
            "period": period(),
            "id": object_id,
        }
    if subject == "run":
        return gettext("run #%(id)s") % {"id": object_id}
    if subject == "verifiedvalue":
        return gettext("the spot check of value #%(value)s (#%(id)s)") % {
            "value": state.get("metric_value_id"),
            "id": object_id,
        }
    if subject == "evidence":
        return gettext("the evidence file %(name)s (#%(id)s)") % {
            "name": state.get("name", "?"),
            "id": object_id,
        }
    programme = (
        Programme.objects.filter(pk=state.get("programme_id") or 0)
        .values_list("code", flat=True)
        .first()
    )
    return gettext("ruleset %(label)s") % {"label": f"{programme}-v{state.get('version')}"}


def _label(subject: str, name: str) -> str:
    from evaluation.models import (
        EvaluationRun,
        Evidence,
        MetricValue,
        Report,
        Ruleset,
        SpotCheckItem,
        TrancheDecision,
    )

    model: type[models.Model] = {
        "report": Report,
        "metricvalue": MetricValue,
        "run": EvaluationRun,
        "decision": TrancheDecision,
        "ruleset": Ruleset,
        "verifiedvalue": SpotCheckItem,
        "evidence": Evidence,
    }[subject]
    if name == "rules":
        return gettext("rules")
    if name == "bands":
        return gettext("grade bands")
    return str(getattr(model._meta.get_field(name.removesuffix("_id")), "verbose_name", name))


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def state_differences(
    subject: str, object_id: int, recorded: dict[str, Any] | None, now: dict[str, Any] | None
) -> list[Finding]:
    """How a record now differs from its last ledger entry, field by field."""
    if recorded is None and now is None:
        return []
    what = described(subject, object_id, now if now is not None else recorded or {})
    if recorded is None:
        return [
            Finding(
                gettext("%(what)s is not in the ledger: it was written behind the services' back")
                % {"what": what},
                subject=subject,
                object_id=object_id,
            )
        ]
    if now is None:
        return [
            Finding(
                gettext(
                    "%(what)s is in the ledger but no longer in the database: it was deleted "
                    "behind the services' back"
                )
                % {"what": what},
                subject=subject,
                object_id=object_id,
            )
        ]
    return [
        Finding(
            gettext("%(what)s: %(field)s: ledger %(ledger)s, now %(now)s")
            % {
                "what": what,
                "field": _label(subject, name),
                "ledger": _shown(recorded.get(name)),
                "now": _shown(now.get(name)),
            },
            subject=subject,
            object_id=object_id,
            field=name,
        )
        for name in sorted(recorded.keys() | now.keys())
        if recorded.get(name) != now.get(name)
    ]


def ledger_check(*, head: tuple[int, str] | None = None) -> LedgerCheck:
    """Walk the chain and name its first entry altered, removed or inserted; then compare every
    report, value, run, decision and ruleset with its last entry (a record changed, written
    or deleted behind the services' back). ``head``: an entry's number and digest recorded
    earlier (outside the database): a ledger rewritten from before it no longer has it."""
    check, recorded = ledger_last_states()
    if head is not None:
        from evaluation.models import LedgerEntry

        seq, digest = head
        kept = LedgerEntry.objects.filter(seq=seq).values_list("digest", flat=True).first()
        if kept != digest:
            check.findings.insert(
                0,
                Finding(
                    gettext(
                        "ledger entry #%(seq)s is not the one recorded (%(digest)s): the ledger "
                        "was rewritten or cut back from there on"
                    )
                    % {"seq": seq, "digest": digest},
                    seq=seq,
                ),
            )
    now = current_states()
    for key in sorted(recorded.keys() | now.keys()):
        current = now.get(key)
        check.findings += state_differences(
            key[0], key[1], recorded.get(key), current[1] if current is not None else None
        )
    return check
