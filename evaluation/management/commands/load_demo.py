from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation.demo import demo_files, demo_load
from evaluation.demo_parts import demo_parts_files

BANNER = _(
    "SYNTHETIC DEMO DATA: the 11 real cities of the 2020 batch with made-up figures "
    "(not real statistics)."
)


class Command(BaseCommand):
    help = (
        "Load the 11 real 2020-batch cities with SYNTHETIC figures (approved), spread so that "
        "every grade appears. Loading twice changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--write",
            type=Path,
            metavar="DIR",
            help="also write the demo files (CSV) to DIR, as examples of the file formats",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(BANNER))
        if options["write"]:
            options["write"].mkdir(parents=True, exist_ok=True)
            for name, data in {**demo_files(), **demo_parts_files()}.items():
                (options["write"] / name).write_bytes(data)
                self.stdout.write(gettext("wrote %(path)s") % {"path": options["write"] / name})
        for name, summary in demo_load().items():
            self.stdout.write(
                gettext("%(file)s: %(summary)s.") % {"file": name, "summary": summary}
            )
