"""``manage.py evaluate --programme 2020 [--as-of 2021-12-31] [--json]`` (interfaces.md)."""

from __future__ import annotations

import datetime as dt
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from evaluation.management.refusals import refusals_as_errors
from evaluation.models import EvaluationRun, Programme
from evaluation.run_progress import run_progress
from evaluation.selectors import programme_get
from evaluation.services.runs import evaluation_run_request
from reports.runs import run_document_write, run_table


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            gettext("--as-of %(text)r is not a date like 2021-12-31") % {"text": text}
        ) from None


class Command(BaseCommand):
    help = (
        "Evaluate a programme at a date through the same Celery task the schedules use, wait "
        "for it, and print each city's score, grade and recommended decision."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--programme", required=True, help='programme code, e.g. "2020"')
        parser.add_argument(
            "--as-of", type=_date, help="as-of date (default: the programme's mid-term date)"
        )
        parser.add_argument("--json", action="store_true", help="print the JSON document")
        parser.add_argument(
            "--details", action="store_true", help="also print every indicator's reason"
        )
        parser.add_argument(
            "--provisional",
            action="store_true",
            help="mark the run provisional (for information; its decisions are never signed off)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            programme = programme_get(code=options["programme"])
        except Programme.DoesNotExist:
            raise CommandError(
                gettext("unknown programme %(code)r") % {"code": options["programme"]}
            ) from None
        with refusals_as_errors():
            run = evaluation_run_request(
                programme=programme,
                as_of=options["as_of"],
                kind=EvaluationRun.Kind.PROVISIONAL
                if options["provisional"]
                else EvaluationRun.Kind.OFFICIAL,
                trigger=EvaluationRun.Trigger.COMMAND,
                by=None,
            )
        run = self._wait(run.pk)
        if run.status == EvaluationRun.Status.FAILED:
            raise CommandError(
                gettext("evaluation run #%(run)s failed:\n%(error)s")
                % {"run": run.pk, "error": run.error}
            )
        if options["json"]:
            # Streamed city by city: the caller's memory does not grow with the cities.
            run_document_write(run, lambda text: self.stdout.write(text, ending=""))
            self.stdout.write("")
        else:
            self.stdout.write(run_table(run, details=options["details"]))
        self.stderr.write(self._comparison(run))

    def _wait(self, run_id: int) -> EvaluationRun:
        """Wait for a worker to finish the run (at once when tasks run in-process), saying on
        standard error how far it has got; on giving up, say what state it is in and why."""
        waited = settings.EVALUATION_WAIT_SECONDS
        deadline = time.monotonic() + waited
        said = None
        # Asked often at first (a small run is done in a moment), then less and less, up to
        # once a second: a long run is not polled five times a second for nothing.
        pause = 0.05
        while True:
            run = EvaluationRun.objects.select_related("programme", "ruleset__programme").get(
                pk=run_id
            )
            if run.status in (EvaluationRun.Status.SUCCEEDED, EvaluationRun.Status.FAILED):
                return run
            progress = run_progress(run=run)
            if progress.total is not None and progress.scored != said:
                said = progress.scored
                self.stderr.write(
                    gettext("Run #{id}: {scored} of {total} cities scored").format(
                        id=run_id, scored=progress.scored, total=progress.total
                    )
                )
            if time.monotonic() > deadline:
                raise CommandError(
                    gettext(
                        "gave up waiting for evaluation run #{id} after {seconds} s: it is "
                        "still {status}, {scored} of {total} cities scored; {why}. It goes on "
                        "without this command: follow it in the admin or at /api/v1/runs/{id}/."
                    ).format(
                        id=run_id,
                        seconds=waited,
                        status=run.get_status_display(),
                        scored=progress.scored,
                        total="?" if progress.total is None else progress.total,
                        why=progress.waiting_for,
                    )
                )
            time.sleep(min(pause, max(0.0, deadline - time.monotonic()) + 0.01))
            pause = min(1.0, pause * 1.5)

    @staticmethod
    def _comparison(run: EvaluationRun) -> str:
        digest = run.input_digest[:16]
        if run.identical_to_id is not None:
            return gettext(
                "Run #%(run)s: inputs unchanged since run #%(earlier)s (input digest "
                "%(digest)s…); results identical (result digest %(result)s…)."
            ) % {
                "run": run.pk,
                "earlier": run.identical_to_id,
                "digest": digest,
                "result": run.result_digest[:16],
            }
        return gettext("Run #%(run)s: input digest %(digest)s…, result digest %(result)s….") % {
            "run": run.pk,
            "digest": digest,
            "result": run.result_digest[:16],
        }
