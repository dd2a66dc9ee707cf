"""``manage.py compare_draft --programme 2020 --by REVIEWER [--draft VERSION] [--set
INDICATOR.weight=20 …] [--as-of DATE]``: what a draft ruleset would do to every city, computed
by a worker exactly as the reviewers' page asks for it, printed with the rule behind each
difference. Nothing is stored as a run; the comparison is kept with its documents."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext

from evaluation.exceptions import Forbidden, WorkflowError
from evaluation.models import Programme, Ruleset
from evaluation.selectors import programme_get
from evaluation.services.drafts import (
    BandEdit,
    RuleEdit,
    ruleset_draft_create,
    ruleset_draft_edit,
)
from reports import figures
from reports.models import DraftComparison
from reports.whatif import comparison_view, draft_comparison_request

RULE_PARTS = ("kind", "floor", "weight")
BAND_PARTS = ("min_score", "release_share")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            gettext("--as-of %(text)r is not a date like 2021-12-31") % {"text": text}
        ) from None


class Command(BaseCommand):
    help = (
        "Compare a draft ruleset with the published one (a new draft from the current ruleset "
        "with the --set changes, or an existing draft by --draft VERSION): every city's score, "
        "grade and release under both, and the rule behind each difference."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--programme", required=True, help='programme code, e.g. "2020"')
        parser.add_argument("--by", required=True, help="the reviewer who asks (user name)")
        parser.add_argument("--draft", type=int, help="an existing draft's version number")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="SUBJECT.FIELD=VALUE",
            help=(
                "a change to the draft: an indicator's kind, floor or weight "
                "(certified_entities.weight=20) or a grade's min_score or release_share "
                "(good.min_score=85); repeatable"
            ),
        )
        parser.add_argument(
            "--as-of", type=_date, help="as-of date (default: the programme's mid-term date)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            programme = programme_get(code=options["programme"])
        except Programme.DoesNotExist:
            raise CommandError(
                gettext("unknown programme %(code)r") % {"code": options["programme"]}
            ) from None
        by = User.objects.filter(username=options["by"]).first()
        if by is None:
            raise CommandError(gettext("no user named %(name)r") % {"name": options["by"]})
        try:
            # All or nothing: a refused change leaves no new draft behind.
            with transaction.atomic():
                draft = self._draft(programme, options["draft"], by)
                rules, bands = self._changes(draft, options["set"])
                if rules or bands:
                    ruleset_draft_edit(draft=draft, by=by, rules=rules, bands=bands)
                comparison = draft_comparison_request(
                    draft=draft, as_of=options["as_of"] or programme.midterm_as_of, by=by
                )
        except Forbidden as exc:
            raise CommandError(str(exc)) from None
        except WorkflowError as exc:
            raise CommandError(
                "\n".join(f"{e.field or '—'}: {e.reason}" for e in exc.errors)
            ) from None
        comparison = self._wait(comparison.pk)
        if comparison.status == DraftComparison.Status.FAILED:
            raise CommandError(
                gettext("the comparison could not be made: %(error)s") % {"error": comparison.error}
            )
        self._print(comparison)

    def _draft(self, programme: Programme, version: int | None, by: User) -> Ruleset:
        if version is None:
            made = ruleset_draft_create(programme=programme, by=by)
            self.stderr.write(gettext("Draft %(draft)s made.") % {"draft": made.label})
            return made
        found = Ruleset.objects.filter(programme=programme, version=version, is_draft=True).first()
        if found is None:
            raise CommandError(
                gettext("programme %(programme)s has no draft version %(version)s")
                % {"programme": programme.code, "version": version}
            )
        return found

    def _changes(
        self, draft: Ruleset, changes: list[str]
    ) -> tuple[dict[str, RuleEdit], dict[str, BandEdit]]:
        rules: dict[str, dict[str, str | Decimal]] = {
            r.indicator.code: {"kind": r.kind, "floor": r.floor, "weight": r.weight}
            for r in draft.rules.select_related("indicator")
        }
        bands: dict[str, dict[str, str | Decimal]] = {
            b.grade: {"min_score": b.min_score, "release_share": b.release_share}
            for b in draft.bands.all()
        }
        for change in changes:
            subject, _, rest = change.partition(".")
            field, equals, value = rest.partition("=")
            target = rules.get(subject) or bands.get(subject)
            if not equals or target is None or field not in target:
                raise CommandError(
                    gettext(
                        "--set %(change)r: write an indicator's kind, floor or weight, or a "
                        "grade's min_score or release_share, e.g. certified_entities.weight=20"
                    )
                    % {"change": change}
                )
            if field == "kind":
                target[field] = value
                continue
            try:
                target[field] = Decimal(value)
            except InvalidOperation:
                raise CommandError(
                    gettext("--set %(change)r: %(value)r is not a number")
                    % {"change": change, "value": value}
                ) from None
        return (
            {
                code: RuleEdit(
                    kind=str(values["kind"]),
                    floor=Decimal(values["floor"]),
                    weight=Decimal(values["weight"]),
                )
                for code, values in rules.items()
            },
            {
                grade: BandEdit(
                    min_score=Decimal(values["min_score"]),
                    release_share=Decimal(values["release_share"]),
                )
                for grade, values in bands.items()
            },
        )

    def _wait(self, pk: int) -> DraftComparison:
        deadline = time.monotonic() + settings.EVALUATION_WAIT_SECONDS
        while True:
            comparison = DraftComparison.objects.select_related("draft__programme").get(pk=pk)
            if comparison.status in (DraftComparison.Status.READY, DraftComparison.Status.FAILED):
                return comparison
            if time.monotonic() > deadline:
                raise CommandError(
                    gettext(
                        "gave up waiting for comparison #%(id)s: it is still %(status)s; it goes "
                        "on without this command (the reviewers' page shows it)."
                    )
                    % {"id": pk, "status": comparison.get_status_display()}
                )
            time.sleep(0.2)

    def _print(self, comparison: DraftComparison) -> None:
        view = comparison_view(comparison)
        self.stdout.write(
            gettext(
                "Draft %(draft)s against %(published)s, as of %(as_of)s (comparison #%(id)s, "
                "%(seconds)s s): a what-if, not a run."
            )
            % {
                "draft": view.draft,
                "published": view.published,
                "as_of": view.as_of,
                "id": comparison.pk,
                "seconds": f"{comparison.seconds or 0:.2f}",
            }
        )
        for change in view.rule_changes:
            self.stdout.write(f"  {change}")
        for line in view.changed:
            self.stdout.write(
                gettext(
                    "%(code)s %(city)s: %(score_before)s → %(score_after)s, %(grade_before)s → "
                    "%(grade_after)s, %(amount_before)s → %(amount_after)s yuan"
                )
                % {
                    "code": line.code,
                    "city": line.city,
                    "score_before": line.score_before,
                    "score_after": line.score_after,
                    "grade_before": line.grade_before,
                    "grade_after": line.grade_after,
                    "amount_before": _money(line.amount_before),
                    "amount_after": _money(line.amount_after),
                }
            )
            for why in line.why:
                self.stdout.write(f"    {why}")
        self.stdout.write(
            gettext(
                "%(changed)s of %(cities)s cities change, %(tiers)s change grade; total release "
                "%(before)s → %(after)s yuan."
            )
            % {
                "changed": len(view.changed),
                "cities": len(view.lines),
                "tiers": len(view.grade_changes),
                "before": figures.money(view.total_before),
                "after": figures.money(view.total_after),
            }
        )


def _money(value: Decimal | None) -> str:
    return "—" if value is None else figures.money(value)
