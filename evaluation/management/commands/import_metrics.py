from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.imports import ImportSummary, metrics_import


class Command(ImportCommand):
    help = (
        "Load metric values (city_code, period, indicator, value). They arrive as submitted, "
        "awaiting review, or with --approve as approved by the ministry. All or nothing."
    )
    takes_programme = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--approve",
            action="store_true",
            help="record the values as approved (for audited historical data)",
        )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return metrics_import(
            name=name,
            data=data,
            approve=options["approve"],
            by=by,
            dry_run=dry_run,
            limits=options["limits"],
        )
