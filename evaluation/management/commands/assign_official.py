from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.management.refusals import refusals_as_errors
from evaluation.models import Participation
from evaluation.services.people import official_assign


class Command(BaseCommand):
    help = "Bind a user as an official of a city in a programme (creating the user if needed)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--city", required=True, help="6-digit division code")
        parser.add_argument("--programme", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            participation = Participation.objects.get(
                city__code=options["city"], programme__code=options["programme"]
            )
        except Participation.DoesNotExist:
            raise CommandError(
                _("city %(code)s is not in programme %(programme)s")
                % {"code": options["city"], "programme": options["programme"]}
            ) from None
        user, created = User.objects.get_or_create(username=options["username"])
        with refusals_as_errors():
            official_assign(user=user, participation=participation, by=None)
        note = (
            _(
                " (new user without a password: give it one with `manage.py create_user %s "
                "--password …`, or interactively with `manage.py changepassword`)"
            )
            % user.username
            if created
            else ""
        )
        self.stdout.write(
            _("%(user)s is an official of %(participation)s%(note)s.")
            % {"user": user.username, "participation": participation, "note": note}
        )
