from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    """The city officials' web portal: pages that call the domain (``evaluation``), with no
    tables or tasks of its own."""

    name = "cities"
    verbose_name = _("City officials' portal")
