"""Rulesets, their rules and grade bands: a used version is edited into the next one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import scoring
from evaluation.admin.common import _user, indicator_words
from evaluation.admin.history import HistoryAdmin
from evaluation.admin.ruleset_parts import (
    PartsFormSet,
    RulesetTaskInline,
    optional_weight_on_the_page,
    rule_indicators,
    siblings_of,
    tasks_on_the_page,
)
from evaluation.models import (
    GradeBand,
    IndicatorRule,
    Ruleset,
    RulesetTask,
)
from evaluation.services.ledger import ledger_append
from evaluation.services.ruleset_parts import RULESET_NUMBERS


def refuse_structural_edits(formset: forms.BaseInlineFormSet, movable: set[str]) -> None:
    """A ruleset a run has used becomes a new version with changed numbers; rows added or
    removed, or other fields changed, cannot be carried over and are refused, not dropped."""
    ruleset = formset.instance
    if (
        ruleset.pk is None
        or not Ruleset.objects.filter(pk=ruleset.pk, frozen_at__isnull=False).exists()
    ):
        return
    for form in formset.forms:
        if not form.has_changed():
            continue
        if not form.instance.pk or form.cleaned_data.get("DELETE"):
            raise forms.ValidationError(
                gettext(
                    "this ruleset has been used by a run: its next version may change numbers "
                    "only; add or remove rows on a ruleset no run has used"
                )
            )
        if set(form.changed_data) - movable:
            raise forms.ValidationError(
                gettext("this ruleset has been used by a run: only %(fields)s may change")
                % {"fields": ", ".join(sorted(movable))}
            )


def _kept_rows(formset: forms.BaseInlineFormSet) -> list[dict[str, Any]]:
    """The cleaned rows the formset will keep (filled in, valid, not marked for deletion): a
    row with a field error shows that error, and is not checked as a ruleset as well."""
    return [
        f.cleaned_data
        for f in formset.forms
        if f.cleaned_data and not f.errors and not f.cleaned_data.get("DELETE")
    ]


class IndicatorRuleFormSet(PartsFormSet):
    """The scoring core's rules for a ruleset's indicators (weights add up to 100 with the
    page's tasks and optional tasks' weight…)."""

    def clean(self) -> None:
        super().clean()
        refuse_structural_edits(self, {"weight", "floor"})
        if any(self.errors):
            return  # each row says what is wrong with it first
        problems = scoring.engine.check_indicator_rules(
            [
                scoring.IndicatorRule(
                    indicator=data["indicator"].code,
                    kind=data["kind"],
                    floor=data["floor"],
                    weight=data["weight"],
                )
                for data in _kept_rows(self)
            ],
            tasks=tasks_on_the_page(self),
            optional_task_weight=optional_weight_on_the_page(self),
        )
        if problems:
            raise forms.ValidationError(problems)


class GradeBandFormSet(PartsFormSet):
    """The scoring core's rules for grade bands (one starts at 0…)."""

    def clean(self) -> None:
        super().clean()
        refuse_structural_edits(self, {"min_score", "release_share"})
        if any(self.errors):
            return
        problems = scoring.engine.check_bands(
            [
                scoring.GradeBand(
                    grade=data["grade"],
                    min_score=data["min_score"],
                    release_share=data["release_share"],
                )
                for data in _kept_rows(self)
            ]
        )
        if problems:
            raise forms.ValidationError(problems)


class IndicatorRuleInline(admin.TabularInline):
    model = IndicatorRule
    formset = IndicatorRuleFormSet
    fields = ["indicator", "kind", "floor", "weight"]
    extra = 0

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "indicator":
            kwargs["queryset"] = rule_indicators()
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "indicator" and field is not None:
            # Chosen by its name and unit in the reader's language, as the targets are.
            field.label_from_instance = indicator_words  # type: ignore[method-assign,assignment]
        return field


class GradeBandInline(admin.TabularInline):
    model = GradeBand
    formset = GradeBandFormSet
    fields = ["grade", "min_score", "release_share"]
    extra = 0


