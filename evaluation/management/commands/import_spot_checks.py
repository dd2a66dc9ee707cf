from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.checks import spot_checks_import
from evaluation.services.imports import ImportSummary


class Command(ImportCommand):
    help = (
        "Load the spot checks' verified values (city_code, period, indicator, verified_value): "
        "each row the checker's figure for a reported value of a city of the programme. All or "
        "nothing."
    )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return spot_checks_import(
            name=name, data=data, programme=options["programme"], by=by, dry_run=dry_run
        )
