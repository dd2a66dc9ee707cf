"""Who gave whom a ministry role, and when: role grants are audited like every other change;
and what is remembered of an official (the language their emails are written in)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleChange(models.Model):
    """A ministry role granted to, or revoked from, a user, with the acting user (None: the
    system, e.g. a command run without ``--by``). Written by ``services.people`` in the same
    transaction as the change itself."""

    class Role(models.TextChoices):
        REVIEWER = "reviewer", _("reviewer")
        ADMINISTRATOR = "administrator", _("administrator")
        # Scores a programme's tasks on the expert panel's pages; no access to the admin.
        EXPERT = "expert", _("expert")
        # Reviews the cities of one province (省级复核) on the portal's province pages.
        PROVINCE = "province", _("provincial reviewer")
        # Records the verified values of the spot checks' sampled items on the checkers' pages.
        CHECKER = "checker", _("checker")

    class Change(models.TextChoices):
        GRANTED = "granted", _("granted")
        REVOKED = "revoked", _("revoked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="role_changes",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    change = models.CharField(_("change"), max_length=10, choices=Change.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")

    def __str__(self) -> str:
        return f"{self.user} {self.change} {self.role}"


class OfficialProfile(models.Model):
    """What is remembered of an official: the language they last used the portal in, so that
    the emails they are sent are in it. (Its table keeps the name it had as the portal's.)"""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_profile"
    )
    language = models.CharField(max_length=10, default="zh-hans")

    class Meta:
        db_table = "cities_officialprofile"

    def __str__(self) -> str:
        return f"{self.user} ({self.language})"
