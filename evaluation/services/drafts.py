"""Draft rulesets: a version of a programme's rules that is edited and compared with the
published one (what-if) before it changes anything.

A draft is a ``Ruleset`` row like any other (its rules, bands and threshold are the same
tables, so whatever a ruleset gains a draft has too) with ``is_draft`` set: the current
ruleset is the highest *published* version (``selectors.ruleset_current``), so no run, target
check, portal page or report ever reads a draft. A reviewer makes and edits drafts; an
administrator publishes one, which then takes the next version number if a newer version was
published meanwhile, and is current from then on. A published version is never a draft again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext

from evaluation import scoring
from evaluation.access import require_administrator, require_reviewer
from evaluation.exceptions import FieldError, Locked, WorkflowError
from evaluation.models import GradeBand, IndicatorRule, Programme, Ruleset
from evaluation.scoring import RULE_KINDS
from evaluation.selectors import ruleset_current, ruleset_spec
from evaluation.services.audit import audited_bulk_create, audited_save
from evaluation.services.ruleset_parts import ruleset_versions_locked

MAX_RECTIFICATION_DAYS = 3650


@dataclass(frozen=True)
class RuleEdit:
    """An indicator's rule as the draft should have it."""

    kind: str
    floor: Decimal
    weight: Decimal


@dataclass(frozen=True)
class BandEdit:
    """A grade band as the draft should have it."""

    min_score: Decimal
    release_share: Decimal


@transaction.atomic
def ruleset_draft_create(*, programme: Programme, by: User, notes: str = "") -> Ruleset:
    """A new draft: a copy of the programme's current ruleset (rules, bands and rectification
    threshold) under the next version number, changing nothing until it is published."""
    require_reviewer(by)
    # Locked before the current ruleset is read: a draft made while another is published
    # copies the one published.
    latest = ruleset_versions_locked(programme.pk)
    source = ruleset_current(programme=programme)
    draft = audited_save(
        Ruleset(
            programme=programme,
            version=(latest or 0) + 1,
            notes=notes.strip(),
            created_by=by,
            is_draft=True,
            rectification_below=source.rectification_below,
            rectification_days=source.rectification_days,
        ),
        by=by,
        reason=f"draft made from {source.label}",
    )
    reason = f"copied from {source.label}"
    audited_bulk_create(
        [
            IndicatorRule(
                ruleset=draft,
                indicator_id=rule.indicator_id,
                kind=rule.kind,
                floor=rule.floor,
                weight=rule.weight,
            )
            for rule in source.rules.all()
        ],
        IndicatorRule,
        by=by,
        reason=reason,
    )
    audited_bulk_create(
        [
            GradeBand(
                ruleset=draft,
                grade=band.grade,
                min_score=band.min_score,
                release_share=band.release_share,
            )
            for band in source.bands.all()
        ],
        GradeBand,
        by=by,
        reason=reason,
    )
    return draft


def _locked_draft(draft: Ruleset) -> Ruleset:
    # The draft's row alone: not its programme's, which the versions' lock takes first
    # (``ruleset_versions_locked``); a join's lock on it too met that one the other way round.
    locked = (
        Ruleset.objects.select_for_update(of=("self",)).select_related("programme").get(pk=draft.pk)
    )
    if not locked.is_draft:
        raise Locked(
            gettext("ruleset %(ruleset)s is published: only a draft is edited or published")
            % {"ruleset": locked.label},
            "ruleset_not_a_draft",
        )
    return locked


def _rule_errors(
    rules: list[IndicatorRule], edits: Mapping[str, RuleEdit]
) -> tuple[list[FieldError], list[IndicatorRule]]:
    """Every refused field of the indicators' rules, and the rows an edit changes."""
    errors: list[FieldError] = []
    changed: list[IndicatorRule] = []
    known = {rule.indicator.code: rule for rule in rules}
    for code in sorted(set(edits) - set(known)):
        errors.append(
            FieldError(f"rules.{code}", gettext("the draft has no such indicator"), "unknown")
        )
    for code, rule in known.items():
        edit = edits.get(code)
        if edit is None:
            continue
        field = f"rules.{code}"
        if edit.kind not in RULE_KINDS:
            errors.append(FieldError(f"{field}.kind", gettext("unknown rule kind"), "unknown_kind"))
        if edit.floor <= 0:
            errors.append(
                FieldError(f"{field}.floor", gettext("must be above 0"), "not_above_zero")
            )
        if not Decimal(0) <= edit.weight <= Decimal(100):
            errors.append(
                FieldError(f"{field}.weight", gettext("must be between 0 and 100"), "outside_range")
            )
        if (rule.kind, rule.floor, rule.weight) != (edit.kind, edit.floor, edit.weight):
            rule.kind, rule.floor, rule.weight = edit.kind, edit.floor, edit.weight
            changed.append(rule)
    return errors, changed


