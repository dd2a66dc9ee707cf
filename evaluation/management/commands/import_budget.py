from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.imports import ImportSummary
from evaluation.services.money import budget_import


class Command(ImportCommand):
    help = (
        "Load the cities' planned spending per construction year (city_code, year, planned in "
        "yuan) for a programme's budget execution. All or nothing."
    )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return budget_import(
            name=name, data=data, programme=options["programme"], by=by, dry_run=dry_run
        )
