from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        # Register the Celery tasks in every process (web, commands), not only in workers: the
        # outbox sends them by name and, in-process, runs them.
        from evaluation import tasks  # noqa: F401
