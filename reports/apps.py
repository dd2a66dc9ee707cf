from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Documents")

    def ready(self) -> None:
        # Register the document task in every process, as the evaluation's are.
        from reports import tasks  # noqa: F401
