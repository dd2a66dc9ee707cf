from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.imports import ImportSummary, cities_import


class Command(ImportCommand):
    help = (
        "Load cities (code, name_en, name_zh, province; optionally total_amount and "
        "first_tranche in yuan) into a programme. All or nothing."
    )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return cities_import(
            name=name,
            data=data,
            programme=options["programme"],
            by=by,
            dry_run=dry_run,
            limits=options["limits"],
        )
