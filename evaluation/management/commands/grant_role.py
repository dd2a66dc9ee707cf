from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation.services.people import ROLES, role_grant

ROLE_WORDS = {"reviewer": _("reviewer"), "administrator": _("administrator")}


class Command(BaseCommand):
    help = "Give a user a ministry role: reviewer or administrator."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLES))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(
                gettext("no user named %(name)r") % {"name": options["username"]}
            ) from None
        role_grant(user=user, role=options["role"])
        self.stdout.write(
            gettext("%(user)s is now a ministry %(role)s.")
            % {"user": user.username, "role": ROLE_WORDS.get(options["role"], options["role"])}
        )
