"""The optional parts of a ruleset on its admin page: the tasks the expert panel scores (each
with its code and names, its entry in the catalogue made or renamed on saving), and the one
check that the weights of every part (indicators, compulsory tasks, the optional tasks' one
weight) add up to 100, across the page's formsets."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import scoring
from evaluation.access import is_administrator, is_reviewer
from evaluation.models import Indicator, RulesetTask
from evaluation.scoring.budget import BUDGET_INDICATOR
from evaluation.services.ruleset_parts import task_entry


class Siblings(list[forms.BaseInlineFormSet]):
    """The formsets of one ruleset page, so that one of them can check what depends on all:
    the weights of every part together."""


def siblings_of(request: HttpRequest) -> Siblings:
    found: Siblings | None = getattr(request, "_ruleset_formsets", None)
    if found is None:
        found = Siblings()
        request._ruleset_formsets = found  # type: ignore[attr-defined]
    return found


class PartsFormSet(forms.BaseInlineFormSet):
    """A formset of the ruleset page that knows the others (``siblings``)."""

    def __init__(self, *args: Any, siblings: Siblings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.siblings = siblings if siblings is not None else Siblings()
        self.siblings.append(self)


def kept_rows(formset: forms.BaseInlineFormSet) -> list[dict[str, Any]]:
    """The cleaned rows the formset will keep (filled in, not marked for deletion)."""
    return [
        f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def tasks_on_the_page(formset: PartsFormSet) -> list[scoring.Task]:
    """The tasks the page's task formset keeps, as the core takes them (none if it has errors:
    they are shown there)."""
    for sibling in formset.siblings:
        if sibling.model is RulesetTask:
            if not sibling.is_valid():
                return []
            return [
                scoring.Task(
                    code=row["code"],
                    compulsory=row.get("compulsory", False),
                    weight=row.get("weight") or Decimal(0),
                )
                for row in kept_rows(sibling)
            ]
    return []


def optional_weight_on_the_page(formset: forms.BaseInlineFormSet) -> Decimal:
    """The optional tasks' weight typed on the page (0 when it is not a number: the field says
    so itself)."""
    try:
        return Decimal(str(formset.data.get("optional_task_weight") or 0))
    except InvalidOperation:
        return Decimal(0)


def rule_indicators() -> QuerySet[Indicator]:
    """What a ruleset's rule may score: the indicators cities report and the budget's own (a
    task's entry is scored as a task)."""
    return Indicator.objects.filter(Q(reported=True) | Q(code=BUDGET_INDICATOR))


class RulesetTaskForm(forms.ModelForm):
    """A task with its code and names (its entry in the catalogue)."""

    code = forms.SlugField(label=_("code"), max_length=50)
    name = forms.CharField(label=_("Chinese name"), max_length=100)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)

    class Meta:
        model = RulesetTask
        fields = ["code", "name", "name_en", "compulsory", "weight", "position"]
        # The inline's headers read these when the page only shows the tasks (a reviewer's).
        labels = {"code": _("code"), "name": _("Chinese name"), "name_en": _("English name")}

    def __init__(self, *args: Any, by: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by = by
        entry = getattr(self.instance, "indicator", None) if self.instance.pk else None
        if entry is not None:
            self.initial.update(code=entry.code, name=entry.name_zh, name_en=entry.name_en)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = data.get("code")
        if code:
            taken = Indicator.objects.filter(code=code).first()
            if taken is not None and (taken.reported or code == BUDGET_INDICATOR):
                self.add_error(
                    "code",
                    gettext("%(code)s is the code of an indicator; give the task its own code")
                    % {"code": code},
                )
        if data.get("compulsory") and data.get("weight") is None:
            self.add_error("weight", gettext("a compulsory task needs its weight"))
        if not data.get("compulsory") and data.get("weight") is not None:
            self.add_error(
                "weight",
                gettext(
                    "an optional task has no weight of its own: it shares the ruleset's "
                    "optional tasks' weight"
                ),
            )
        return data

    def save(self, commit: bool = True) -> RulesetTask:
        data = self.cleaned_data
        # The code was checked in clean(): it is a task's, or new.
        self.instance.indicator = task_entry(
            code=data["code"], name_zh=data["name"], name_en=data.get("name_en", ""), by=self.by
        )
        task: RulesetTask = super().save(commit=commit)
        return task


class RulesetTaskFormSet(PartsFormSet):
    """Each task once, checked by the scoring core's rules of tasks."""

    def clean(self) -> None:
        super().clean()
        from evaluation.admin.rulesets import refuse_structural_edits

        refuse_structural_edits(self, {"weight"})
        codes = [row["code"] for row in kept_rows(self) if row.get("code")]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise forms.ValidationError(
                gettext("task %(code)s appears twice") % {"code": ", ".join(twice)}
            )


class RulesetTaskInline(admin.TabularInline):
    model = RulesetTask
    form = RulesetTaskForm
    formset = RulesetTaskFormSet
    fields = ["code", "name", "name_en", "compulsory", "weight", "position"]
    extra = 0
    verbose_name = _("task scored by the expert panel")
    verbose_name_plural = _("tasks scored by the expert panel")

    # A reviewer's page shows the tasks without their form: the code and names of each task's
    # entry in the catalogue (its form's fields, which the task itself does not hold).
    @admin.display(description=_("code"))
    def code(self, task: RulesetTask) -> str:
        return task.indicator.code

    @admin.display(description=_("Chinese name"))
    def name(self, task: RulesetTask) -> str:
        return task.indicator.name_zh

    @admin.display(description=_("English name"))
    def name_en(self, task: RulesetTask) -> str:
        return task.indicator.name_en

    # As the ruleset's other rows: reviewers see them, administrators change them (a model
    # newer than the roles' permissions, so said here rather than granted).
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_reviewer(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user)
