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

    history = HistoricalRecords()

    class Meta:
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


class OfficialProfile(models.Model):
    """What the portal remembers of an official: the language they last used it in, so that
    emails reach them in it."""

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="portal_profile"
    )
    language = models.CharField(max_length=10, default="zh-hans")

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"


class OfficialNotice(models.Model):
    """An email to a city's officials about a version of a report (returned, or approved):
    recorded before it goes out, so that a task delivered twice sends it once."""

    class Kind(models.TextChoices):
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")

    report = models.ForeignKey(
        "evaluation.Report", on_delete=models.CASCADE, related_name="official_notices"
    )
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "version", "kind"], name="official_notice_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.version} {self.kind}"
