"""The ministry's side of the cities' self-evaluations (自评): each read as the city submitted
it (every indicator's figures, target, attainment, expected points, the reason for a shortfall
and the measures), with the province's opinions where it reviews first, the document and the
history; accepted or returned with a comment through the services, never edited here. Which
step is offered is the workflow table's (``workflow.SELF_EVALUATION``): in a programme with
the provincial review, only what the province forwarded."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import access, self_evaluations, vocabulary
from evaluation.admin.common import _ask_reason, _each, _user, opinions_html, person, when
from evaluation.admin.history import HistoryAdmin
from evaluation.models import SelfEvaluation
from evaluation.services import self_evaluation as service


@admin.register(SelfEvaluation)
class SelfEvaluationAdmin(HistoryAdmin):
    """The self-evaluations awaiting the ministry first (filter by status); nothing to edit:
    the review steps the table allows, as the list's actions and as buttons on the page."""

    history_key = "selfevaluation"

    list_display = ["city", "programme", "as_of", "status", "score", "submitted", "province"]
    list_filter = ["status", "participation__programme", "participation__city"]
    search_fields = ["participation__city__code", "participation__city__name_zh"]
    actions = ["accept", "return_to_city"]
    readonly_fields = fields = (
        "participation",
        "as_of",
        "status",
        "version",
        "figures_summary",
        "prepared",
        "summary",
        "submitted_by_name",
        "submitted",
        "province_opinions",
        "reviewed_by_name",
        "reviewed",
        "review_comment",
        "lines_table",
        "document",
    )

    change_form_template = "admin/evaluation/selfevaluation/change_form.html"
    REVIEW_ACTIONS = {"accept": "accept", "return": "return_to_city"}

    def get_queryset(self, request: HttpRequest) -> QuerySet[SelfEvaluation]:
        return self_evaluations.self_evaluations_for(request.user).select_related(
            "submitted_by", "reviewed_by"
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.is_reviewer(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.is_reviewer(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return access.is_reviewer(request.user)

    @admin.display(description=_("city"), ordering="participation__city__code")
    def city(self, item: SelfEvaluation) -> str:
        return vocabulary.indicator_name(item.participation.city)

    @admin.display(description=_("programme"), ordering="participation__programme__code")
    def programme(self, item: SelfEvaluation) -> str:
        return item.participation.programme.code

    @admin.display(description=_("score"))
    def score(self, item: SelfEvaluation) -> str:
        return str(item.figures.get("score", "—"))

    @admin.display(description=_("figures"))
    def figures_summary(self, item: SelfEvaluation) -> str:
        figures = item.figures
        if not figures:
            return "—"
        return gettext("score %(score)s, grade %(grade)s, amount %(amount)s") % {
            "score": figures.get("score", "—"),
            "grade": vocabulary.grade_word(figures.get("grade", "")) or "—",
            "amount": figures.get("amount", "—"),
        }

    @admin.display(description=_("figures computed at"))
    def prepared(self, item: SelfEvaluation) -> str:
        return when(item.prepared_at)

    @admin.display(description=_("submitted by"))
    def submitted_by_name(self, item: SelfEvaluation) -> str:
        return person(item.submitted_by)

    @admin.display(description=_("submitted at"), ordering="submitted_at")
    def submitted(self, item: SelfEvaluation) -> str:
        return when(item.submitted_at)

    @admin.display(description=_("reviewed by"))
    def reviewed_by_name(self, item: SelfEvaluation) -> str:
        return person(item.reviewed_by)

    @admin.display(description=_("reviewed at"))
    def reviewed(self, item: SelfEvaluation) -> str:
        return when(item.reviewed_at)

    @admin.display(description=_("the province's opinions"))
    def province_opinions(self, item: SelfEvaluation) -> str:
        return opinions_html(self_evaluations.opinions_of(self_evaluation=item))

    @admin.display(description=_("province"))
    def province(self, item: SelfEvaluation) -> str:
        """Whether the province reviews it first (the programme's provincial review)."""
        if not item.participation.programme.provincial_review:
            return "—"
        from evaluation.provinces import province_name, province_of

        return province_name(province_of(item.participation.city.code))

    @admin.display(description=_("the self-evaluation as a document"))
    def document(self, item: SelfEvaluation) -> str:
        return format_html(
            '<a href="{}" class="self-evaluation-pdf">{}</a>',
            reverse("reports:self_evaluation_pdf", args=[item.pk]),
            gettext("download the PDF"),
        )

    @admin.display(description=_("indicators"))
    def lines_table(self, item: SelfEvaluation) -> str:
        """Each indicator as the city submitted it, a shortfall with its reason and measures."""
        view = self_evaluations.self_evaluation_lines(self_evaluation=item)
        return format_html(
            '<table class="self-evaluation-lines"><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("indicator"),
            _("status"),
            _("target at the date"),
            _("actual"),
            _("attainment"),
            _("expected points"),
            _("weight"),
            _("reason for the shortfall"),
            _("measures"),
            format_html_join(
                "",
                '<tr class="{}"><td>{}</td><td>{}</td><td class="figure">{}</td>'
                '<td class="figure">{}</td><td class="figure">{}</td><td class="figure">{}</td>'
                '<td class="figure">{}</td><td>{}</td><td>{}</td></tr>',
                (
                    (
                        "short" if line.short else "",
                        line.name,
                        line.status_label,
                        line.target,
                        line.actual,
                        line.attainment,
                        line.points,
                        line.weight,
                        linebreaksbr(line.shortfall_reason) or ("—" if line.short else ""),
                        linebreaksbr(line.measures) or ("—" if line.short else ""),
                    )
                    for line in view
                ),
            ),
        )

    # The page: nothing to save; the ministry's steps the table allows now, as buttons that
    # run the list's actions on this one self-evaluation.

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/review/<str:step>/",
                self.admin_site.admin_view(self.review_view),
                name="evaluation_selfevaluation_review",
            ),
        ]
        return [*own, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"])
        item = self.get_object(request, object_id)
        steps = (
            self_evaluations.self_evaluation_review_steps(self_evaluation=item)
            if item is not None and self.has_review_permission(request)
            else []
        )
        extra = {
            **(extra_context or {}),
            "review_steps": [
                {
                    "label": step.label,
                    "url": reverse(
                        "admin:evaluation_selfevaluation_review", args=[object_id, step.code]
                    ),
                }
                for step in steps
            ],
            "awaits_province": item is not None
            and self_evaluations.awaits_province(self_evaluation=item),
        }
        return super().change_view(request, object_id, form_url, extra)

    def review_view(self, request: HttpRequest, object_id: str, step: str) -> HttpResponse:
        """One review step on one self-evaluation, through the same action (service, comment
        form and messages) as the list; back to its page once done."""
        if step not in self.REVIEW_ACTIONS:
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_review_permission(request):
            raise PermissionDenied
        item = self.get_object(request, object_id)
        if item is None:
            raise Http404
        queryset = self.get_queryset(request).filter(pk=item.pk)
        response = getattr(self, self.REVIEW_ACTIONS[step])(request, queryset)
        if response is not None:
            return response  # type: ignore[no-any-return]
        return redirect("admin:evaluation_selfevaluation_change", object_id)

    @admin.action(description=_("Accept selected self-evaluations"), permissions=["review"])
    def accept(self, request: HttpRequest, queryset: QuerySet[SelfEvaluation]) -> None:
        _each(
            request,
            queryset,
            lambda item: service.self_evaluation_accept(self_evaluation=item, by=_user(request)),
            _("Accepted"),
        )

    @admin.action(
        description=_("Return selected self-evaluations to the city (comment required)"),
        permissions=["review"],
    )
    def return_to_city(self, request: HttpRequest, queryset: QuerySet[SelfEvaluation]) -> Any:
        return _ask_reason(
            self,
            request,
            queryset,
            title=_("Return self-evaluations to the city"),
            label=_("What should the city fix?"),
            action="return_to_city",
            apply=lambda item, text: service.self_evaluation_return(
                self_evaluation=item, comment=text, by=_user(request)
            ),
            verb=_("Returned"),
        )
