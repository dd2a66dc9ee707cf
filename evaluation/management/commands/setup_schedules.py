from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext

from evaluation.schedules import schedules_install


class Command(BaseCommand):
    help = "Install (or put back) the schedules defined in evaluation/schedules.py."

    def handle(self, *args: Any, **options: Any) -> None:
        for name in schedules_install():
            self.stdout.write(gettext("installed: %(name)s") % {"name": name})
