"""``manage.py dossier RUN [--out FILE] [--lang zh-hans|en]``: the evaluation dossier of a
finalised official run, kept as the run's document (its SHA-256 recorded) and written to
``FILE`` (by default ``dossier-PROGRAMME-runN.zip`` here). Exit status 0, or non-zero with the
reason when the run has no dossier (unknown, not finished, provisional, not finalised)."""

from __future__ import annotations

import shutil
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext

from evaluation.models import EvaluationRun
from reports.documents import DocumentRefused, document_build, document_request
from reports.dossier import dossier_name
from reports.models import Document, Language


class Command(BaseCommand):
    help = (
        "Write the evaluation dossier of a finalised run: a ZIP holding everything the run "
        "read and decided, and a verifier that checks it on any computer with Python."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("run", type=int, help="the run's number (EvaluationRun id)")
        parser.add_argument("--out", help="the file to write (default: dossier-PROGRAMME-runN.zip)")
        parser.add_argument(
            "--lang",
            choices=Language.values,
            help="the language the verifier speaks by default (default: the command's)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = EvaluationRun.objects.select_related("programme").get(pk=options["run"])
        except EvaluationRun.DoesNotExist:
            raise CommandError(
                gettext("there is no run #%(run)s") % {"run": options["run"]}
            ) from None
        if run.kind != EvaluationRun.Kind.OFFICIAL or run.finalised_at is None:
            raise CommandError(
                gettext(
                    "run #%(run)s has no dossier: only an official run whose every decision is "
                    "signed off has one"
                )
                % {"run": run.pk}
            )
        try:
            document = document_request(
                run=run,
                kind=Document.Kind.DOSSIER,
                language=options["lang"] or translation.get_language() or "",
                by=None,
            )
        except DocumentRefused as exc:
            raise CommandError(str(exc)) from None
        if document.status != Document.Status.READY:
            # A large programme's documents are built by a worker: this command does not wait.
            document = document_build(document_id=document.pk)
        if document.status != Document.Status.READY:
            raise CommandError(document.error or gettext("the dossier could not be built"))
        out = Path(options["out"] or dossier_name(run))
        with document.file.open("rb") as kept, out.open("wb") as written:
            shutil.copyfileobj(kept, written)
        self.stdout.write(
            gettext(
                "Evaluation dossier of run #%(run)s written to %(file)s (%(size)s bytes, "
                "SHA-256 %(sha256)s). Verify it with: python3 %(file)s"
            )
            % {"run": run.pk, "file": out, "size": out.stat().st_size, "sha256": document.sha256}
        )
