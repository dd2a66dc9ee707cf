from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.imports import ImportSummary
from evaluation.services.panel import task_choices_import


class Command(ImportCommand):
    help = (
        "Load the optional tasks each city chose (city_code, task): a city named in the file "
        "chose exactly the tasks of its rows. All or nothing."
    )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return task_choices_import(
            name=name, data=data, programme=options["programme"], by=by, dry_run=dry_run
        )
