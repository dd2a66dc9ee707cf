import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.exceptions import Forbidden
from evaluation.services.people import user_create

PASSWORD_VARIABLE = "DJANGO_USER_PASSWORD"


class Command(BaseCommand):
    # As createsuperuser: tests (and scripts calling call_command) may hand in their own stdin.
    stealth_options = ("stdin",)

    @property
    def help(self) -> str:  # type: ignore[override]
        """In the active language (a class attribute would be translated at import)."""
        return _(
            "Create a user account with a password (--password, --password-stdin, or the "
            "DJANGO_USER_PASSWORD environment variable), or set the password of an existing one."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--password", help=_("the password (visible in the shell history)"))
        source.add_argument(
            "--password-stdin", action="store_true", help=_("read the password from stdin")
        )
        parser.add_argument("--email", default="", help=_("for reminders and notices"))
        parser.add_argument(
            "--by",
            metavar="USERNAME",
            help=_("the administrator who creates it (default: the system)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = (options.get("stdin") or sys.stdin).readline().rstrip("\r\n")
        else:
            password = options["password"] or os.environ.get(PASSWORD_VARIABLE, "")
        if not password:
            raise CommandError(
                _("give a password: --password, --password-stdin or %s") % PASSWORD_VARIABLE
            )
        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(_("--by: no user named %r") % options["by"])
        existed = User.objects.filter(username=options["username"]).exists()
        try:
            user = user_create(
                username=options["username"], password=password, email=options["email"], by=by
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        except Forbidden as exc:
            raise CommandError(f"--by {options['by']}: {exc}") from None
        message = (
            _("%s already existed: its password is set.")
            if existed
            else _("%s is created, with its password.")
        )
        self.stdout.write(message % user.username)
