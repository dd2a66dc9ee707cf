from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "The whole demo: create or update the database, load the SYNTHETIC 2020-batch data and "
        "run the mid-term evaluation, printing each city's decision and its reasons."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_demo", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("")
        call_command("evaluate", programme="2020", stdout=self.stdout, stderr=self.stderr)
        call_command("demo_portal", stdout=self.stdout, stderr=self.stderr)
