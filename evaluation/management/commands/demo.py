import io
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from evaluation.models import EvaluationRun


class Command(BaseCommand):
    help = (
        "The whole demo: create or update the database, load the SYNTHETIC 2020-batch data and "
        "run the mid-term evaluation, printing each city's decision and its reasons; then a "
        "provisional run of the same date, which the portal's demo official sees."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_demo", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("")
        call_command("evaluate", programme="2020", stdout=self.stdout, stderr=self.stderr)
        # The embedded default runs no nightly schedule: without this run the officials' portal
        # would show no result until the official run above is signed off.
        call_command(
            "evaluate",
            programme="2020",
            provisional=True,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
        provisional = EvaluationRun.objects.filter(kind=EvaluationRun.Kind.PROVISIONAL).latest(
            "created_at", "id"
        )
        self.stdout.write(
            gettext(
                "Provisional run #%(run)s as of %(as_of)s: what the portal's officials see until "
                "the official run's decisions are signed off."
            )
            % {"run": provisional.pk, "as_of": provisional.as_of.isoformat()}
        )
        call_command("demo_portal", stdout=self.stdout, stderr=self.stderr)
