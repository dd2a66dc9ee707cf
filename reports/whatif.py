"""What-if of a draft ruleset, as the reviewers use it: asked for from the admin's frame, run
by a worker (``reports.tasks.compare_draft``), kept as plain figures (``DraftComparison.result``)
and as documents (PDF and Excel, Chinese and English), and read back in the reader's language
with every difference explained by the rule that caused it. The scoring is the domain's
(``evaluation.whatif.draft_compare``, the pure core's ``scoring.whatif``); nothing is a run."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from evaluation.access import require_reviewer
from evaluation.exceptions import Locked, NoRuleset, NotFound
from evaluation.models import Indicator, Ruleset
from evaluation.models.cities import City
from evaluation.scoring import EvaluationError, rule_kind
from evaluation.scoring.digest import canonical_decimal
from evaluation.scoring.whatif import RuleChange, RulesetComparison
from evaluation.selectors import ruleset_current
from evaluation.services.outbox import outbox_enqueue
from evaluation.vocabulary import grade_word, indicator_name
from evaluation.whatif import draft_compare, ruleset_digest
from reports import figures
from reports.models import ComparisonDocument, DraftComparison, Language

log = logging.getLogger(__name__)


def draft_comparison_request(
    *, draft: Ruleset, as_of: dt.date, by: User | AnonymousUser
) -> DraftComparison:
    """Ask for ``draft`` to be compared with the published ruleset as of ``as_of``: recorded,
    then run by a worker (through the outbox, so a broker that is down only delays it).
    Reviewers only; only a draft is compared."""
    require_reviewer(by)
    if not draft.is_draft:
        raise Locked(
            _("ruleset %(ruleset)s is published: only a draft is compared")
            % {"ruleset": draft.label},
            "ruleset_not_a_draft",
        )
    with transaction.atomic():
        comparison = DraftComparison.objects.create(
            draft=draft, as_of=as_of, requested_by=by if isinstance(by, User) else None
        )
        outbox_enqueue("reports.tasks.compare_draft", comparison_id=comparison.pk)
    return comparison


def draft_comparison_execute(*, comparison_id: int) -> DraftComparison:
    """Compute a comparison asked for (safe to run twice: a finished one is left alone) and
    keep its figures; its documents follow in another task. A draft that no evaluation could
    use, or a date before any construction year ended, fails the comparison with the reason."""
    with transaction.atomic():
        comparison = (
            DraftComparison.objects.select_for_update()
            .select_related("draft__programme")
            .get(pk=comparison_id)
        )
        if comparison.status in (DraftComparison.Status.READY, DraftComparison.Status.FAILED):
            return comparison
        comparison.status = DraftComparison.Status.RUNNING
        comparison.save(update_fields=["status"])
    started = time.perf_counter()
    draft = comparison.draft
    try:
        published = ruleset_current(programme=draft.programme)
        compared = draft_compare(
            draft=draft, as_of=comparison.as_of, fetched_by=None, published=published
        )
    except (EvaluationError, NoRuleset) as exc:
        messages = exc.messages if isinstance(exc, EvaluationError) else (str(exc),)
        DraftComparison.objects.filter(pk=comparison.pk).update(
            status=DraftComparison.Status.FAILED,
            error="; ".join(messages),
            finished_at=timezone.now(),
        )
        comparison.refresh_from_db()
        return comparison
    comparison.result = comparison_json(compared)
    comparison.published = published
    comparison.draft_digest = ruleset_digest(ruleset=draft)
    comparison.seconds = time.perf_counter() - started
    comparison.status = DraftComparison.Status.READY
    comparison.finished_at = timezone.now()
    with transaction.atomic():
        comparison.full_clean()
        comparison.save()
        from reports.tasks import build_comparison_documents

        transaction.on_commit(lambda: build_comparison_documents.delay(comparison.pk))
    return comparison


def comparison_documents_build(*, comparison_id: int) -> DraftComparison:
    """Build the comparison's documents (PDF and Excel, Chinese and English), each once: one
    already kept is left alone, so running twice builds nothing more."""
    from reports import whatif_rendering

    comparison = DraftComparison.objects.select_related("draft__programme").get(pk=comparison_id)
    if comparison.status != DraftComparison.Status.READY:
        return comparison
    kept = set(comparison.documents.values_list("kind", "language"))
    for language in Language:
        for kind in ComparisonDocument.Kind:
            if (kind.value, language.value) in kept:
                continue
            with translation.override(language.value):
                view = comparison_view(comparison)
                if kind == ComparisonDocument.Kind.PDF:
                    content = whatif_rendering.comparison_pdf(view)
                else:
                    content = whatif_rendering.comparison_xlsx(view)
            document = ComparisonDocument(
                comparison=comparison,
                kind=kind,
                language=language,
                sha256=hashlib.sha256(content).hexdigest(),
            )
            name = f"draft-{comparison.draft.version}-as-of-{comparison.as_of}-{language}.{kind}"
            document.file.save(name, ContentFile(content), save=False)
            try:
                with transaction.atomic():
                    document.save()
            except IntegrityError:
                document.file.delete(save=False)  # another worker kept it first
    DraftComparison.objects.filter(pk=comparison.pk).update(
        documents_status=DraftComparison.Status.READY
    )
    comparison.refresh_from_db()
    return comparison


def comparison_get(*, pk: int, fetched_by: User | AnonymousUser) -> DraftComparison:
    """A comparison, for reviewers (``Forbidden`` to anyone else signed in)."""
    require_reviewer(fetched_by)
    found = (
        DraftComparison.objects.select_related("draft__programme", "published", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


# The comparison kept as plain values ------------------------------------------------------------


def _value(value: str | Decimal | None) -> str | None:
    return canonical_decimal(value) if isinstance(value, Decimal) else value


def _change(change: RuleChange) -> dict[str, Any]:
    return {
        "subject": change.subject,
        "field": change.field,
        "before": _value(change.before),
        "after": _value(change.after),
    }


def comparison_json(compared: RulesetComparison) -> dict[str, Any]:
    """The comparison as JSON values (decimals as exact strings), enough to show it again in
    any language without scoring anything."""

    def outcome(city: Any) -> dict[str, str] | None:
        if city is None:
            return None
        return {
            "score": canonical_decimal(city.score),
            "grade": city.grade,
            "amount": canonical_decimal(city.amount),
        }

    return {
        "programme": compared.programme,
        "published": compared.published,
        "draft": compared.draft,
        "as_of": compared.as_of.isoformat(),
        "years_elapsed": compared.years_elapsed,
        "rule_changes": [_change(c) for c in compared.rule_changes],
        "total_before": canonical_decimal(compared.total_before),
        "total_after": canonical_decimal(compared.total_after),
        "cities": [
            {
                "city": city.city,
                "changed": city.changed,
                "grade_changed": city.grade_changed,
                "before": outcome(city.before),
                "after": outcome(city.after),
                "refused_before": list(city.refused_before),
                "refused_after": list(city.refused_after),
                "differences": [
                    {
                        "indicator": d.indicator,
                        "points_before": _value(d.points_before),
                        "points_after": _value(d.points_after),
                        "status_before": d.status_before.value if d.status_before else None,
                        "status_after": d.status_after.value if d.status_after else None,
                        "causes": [_change(c) for c in d.causes],
                    }
                    for d in city.differences
                ],
                "band_causes": [_change(c) for c in city.band_causes],
            }
            for city in compared.cities
        ],
    }


# The comparison in the reader's language ----------------------------------------------------------


@dataclass
class CityLine:
    code: str
    city: str
    score_before: str
    score_after: str
    grade_before: str
    grade_after: str
    amount_before: Decimal | None
    amount_after: Decimal | None
    changed: bool
    grade_changed: bool
    why: list[str] = field(default_factory=list)

    @property
    def amount_change(self) -> Decimal:
        return (self.amount_after or Decimal(0)) - (self.amount_before or Decimal(0))


@dataclass
class ComparisonView:
    comparison: DraftComparison
    programme: str
    published: str
    draft: str
    as_of: str
    rule_changes: list[str]
    lines: list[CityLine]
    total_before: Decimal
    total_after: Decimal
    draft_edited: bool

    @property
    def changed(self) -> list[CityLine]:
        return [line for line in self.lines if line.changed]

    @property
    def grade_changes(self) -> list[CityLine]:
        return [line for line in self.lines if line.grade_changed]

    @property
    def total_change(self) -> Decimal:
        return self.total_after - self.total_before


_FIELDS = {
    "kind": lambda: _("rule kind"),
    "floor": lambda: _("national floor"),
    "weight": lambda: _("weight"),
    "min_score": lambda: _("lowest score"),
    "release_share": lambda: _("share released"),
}


class _Words:
    """Names and figures of a stored comparison in the active language."""

    def __init__(self) -> None:
        self.indicators = {i.code: i for i in Indicator.objects.all()}

    def subject(self, code: str) -> str:
        indicator = self.indicators.get(code)
        return indicator_name(indicator) if indicator is not None else grade_word(code)

    def value(self, name: str, value: str | None) -> str:
        if value is None:
            return "—"
        if name == "kind":
            return _(rule_kind(value).label) if value else value
        if name == "release_share":
            return figures.percent(Decimal(value))
        return f"{Decimal(value).normalize():f}"

    def change(self, change: dict[str, Any]) -> str:
        subject = self.subject(change["subject"])
        if change["field"] == "added":
            return _("%(subject)s: added by the draft") % {"subject": subject}
        if change["field"] == "removed":
            return _("%(subject)s: removed by the draft") % {"subject": subject}
        return _("%(subject)s: %(field)s %(before)s → %(after)s") % {
            "subject": subject,
            "field": _FIELDS[change["field"]](),
            "before": self.value(change["field"], change["before"]),
            "after": self.value(change["field"], change["after"]),
        }

    def cause(self, change: dict[str, Any]) -> str:
        if change["field"] in ("added", "removed"):
            return self.change(change)
        return _("%(field)s %(before)s → %(after)s") % {
            "field": _FIELDS[change["field"]](),
            "before": self.value(change["field"], change["before"]),
            "after": self.value(change["field"], change["after"]),
        }


def _score(outcome: dict[str, str] | None) -> str:
    return figures.number(Decimal(outcome["score"])) if outcome else "—"


def _grade(outcome: dict[str, str] | None) -> str:
    return grade_word(outcome["grade"]) if outcome else "—"


def _amount(outcome: dict[str, str] | None) -> Decimal | None:
    return Decimal(outcome["amount"]) if outcome else None


def _points(value: str | None) -> str:
    return "—" if value is None else figures.number(Decimal(value))


def _why(city: dict[str, Any], words: _Words) -> list[str]:
    """Each difference of a city, said with the rule that caused it."""
    why = []
    for difference in city["differences"]:
        causes = "; ".join(words.cause(c) for c in difference["causes"]) or _(
            "no rule of this indicator changed"
        )
        why.append(
            _("%(indicator)s: %(before)s → %(after)s points (%(causes)s)")
            % {
                "indicator": words.subject(difference["indicator"]),
                "before": _points(difference["points_before"]),
                "after": _points(difference["points_after"]),
                "causes": causes,
            }
        )
    for change in city["band_causes"]:
        why.append(_("grade bands: %(change)s") % {"change": words.change(change)})
    for reason in city["refused_after"]:
        why.append(_("the draft cannot score this city: %(reason)s") % {"reason": reason})
    for reason in city["refused_before"]:
        why.append(
            _("the published ruleset cannot score this city: %(reason)s") % {"reason": reason}
        )
    return why


def comparison_view(comparison: DraftComparison) -> ComparisonView:
    """A finished comparison in the active language: the rule changes, every city (those that
    change first, then by code) with its score, grade and amount under both rulesets and why
    they differ, the total release before and after. Four queries (the indicators' and the
    cities' names, and the draft's rules to tell whether it was edited since)."""
    result = comparison.result or {}
    words = _Words()
    cities = {
        c.code: c for c in City.objects.filter(code__in=[c["city"] for c in result["cities"]])
    }
    lines = []
    for city in result["cities"]:
        found = cities.get(city["city"])
        lines.append(
            CityLine(
                code=city["city"],
                city=indicator_name(found) if found is not None else city["city"],
                score_before=_score(city["before"]),
                score_after=_score(city["after"]),
                grade_before=_grade(city["before"]),
                grade_after=_grade(city["after"]),
                amount_before=_amount(city["before"]),
                amount_after=_amount(city["after"]),
                changed=city["changed"],
                grade_changed=city["grade_changed"],
                why=_why(city, words),
            )
        )
    lines.sort(key=lambda line: (not line.changed, line.code))
    return ComparisonView(
        comparison=comparison,
        programme=result["programme"],
        published=result["published"],
        draft=result["draft"],
        as_of=result["as_of"],
        rule_changes=[words.change(c) for c in result["rule_changes"]],
        lines=lines,
        total_before=Decimal(result["total_before"]),
        total_after=Decimal(result["total_after"]),
        draft_edited=comparison.draft.is_draft
        and ruleset_digest(ruleset=comparison.draft) != comparison.draft_digest,
    )
