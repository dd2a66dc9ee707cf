from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.imports import ImportSummary
from evaluation.services.panel import task_scores_import


class Command(ImportCommand):
    help = (
        "Load the experts' scores of the cities' tasks (city_code, task, expert, score from 0 "
        "to 1, optionally comment); each expert on the city's panel. All or nothing."
    )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return task_scores_import(
            name=name, data=data, programme=options["programme"], by=by, dry_run=dry_run
        )
