"""The ministry's spot checks in the reviewers' admin: a reviewer draws a sample (the programme,
the share per city, optionally a seed to draw again what was drawn before) and sees, for every
sampled value, what the checker found. Drawing goes through ``services.checks.spot_check_draw``;
the checkers record the verified values on their own pages (``/checks/``), and files load
through ``import_spot_checks``. Nothing is edited in place here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import access
from evaluation.admin.common import _user, person, when
from evaluation.exceptions import Forbidden, NoRuleset, WorkflowError
from evaluation.models import SpotCheck, SpotCheckItem
from evaluation.services.checks import spot_check_draw
from evaluation.vocabulary import indicator_name


class DrawForm(forms.ModelForm):
    class Meta:
        model = SpotCheck
        fields = ["programme", "share", "seed", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["share"].required = True
        self.fields["share"].initial = Decimal("0.10")
        self.fields["seed"].help_text = _(
            "Leave empty for a new seed; the seed of an earlier draw draws the same sample from "
            "the same data."
        )


class ItemInline(admin.TabularInline):
    model = SpotCheckItem
    extra = 0
    can_delete = False
    # Each row says its city, indicator and period in words: no title above it (the item's
    # ``str``, in codes).
    classes = ["row-titles-hidden"]
    fields = readonly_fields = (
        "city",
        "value_label",
        "claimed_value",
        "points_carried",
        "verified_value",
        "found",
        "note",
        "evidence_link",
        "checker_name",
        "checked",
    )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_reviewer(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .select_related("metric_value__city", "metric_value__indicator", "checker")
        )

    @admin.display(description=_("city"))
    def city(self, item: SpotCheckItem) -> str:
        return str(item.metric_value.city)

    @admin.display(description=_("value"))
    def value_label(self, item: SpotCheckItem) -> str:
        value = item.metric_value
        return f"{indicator_name(value.indicator)} {value.period}"

    @admin.display(description=_("checker"))
    def checker_name(self, item: SpotCheckItem) -> str:
        return person(item.checker)

    @admin.display(description=_("checked at"))
    def checked(self, item: SpotCheckItem) -> str:
        return when(item.checked_at) if item.checked_at else "—"

    @admin.display(description=_("found"))
    def found(self, item: SpotCheckItem) -> str:
        if item.verified_value is None:
            return gettext("not checked yet")
        difference = item.verified_value - item.claimed_value
        return gettext("difference %(difference)s") % {"difference": f"{difference:+.2f}"}

    @admin.display(description=_("evidence file"))
    def evidence_link(self, item: SpotCheckItem) -> str:
        if not item.evidence_file:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:evaluation_spotcheckitem_evidence", args=[item.pk]),
            gettext("download"),
        )


@admin.register(SpotCheck)
class SpotCheckAdmin(admin.ModelAdmin):
    """Reviewers draw samples and read what was found; nobody edits or deletes one."""

    list_display = ["__str__", "programme", "source", "share", "seed", "drawn_by", "drawn_at"]
    list_filter = ["programme", "source"]
    list_select_related = ["programme", "created_by"]
    inlines = [ItemInline]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_reviewer(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_reviewer(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.is_reviewer(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = DrawForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (
            "programme",
            "source",
            "share",
            "seed",
            "file_name",
            "note",
            "drawn_by",
            "drawn_at",
        )

    @admin.display(description=_("drawn by"))
    def drawn_by(self, check: SpotCheck) -> str:
        """Someone by their name, not their login."""
        return person(check.created_by)

    @admin.display(description=_("drawn at"), ordering="created_at")
    def drawn_at(self, check: SpotCheck) -> str:
        return when(check.created_at)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["programme", "share", "seed", "note"]
        return self.get_readonly_fields(request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return [ItemInline] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: SpotCheck, form: Any, change: bool) -> None:
        try:
            drawn = spot_check_draw(
                programme=obj.programme,
                share=obj.share or Decimal(0),
                seed=obj.seed,
                note=obj.note,
                by=_user(request),
            )
        except (WorkflowError, Forbidden, NoRuleset) as exc:
            text = (
                "; ".join(str(e.reason) for e in exc.errors)
                if isinstance(exc, WorkflowError)
                else str(exc)
            )
            messages.error(request, text)
            self._refused = True
            return
        obj.pk = drawn.pk
        messages.success(
            request,
            gettext("%(count)s values drawn with the seed %(seed)s.")
            % {"count": drawn.items.count(), "seed": drawn.seed},
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The items are the draw's, made by the service."""

    def response_add(
        self, request: HttpRequest, obj: SpotCheck, post_url_continue: Any = None
    ) -> HttpResponse:
        if getattr(self, "_refused", False) or obj.pk is None:
            return HttpResponseRedirect(reverse("admin:evaluation_spotcheck_add"))
        return HttpResponseRedirect(reverse("admin:evaluation_spotcheck_change", args=[obj.pk]))

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if obj.pk is None:
            return None
        return super().log_addition(request, obj, message)

    def get_urls(self) -> list[URLPattern]:
        evidence = path(
            "item/<int:pk>/evidence/",
            self.admin_site.admin_view(self.evidence_view),
            name="evaluation_spotcheckitem_evidence",
        )
        return [evidence, *super().get_urls()]

    def evidence_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """A checker's evidence, to reviewers only (never a public file)."""
        if not access.is_reviewer(request.user):
            raise PermissionDenied
        item = SpotCheckItem.objects.filter(pk=pk).first()
        if item is None or not item.evidence_file:
            raise Http404
        return FileResponse(
            item.evidence_file.open("rb"), as_attachment=True, filename=item.evidence_name
        )
