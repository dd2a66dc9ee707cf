"""What the three import commands share: read the file, name the user, report the outcome."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.exceptions import Forbidden, ImportRefused, NoRuleset, NotFound, WorkflowError
from evaluation.management.refusals import refusal_text
from evaluation.models import Programme
from evaluation.selectors import programme_get
from evaluation.services.imports import ImportSummary
from evaluation.tabular import path_read, upload_limits


class ImportCommand(BaseCommand):
    takes_programme = True

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="a .csv or .xlsx file")
        if self.takes_programme:
            parser.add_argument("--programme", required=True, help='programme code, e.g. "2020"')
        parser.add_argument(
            "--by", metavar="USERNAME", help="the user the change is recorded under (default: none)"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the whole file and say what would change, saving nothing",
        )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        raise NotImplementedError

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options.pop("file")
        limits = upload_limits("command")
        try:
            data = path_read(path, limits=limits)
        except OSError as exc:
            raise CommandError(
                _("cannot read %(path)s: %(why)s") % {"path": path, "why": exc.strerror}
            ) from None
        except ImportRefused as exc:
            raise CommandError(exc.report()) from None
        by = None
        username = options.pop("by", None)
        if username:
            try:
                by = get_user_model().objects.get(username=username)
            except get_user_model().DoesNotExist:
                raise CommandError(_("--by: no user named %(name)r") % {"name": username}) from None
        if self.takes_programme:
            try:
                options["programme"] = programme_get(code=options["programme"])
            except Programme.DoesNotExist:
                raise CommandError(
                    _("unknown programme %(code)r") % {"code": options["programme"]}
                ) from None
        try:
            summary = self.load(name=path.name, data=data, by=by, limits=limits, **options)
        except ImportRefused as exc:
            raise CommandError(exc.report()) from None
        except Forbidden as exc:
            raise CommandError(
                _("--by %(name)s: %(why)s") % {"name": username, "why": exc}
            ) from None
        except (WorkflowError, NoRuleset, NotFound, ValidationError) as exc:
            raise CommandError(refusal_text(exc)) from None
        if summary.dry_run:
            self.stdout.write(
                _("%(file)s: dry run, nothing was saved; it would be %(summary)s.")
                % {"file": path.name, "summary": summary}
            )
        else:
            self.stdout.write(f"{path.name}: {summary}.")
