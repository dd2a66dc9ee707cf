from django.apps import AppConfig


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = "Cities"

    def ready(self) -> None:
        # The portal's tasks are sent by name through the outbox: register them everywhere.
        from cities import tasks  # noqa: F401
