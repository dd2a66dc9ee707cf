"""The ministry reviewers' admin, one module per subdomain; importing them registers them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from evaluation.admin import (
    checks,
    cities,
    outbox,
    parts,
    people,
    programmes,
    reporting,
    rulesets,
    runs,
    tokens,
)

admin.site.site_header = _("Key cities of the IP operation service system: performance evaluation")
admin.site.site_title = _("Key-city performance evaluation")
admin.site.index_title = _("Reviews, evaluations and decisions")

__all__ = [
    "checks",
    "cities",
    "outbox",
    "parts",
    "people",
    "programmes",
    "reporting",
    "rulesets",
    "runs",
    "tokens",
]
