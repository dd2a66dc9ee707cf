"""Loading and exporting the fixed files from the admin, through the same import services as
the commands: the same checks, all or nothing, every bad row shown before anything is saved
("Check" runs the whole import and rolls it back)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from evaluation.exceptions import ImportRefused, RowError
from evaluation.models import Programme
from evaluation.services.imports import ImportSummary, metrics_import, targets_import
from evaluation.tabular import upload_limits, upload_read


class FileForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("metrics", _("metrics")), ("targets", _("targets"))]
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV or XLSX with the columns of interfaces.md"),
        allow_empty_file=True,
    )
    programme = forms.ModelChoiceField(
        Programme.objects.all(),
        label=_("Programme"),
        required=False,
        help_text=_("for targets"),
    )
    approve = forms.BooleanField(
        label=_("Approve"),
        required=False,
        help_text=_("metrics: record as approved (audited historical data)"),
    )


def load_file(*, data: dict[str, Any], by: User, check_only: bool) -> ImportSummary:
    """Run the import; *Check* is the services' own dry run (everything checked, nothing
    saved)."""
    upload = data["file"]
    limits = upload_limits("admin")
    content = upload_read(upload, limits=limits)
    if data["kind"] == "metrics":
        return metrics_import(
            name=upload.name,
            data=content,
            approve=data["approve"],
            by=by,
            dry_run=check_only,
            limits=limits,
        )
    assert data["programme"] is not None, "the form requires it for targets"
    return targets_import(
        name=upload.name,
        data=content,
        programme=data["programme"],
        by=by,
        dry_run=check_only,
        limits=limits,
    )


def _refusal_heading(errors: list[RowError], more: int = 0) -> str:
    """ "9 errors on 4 rows": a row can break several rules, and the reader fixes rows (those
    listed: a long list is cut short, ``more`` errors not listed)."""
    rows = len({error.line for error in errors})
    count = len(errors) + more
    if more:
        return gettext("%(errors)s, the first %(shown)s listed: nothing was saved") % {
            "errors": ngettext("%(count)d error", "%(count)d errors", count) % {"count": count},
            "shown": len(errors),
        }
    return gettext("%(errors)s on %(rows)s: nothing was saved") % {
        "errors": ngettext("%(count)d error", "%(count)d errors", count) % {"count": count},
        "rows": ngettext("%(count)d row", "%(count)d rows", rows) % {"count": rows},
    }


class FilesAdminMixin(admin.ModelAdmin):
    """Adds the "Load a file" page to a model's admin (administrators only); the exports it
    links to are pages of the reports app."""

    change_list_template = "admin/evaluation/files_change_list.html"

    def get_urls(self) -> list[URLPattern]:
        ours = [
            path("load/", self.admin_site.admin_view(self.load_view), name="evaluation_load"),
        ]
        return ours + super().get_urls()

    def _require_administrator(self, request: HttpRequest) -> User:
        from evaluation.access import is_administrator

        if not is_administrator(request.user):
            raise PermissionDenied
        assert isinstance(request.user, User)
        return request.user

    def load_view(self, request: HttpRequest) -> HttpResponse:
        by = self._require_administrator(request)
        errors, summary, more, hidden = None, None, "", 0
        form = FileForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            check_only = "check" in request.POST
            if form.cleaned_data["kind"] == "targets" and form.cleaned_data["programme"] is None:
                form.add_error("programme", gettext("choose the programme the targets belong to"))
            else:
                try:
                    summary = load_file(data=form.cleaned_data, by=by, check_only=check_only)
                except ImportRefused as exc:
                    errors, more, hidden = exc.errors, exc.more_text(), exc.more
                    messages.error(
                        request,
                        gettext("%(file)s: refused, nothing was saved.") % {"file": exc.source},
                    )
                else:
                    done = (
                        gettext("would change: %(summary)s.")
                        if check_only
                        else gettext("loaded: %(summary)s.")
                    )
                    messages.success(request, done % {"summary": summary})
        return TemplateResponse(
            request,
            "admin/evaluation/load.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Load a file"),
                "form": form,
                "errors": errors,
                "refusal": _refusal_heading(errors, hidden) if errors else "",
                "more": more,
                "summary": summary,
                "opts": self.model._meta,
            },
        )
