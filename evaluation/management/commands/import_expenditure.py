from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User

from evaluation.management.importing import ImportCommand
from evaluation.services.imports import ImportSummary
from evaluation.services.money import expenditure_import


class Command(ImportCommand):
    help = (
        "Load the cities' expenditure per period (city_code, period, amount in yuan, optionally "
        "evidence). It arrives as submitted, awaiting review, or with --approve as approved by "
        "the ministry. All or nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--approve",
            action="store_true",
            help="record the expenditure as approved (for audited historical data)",
        )

    def load(
        self, *, name: str, data: bytes, by: User | None, dry_run: bool, **options: Any
    ) -> ImportSummary:
        return expenditure_import(
            name=name,
            data=data,
            programme=options["programme"],
            approve=options["approve"],
            by=by,
            dry_run=dry_run,
        )
