from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from evaluation.services.people import ROLES, role_grant


class Command(BaseCommand):
    help = "Give a user a ministry role: reviewer or administrator."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=sorted(ROLES))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user named {options['username']!r}") from None
        role_grant(user=user, role=options["role"])
        self.stdout.write(f"{user.username} is now a ministry {options['role']}.")