def _band_errors(
    bands: list[GradeBand], edits: Mapping[str, BandEdit]
) -> tuple[list[FieldError], list[GradeBand]]:
    errors: list[FieldError] = []
    changed: list[GradeBand] = []
    known = {band.grade: band for band in bands}
    for grade in sorted(set(edits) - set(known)):
        errors.append(
            FieldError(f"bands.{grade}", gettext("the draft has no such grade"), "unknown")
        )
    for grade, band in known.items():
        edit = edits.get(grade)
        if edit is None:
            continue
        field = f"bands.{grade}"
        if not Decimal(0) <= edit.min_score <= Decimal(100):
            errors.append(
                FieldError(
                    f"{field}.min_score", gettext("must be between 0 and 100"), "outside_range"
                )
            )
        if not Decimal(0) <= edit.release_share <= Decimal(1):
            errors.append(
                FieldError(
                    f"{field}.release_share", gettext("must be between 0 and 1"), "outside_range"
                )
            )
        if (band.min_score, band.release_share) != (edit.min_score, edit.release_share):
            band.min_score, band.release_share = edit.min_score, edit.release_share
            changed.append(band)
    return errors, changed


@transaction.atomic
def ruleset_draft_edit(
    *,
    draft: Ruleset,
    by: User,
    rules: Mapping[str, RuleEdit] | None = None,
    bands: Mapping[str, BandEdit] | None = None,
    rectification_below: str | None = None,
    rectification_days: int | None = None,
    notes: str | None = None,
) -> Ruleset:
    """Change a draft's rules (by indicator code), bands (by grade), rectification threshold
    and notes. Everything is checked first, by the scoring core's rules of a ruleset too
    (weights adding up to 100, a band from 0…): a refused edit names every field at fault and
    changes nothing."""
    require_reviewer(by)
    draft = _locked_draft(draft)
    rule_rows = list(draft.rules.select_related("indicator").order_by("indicator__position"))
    band_rows = list(draft.bands.all())
    errors, changed_rules = _rule_errors(rule_rows, rules or {})
    band_problems, changed_bands = _band_errors(band_rows, bands or {})
    errors += band_problems
    grades = {band.grade for band in band_rows}
    if rectification_below is not None and rectification_below not in {"", *grades}:
        errors.append(
            FieldError("rectification_below", gettext("not a grade of this ruleset"), "not_a_grade")
        )
    if rectification_days is not None and not 1 <= rectification_days <= MAX_RECTIFICATION_DAYS:
        errors.append(
            FieldError(
                "rectification_days",
                gettext("must be between 1 and %(most)s days") % {"most": MAX_RECTIFICATION_DAYS},
                "outside_range",
            )
        )
    if not errors:
        spec = scoring.RulesetSpec(
            label=draft.label,
            indicators=tuple(
                scoring.IndicatorRule(r.indicator.code, r.kind, r.floor, r.weight)
                for r in rule_rows
            ),
            bands=tuple(
                scoring.GradeBand(b.grade, b.min_score, b.release_share) for b in band_rows
            ),
        )
        errors += [
            FieldError("rules", problem, "invalid_ruleset")
            for problem in scoring.engine.check_indicator_rules(spec.indicators)
        ]
        errors += [
            FieldError("bands", problem, "invalid_ruleset")
            for problem in scoring.engine.check_bands(spec.bands)
        ]
    if errors:
        raise WorkflowError(errors)
    for rule in changed_rules:
        audited_save(rule, by=by, reason="draft edited")
    for band in changed_bands:
        audited_save(band, by=by, reason="draft edited")
    fields: list[str] = []
    if rectification_below is not None and rectification_below != draft.rectification_below:
        draft.rectification_below = rectification_below
        fields.append("rectification_below")
    if rectification_days is not None and rectification_days != draft.rectification_days:
        draft.rectification_days = rectification_days
        fields.append("rectification_days")
    if notes is not None and notes.strip() != draft.notes:
        draft.notes = notes.strip()
        fields.append("notes")
    if fields:
        audited_save(draft, by=by, reason="draft edited", update_fields=fields)
    return draft


@transaction.atomic
def ruleset_publish(*, draft: Ruleset, by: User) -> Ruleset:
    """Publish a draft: it becomes the programme's current ruleset (under the next version
    number if a newer version was published since it was made). Administrators only; a draft
    that is not a valid ruleset is refused."""
    require_administrator(by)
    # Publishing takes the next number.
    latest = ruleset_versions_locked(draft.programme_id)
    draft = _locked_draft(draft)
    try:
        scoring.engine.check_ruleset(ruleset_spec(ruleset=draft))
    except scoring.RulesetError as exc:
        raise WorkflowError(
            [FieldError(None, problem, "invalid_ruleset") for problem in exc.messages]
        ) from None
    was = draft.label
    if latest is not None and draft.version < latest:
        draft.version = latest + 1
    draft.is_draft = False
    return audited_save(
        draft,
        by=by,
        reason=f"published (draft {was})",
        update_fields=["version", "is_draft"],
    )
