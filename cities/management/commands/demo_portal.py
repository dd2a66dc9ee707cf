from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext

from evaluation.models import OfficialAssignment, Participation
from evaluation.vocabulary import indicator_name

USERNAME = "demo.official"
PASSWORD = "demo-portal-2020"
CITY = "210100"  # Shenyang


class Command(BaseCommand):
    help = (
        f"A demo official of the portal: {USERNAME} (password {PASSWORD}) for Shenyang in the "
        "2020 programme. For the demo database only; does nothing if the user exists."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        participation = Participation.objects.filter(
            programme__code="2020", city__code=CITY
        ).first()
        if participation is None:
            self.stderr.write(gettext("load the demo data first (manage.py load_demo)"))
            return
        user, created = User.objects.get_or_create(
            username=USERNAME, defaults={"email": "demo.official@example.org"}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        OfficialAssignment.objects.get_or_create(user=user, participation=participation)
        self.stdout.write(
            gettext(
                "Portal: sign in at http://localhost:8000/ as %(user)s / %(password)s (%(city)s)"
            )
            % {"user": USERNAME, "password": PASSWORD, "city": indicator_name(participation.city)}
        )
