"""The cities of the programme. A city is the programme's own subject (its participations,
values, results and decisions all name one), so it lives in the domain; its tables keep the
names they were created with when the city was the portal's (``cities_city`` and its history)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class City(models.Model):
    """A key city, identified by its 6-digit administrative division code. A "city" may be a
    district or a new area (Beijing Chaoyang District, Tianjin Binhai New Area)."""

    code = models.CharField(max_length=6, unique=True, help_text=_("6-digit division code"))
    name_en = models.CharField(_("English name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    province = models.CharField(max_length=50)

    history = HistoricalRecords(table_name="cities_historicalcity")

    class Meta:
        db_table = "cities_city"
        ordering = ["code"]
        verbose_name_plural = "cities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{6}$"), name="city_code_six_digits"
            ),
        ]

    def __str__(self) -> str:
        # The name in the active language (the admin's lists, messages, the portal).
        return f"{self.code} {self.name_en if _english() else self.name_zh}"


def _english() -> bool:
    return (get_language() or "").startswith("en")
