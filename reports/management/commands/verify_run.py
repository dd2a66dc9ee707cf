"""``manage.py verify_run RUN``: do a stored run's digests and results still follow from its
stored inputs? Exit status 0 when they do, 1 when they differ (each difference named), 2 when
the run cannot be verified (unknown, not finished, failed)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, ngettext

from evaluation import scoring
from evaluation.models import EvaluationRun
from reports.verification import RunNotVerifiable, run_verify

DIFFERS, NOT_VERIFIABLE = 1, 2


class Command(BaseCommand):
    help = (
        "Read a run's stored inputs again, score them again under the run's ruleset version "
        "and say whether the input digest and every result still match the stored run."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("run", type=int, help="the run's number (EvaluationRun id)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = EvaluationRun.objects.get(pk=options["run"])
        except EvaluationRun.DoesNotExist:
            raise CommandError(
                gettext("there is no run #%(run)s") % {"run": options["run"]},
                returncode=NOT_VERIFIABLE,
            ) from None
        try:
            verification = run_verify(run=run)
        except RunNotVerifiable as exc:
            raise CommandError(str(exc), returncode=NOT_VERIFIABLE) from None
        except scoring.EvaluationError as exc:
            raise CommandError(
                gettext(
                    "run #%(run)s does not match: its ruleset or programme can no longer be "
                    "scored with: %(reasons)s"
                )
                % {"run": run.pk, "reasons": "; ".join(exc.messages)},
                returncode=DIFFERS,
            ) from None
        run = verification.run
        self.stdout.write(
            gettext(
                "Run #%(run)s: programme %(programme)s, as of %(as_of)s, ruleset %(ruleset)s, "
                "%(kind)s, %(cities)s cities, %(indicators)s indicator results."
            )
            % {
                "run": run.pk,
                "programme": run.programme.code,
                "as_of": run.as_of.isoformat(),
                "ruleset": run.ruleset.label,
                "kind": run.get_kind_display(),
                "cities": verification.cities,
                "indicators": verification.indicators,
            }
        )
        self.stdout.write(
            gettext("Input digest: %(digest)s. Result digest: %(result)s.")
            % {"digest": run.input_digest, "result": run.result_digest}
        )
        if verification.matches:
            self.stdout.write(
                gettext(
                    "Matches: the stored inputs, read and scored again under ruleset "
                    "%(ruleset)s, give the same digests and every stored result."
                )
                % {"ruleset": run.ruleset.label}
            )
            return
        for difference in verification.differences:
            self.stdout.write(str(difference))
        count = len(verification.differences)
        raise CommandError(
            ngettext(
                "run #%(run)s does not match its stored inputs: %(count)d difference",
                "run #%(run)s does not match its stored inputs: %(count)d differences",
                count,
            )
            % {"run": run.pk, "count": count},
            returncode=DIFFERS,
        )
