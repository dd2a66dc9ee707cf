"""The ministry reviewers' admin, one module per subdomain; importing them registers them."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

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
    self_evaluations,
    tokens,
)

# Django's own words for its screen readers, which its catalogue leaves in English: translated
# in ours (the project's catalogue comes first).
SCREEN_READER_WORDS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)

admin.site.site_header = _("Key cities of the IP operation service system: performance evaluation")
admin.site.site_title = _("Key-city performance evaluation")
admin.site.index_title = _("Reviews, evaluations and decisions")
admin.site.index_template = "admin/evaluation/index.html"

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
    "self_evaluations",
    "tokens",
]
