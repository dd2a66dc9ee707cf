"""What the admin pages share: the acting user, one action per selected row, asking a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation.exceptions import Forbidden, NotFound, WorkflowError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _each(
    request: HttpRequest,
    objects: QuerySet[Any],
    act: Callable[[Any], Any],
    verb: StrOrPromise,
) -> None:
    """Apply a service to every selected object; report each success and refusal. ``verb``
    is translated by the caller ("Approved")."""
    done = 0
    for obj in objects:
        try:
            act(obj)
            done += 1
        except (WorkflowError, Forbidden, NotFound) as exc:
            reason = (
                "; ".join(e.reason for e in exc.errors)
                if isinstance(exc, WorkflowError)
                else str(exc) or gettext("not found")
            )
            messages.error(
                request, gettext("%(object)s: %(reason)s") % {"object": obj, "reason": reason}
            )
    if done:
        messages.success(
            request,
            gettext("%(verb)s %(done)d of %(total)d.")
            % {"verb": verb, "done": done, "total": len(objects)},
        )


class NothingToSave(admin.ModelAdmin):
    """A page that shows a protected record and has nothing to save: a POST to it is refused
    (405), since an empty save would still write a history row. The record changes only
    through its services (the list's actions, the review steps)."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])
        return super().change_view(request, object_id, form_url, extra_context)


class PeriodColumn:
    """The period of a report or value, under a translated heading."""

    @admin.display(description=_("period"))
    def period(self, obj: Any) -> str:
        return str(obj.period)


class ReasonForm(forms.Form):
    text = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=True,
    )


def _ask_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    title: StrOrPromise,
    label: StrOrPromise,
    action: str,
    apply: Callable[[Any, str], Any],
    verb: StrOrPromise,
) -> HttpResponse | None:
    """An intermediate page asking for the comment or reason an action requires."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["text"].label = label
    if "apply" in request.POST and form.is_valid():
        _each(request, queryset, lambda obj: apply(obj, form.cleaned_data["text"]), verb)
        return None
    return TemplateResponse(
        request,
        "admin/evaluation/reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": action,
            "opts": modeladmin.model._meta,
        },
    )