@admin.register(Ruleset)
class RulesetAdmin(HistoryAdmin):
    """Editing a ruleset a run has used saves the edit as a new version instead."""

    history_key = "ruleset"

    list_display = ["label", "programme", "version", "is_draft", "frozen_at", "created_at"]
    list_filter = ["programme", "is_draft"]
    inlines = [IndicatorRuleInline, GradeBandInline, RulesetTaskInline]
    # A draft is made, edited and published on the draft pages (services.drafts), and the
    # rectification threshold changes like any rule there, by a draft published.
    readonly_fields = [
        "frozen_at",
        "created_at",
        "created_by",
        "is_draft",
        "rectification_below",
        "rectification_days",
    ]
    actions = ["copy_as_next_version"]

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        """Each formset of the page knows the others (the weights of all parts add up to 100),
        and the task form the person saving it (the task's catalogue entry's history)."""
        kwargs: dict[str, Any] = super().get_formset_kwargs(request, obj, inline, prefix)
        kwargs["siblings"] = siblings_of(request)
        if inline.model is RulesetTask:
            kwargs["form_kwargs"] = {**kwargs.get("form_kwargs", {}), "by": _user(request)}
        return kwargs

    @admin.action(description=_("Copy as the next version (to add parts to it)"))
    def copy_as_next_version(self, request: HttpRequest, queryset: Any) -> None:
        from evaluation.services.ruleset_parts import ruleset_copy

        for ruleset in queryset:
            copy = ruleset_copy(ruleset=ruleset, by=_user(request))
            messages.success(
                request,
                gettext("%(ruleset)s copied as %(copy)s, the programme's current ruleset.")
                % {"ruleset": ruleset.label, "copy": copy.label},
            )

    @admin.display(description=_("label"))
    def label(self, ruleset: Ruleset) -> str:
        return ruleset.label

    def save_model(self, request: HttpRequest, obj: Ruleset, form: Any, change: bool) -> None:
        if change and obj.is_frozen:
            return  # the edit becomes a new version in save_related
        if not change:
            obj.created_by = _user(request)
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A ruleset is kept, used or not: its versions are the record of the programme's rules.
        return False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        ruleset: Ruleset = form.instance
        if not (change and ruleset.is_frozen):
            super().save_related(request, form, formsets, change)
            # A ruleset no run has used is edited here; the ledger records it like a revision.
            ledger_append(
                ruleset,
                action="edited in the admin" if change else "added in the admin",
                by=_user(request),
            )
            return
        from evaluation.services.rulesets import ruleset_revise

        weights: dict[str, Decimal] = {}
        floors: dict[str, Decimal] = {}
        shares: dict[str, Decimal] = {}
        mins: dict[str, Decimal] = {}
        task_weights: dict[str, Decimal] = {}
        for formset in formsets:
            for row in formset.forms:
                if not row.has_changed() or not row.instance.pk:
                    continue
                data = row.cleaned_data
                if formset.model is IndicatorRule:
                    weights[row.instance.indicator.code] = data["weight"]
                    floors[row.instance.indicator.code] = data["floor"]
                elif formset.model is RulesetTask:
                    task_weights[row.instance.indicator.code] = data["weight"]
                else:
                    shares[row.instance.grade] = data["release_share"]
                    mins[row.instance.grade] = data["min_score"]
        settings = {
            name: form.cleaned_data[name] for name in RULESET_NUMBERS if name in form.changed_data
        }
        for formset in formsets:
            # Nothing of the frozen version is saved; the admin's change message reads these.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        new = ruleset_revise(
            ruleset=Ruleset.objects.get(pk=ruleset.pk),
            by=_user(request),
            weights=weights,
            floors=floors,
            release_shares=shares,
            min_scores=mins,
            notes=form.cleaned_data.get("notes", ""),
            task_weights=task_weights,
            settings=settings,
        )
        self._new_version = new
        messages.info(
            request,
            gettext(
                "%(ruleset)s has been used by a run and cannot change: your edit was saved as "
                "%(new)s."
            )
            % {"ruleset": ruleset.label, "new": new.label},
        )

    def response_change(self, request: HttpRequest, obj: Ruleset) -> HttpResponse:
        new = getattr(self, "_new_version", None)
        if new is not None:
            del self._new_version
            return HttpResponseRedirect(reverse("admin:evaluation_ruleset_change", args=[new.pk]))
        return super().response_change(request, obj)
