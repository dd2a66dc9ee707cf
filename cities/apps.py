from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = _("Cities")

    def ready(self) -> None:
        # The portal's tasks are sent by name through the outbox: register them everywhere.
        from cities import tasks  # noqa: F401
