from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.imports import ImportSummary, targets_import


class Command(ImportCommand):
    help = (
        "Load the targets cities committed to (city_code, indicator, target; growth targets "
        "as fractions). All or nothing."
    )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return targets_import(
            name=name,
            data=data,
            programme=options["programme"],
            by=by,
            dry_run=dry_run,
            limits=options["limits"],
        )
