"""The review queue: reports with their values, flags and the review actions; metric values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluation import access, selectors
from evaluation.admin.common import (
    GranularityFilter,
    IndicatorFilter,
    PeriodColumn,
    _ask_reason,
    _each,
    _user,
    indicator_figure,
    indicator_words,
    opinions_html,
    person,
    value_flags,
    when,
)
from evaluation.admin.files import FilesAdminMixin
from evaluation.admin.history import HistoryAdmin
from evaluation.exceptions import Forbidden, WorkflowError
from evaluation.models import (
    Indicator,
    MetricValue,
    Report,
)
from evaluation.scoring import Granularity, Period, PeriodError
from evaluation.self_evaluations import opinions_of
from evaluation.services import reporting

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class FlaggedFilter(admin.SimpleListFilter):
    title = _("data-quality flag")
    parameter_name = "flagged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("flagged")), ("no", _("not flagged"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(has_flag=True)
        if self.value() == "no":
            return queryset.filter(has_flag=False)
        return queryset


class AwaitingFilter(admin.SimpleListFilter):
    """The reports the ministry may approve now (``selectors.reports_awaiting_ministry``): the
    index's to-do count opens the list filtered by it."""

    title = _("awaiting")
    parameter_name = "awaiting"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("ministry", _("awaiting the ministry's review"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "ministry":
            return queryset.filter(pk__in=selectors.reports_awaiting_ministry().values("pk"))
        return queryset


class PeriodFilter(admin.SimpleListFilter):
    title = _("period")
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        periods = {
            Period(year, Granularity(granularity), number)
            for year, granularity, number in model_admin.get_queryset(request)
            .values_list("year", "granularity", "number")
            .distinct()
        }
        return [(p.label, p.label) for p in sorted(periods, reverse=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        try:
            period = Period.parse(self.value() or "")
        except PeriodError:
            return queryset.none()
        return queryset.filter(
            year=period.year, granularity=str(period.granularity), number=period.number
        )


def _reasons(error: Exception) -> list[str]:
    if isinstance(error, WorkflowError):
        return [e.reason for e in error.errors]
    return [str(error)]


@admin.register(Report)
class ReportAdmin(PeriodColumn, HistoryAdmin):
    """The review queue: submitted reports first; each shows its values beside the same period
    a year earlier, and any flags."""

    history_key = "report"

    list_display = ["city", "programme", "period", "status", "due_date", "submitted", "flag"]
    list_filter = [
        AwaitingFilter,
        "status",
        "participation__programme",
        "participation__city",
        PeriodFilter,
        "year",
        GranularityFilter,
        FlaggedFilter,
    ]
    search_fields = ["participation__city__code", "participation__city__name_en"]
    actions = ["approve", "return_to_city", "reopen"]
    readonly_fields = [
        "participation",
        "period",
        "status",
        "version",
        "due_date",
        "submitted_by_name",
        "submitted",
        "reviewed_by_name",
        "reviewed",
        "review_comment",
        "province_review",
        "city_answers",
        "changes_since_return",
        "values_table",
        "report_evidence",
    ]
    fields = tuple(readonly_fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        flagged = MetricValue.objects.filter(report=OuterRef("pk")).exclude(flags=[])
        return (
            access.reports_for(request.user)
            .select_related("submitted_by", "reviewed_by")
            .annotate(has_flag=Exists(flagged))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("city"), ordering="participation__city__code")
    def city(self, report: Report) -> str:
        return str(report.participation.city)

    @admin.display(description=_("programme"), ordering="participation__programme__code")
    def programme(self, report: Report) -> str:
        return str(report.participation.programme)

    @admin.display(description=_("submitted by"))
    def submitted_by_name(self, report: Report) -> str:
        return person(report.submitted_by)

    @admin.display(description=_("submitted at"), ordering="submitted_at")
    def submitted(self, report: Report) -> str:
        return when(report.submitted_at)

    @admin.display(description=_("reviewed by"))
    def reviewed_by_name(self, report: Report) -> str:
        return person(report.reviewed_by)

    @admin.display(description=_("reviewed at"))
    def reviewed(self, report: Report) -> str:
        return when(report.reviewed_at)

    @admin.display(description=_("data-quality flag"), ordering="has_flag")
    def flag(self, report: Report) -> str:
        """A warning that reads as one; nothing for a report with no flag."""
        if not getattr(report, "has_flag", False):
            return ""
        return format_html(
            '<strong class="report-flagged" title="{}">⚠ {}</strong>',
            _("a value is far from the same period a year earlier, or a running total fell"),
            _("flagged"),
        )

    # The report's own page: nothing to edit, so no Save button; the review steps its status
    # allows (the workflow table), as buttons that run the list actions on this one report.
    change_form_template = "admin/evaluation/report/change_form.html"
    REVIEW_ACTIONS = {
        "approve": "approve",
        "return": "return_to_city",
        "reopen": "reopen",
        "return_values": "return_values",
    }

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/review/<str:step>/",
                self.admin_site.admin_view(self.review_view),
                name="evaluation_report_review",
            ),
            path(
                "<path:object_id>/note/",
                self.admin_site.admin_view(self.note_view),
                name="evaluation_report_note",
            ),
            path(
                "<path:object_id>/evidence/<int:evidence_id>/",
                self.admin_site.admin_view(self.evidence_view),
                name="evaluation_report_evidence",
            ),
        ]
        return [*own, *super().get_urls()]

    def evidence_view(self, request: HttpRequest, object_id: str, evidence_id: int) -> Any:
        """A file of the report's evidence, for whoever may read the report."""
        from evaluation.evidence_files import evidence_response

        report = self.get_object(request, object_id)
        if report is None or not self.has_view_permission(request, report):
            raise Http404
        found = selectors.evidence_for(request.user).filter(pk=evidence_id, report=report).first()
        if found is None:
            raise Http404
        return evidence_response(found)

    def note_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A reviewer's note in the report's conversation."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = self.get_object(request, object_id)
        if report is None or not self.has_change_permission(request, report):
            raise Http404
        try:
            reporting.report_comment_add(
                report=report, text=request.POST.get("text", ""), by=_user(request)
            )
        except (WorkflowError, Forbidden) as error:
            for reason in _reasons(error):
                self.message_user(request, reason, messages.ERROR)
        else:
            self.message_user(request, gettext("Your note is in the conversation."))
        return redirect("admin:evaluation_report_change", object_id)

    def return_values(self, request: HttpRequest, queryset: QuerySet[Report]) -> Any:
        """Return single values of one report, a reason each (the page asks for them)."""
        report = queryset.first()
        if report is None:
            raise Http404
        values = list(report.values.select_related("indicator").order_by("indicator__position"))
        files = selectors.report_evidence(report_id=report.pk)
        posted = request.POST if "apply" in request.POST else None
        errors: list[str] = []
        if posted is not None:
            reasons = {
                v.indicator.code: posted.get(f"reason-{v.indicator.code}", "")
                for v in values
                if posted.get(f"reason-{v.indicator.code}", "").strip()
            }
            try:
                reporting.report_return_values(
                    report=report,
                    reasons=reasons,
                    comment=posted.get("comment", ""),
                    by=_user(request),
                )
            except (WorkflowError, Forbidden) as error:
                errors = _reasons(error)
            else:
                self.message_user(
                    request,
                    gettext("Returned to the city: %(names)s.")
                    % {
                        "names": gettext(", ").join(
                            indicator_words(v.indicator)
                            for v in values
                            if v.indicator.code in reasons
                        )
                    },
                )
                return None
        return TemplateResponse(
            request,
            "admin/evaluation/report/return_values.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Return single values of %(report)s") % {"report": report},
                "opts": self.model._meta,
                "errors": errors,
                "comment": posted.get("comment", "") if posted else "",
                "back": reverse("admin:evaluation_report_change", args=[report.pk]),
                "rows": [
                    {
                        "code": v.indicator.code,
                        "name": indicator_words(v.indicator),
                        "value": indicator_figure(v.value, v.indicator),
                        "files": ", ".join(f.name for f in files if f.value_id == v.pk),
                        "reason": posted.get(f"reason-{v.indicator.code}", "") if posted else "",
                    }
                    for v in values
                ],
            },
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # Nothing on the page is editable: a report changes only through its review steps.
            return HttpResponseNotAllowed(["GET"])
        report = self.get_object(request, object_id)
        steps = (
            selectors.report_review_steps(report=report)
            if report is not None and self.has_change_permission(request, report)
            else []
        )
        extra = {
            **(extra_context or {}),
            "note_url": reverse("admin:evaluation_report_note", args=[object_id])
            if report is not None and self.has_change_permission(request, report)
            else "",
            "review_steps": [
                {
                    "label": step.label,
                    "url": reverse("admin:evaluation_report_review", args=[object_id, step.code]),
                }
                for step in steps
            ],
        }
        return super().change_view(request, object_id, form_url, extra)

    def review_view(self, request: HttpRequest, object_id: str, step: str) -> HttpResponse:
        """One review step on one report, through the same action (service, reason form and
        messages) as the review queue; back to the report's page once done."""
        if step not in self.REVIEW_ACTIONS:
            raise Http404
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        report = self.get_object(request, object_id)
        if report is None:
            raise Http404
        queryset = self.get_queryset(request).filter(pk=report.pk)
        action = getattr(self, self.REVIEW_ACTIONS[step])
        response = action(request, queryset)
        if response is not None:
            return response  # type: ignore[no-any-return]
        return redirect("admin:evaluation_report_change", object_id)

    @admin.display(description=_("conversation"))
    def city_answers(self, report: Report) -> str:
        """The report's conversation, oldest first: the reviewers' return comments and notes,
        the city's replies, each with its author and time."""
        answers = selectors.report_comments(report_id=report.pk)
        if not answers:
            return "—"
        return format_html(
            '<ol class="city-answers conversation">{}</ol>',
            format_html_join(
                "",
                '<li class="{}"><strong>{}</strong> <em>{}</em><br>{}</li>',
                (
                    (
                        f"comment-{answer.kind}",
                        gettext("%(who)s, %(when)s:")
                        % {
                            "who": person(answer.author),
                            "when": when(answer.created_at),
                        },
                        answer.get_kind_display(),
                        linebreaksbr(answer.text),
                    )
                    for answer in answers
                ),
            ),
        )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """The province's review only where the programme has one."""
        fields = super().get_fields(request, obj)
        if obj is None or not obj.participation.programme.provincial_review:
            return [f for f in fields if f != "province_review"]
        return fields

    @admin.display(description=_("The province's review"))
    def province_review(self, report: Report) -> str:
        """What the province said on the report, oldest first: each return to the city and
        the opinion it forwarded the report with (复核意见), with who and when."""
        return opinions_html(opinions_of(report=report))

    @admin.display(description=_("changes since the report went back to the city"))
    def changes_since_return(self, report: Report) -> str:
        """The diff a reviewer reads on resubmission: each value old → new, files added."""
        changes = selectors.report_changes_since_return(report=report)
        if changes.since is None:
            return "—"
        indicators = {
            i.code: i for i in Indicator.objects.filter(code__in=[c.code for c in changes.values])
        }
        rows = [
            (
                "changed" if c.changed else "",
                indicator_words(indicators[c.code]),
                c.reason or "",
                "—" if c.old is None else indicator_figure(c.old, indicators[c.code]),
                "—" if c.new is None else indicator_figure(c.new, indicators[c.code]),
                ", ".join(f.name for f in c.added) or "",
                ", ".join(f.name for f in c.removed) or "",
            )
            for c in changes.values
            if c.changed or c.reason
        ]
        if not rows and not changes.report_added:
            return gettext("Nothing has changed since %(when)s.") % {"when": when(changes.since)}
        table = format_html(
            '<table class="changes-since-return"><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("indicator"),
            _("reason returned"),
            _("then"),
            _("now"),
            _("files added"),
            _("files removed"),
            format_html_join(
                "",
                '<tr class="{}"><td>{}</td><td>{}</td><td>{}</td><td><strong>{}</strong></td>'
                "<td>{}</td><td>{}</td></tr>",
                rows,
            ),
        )
        if changes.report_added:
            table = format_html(
                "{}<p>{} {}</p>",
                table,
                gettext("Files added to the report:"),
                ", ".join(f.name for f in changes.report_added),
            )
        return table

    @admin.display(description=_("evidence for the whole report"))
    def report_evidence(self, report: Report) -> str:
        files = [f for f in selectors.report_evidence(report_id=report.pk) if f.value_id is None]
        return self._files(report, files) or "—"

    def _files(self, report: Report, files: list[Any]) -> str:
        return format_html_join(
            mark_safe("<br>"),  # a constant: nothing to escape
            '<a href="{}" class="evidence-file">{}</a> <span title="SHA-256 {}">({}, {})</span>',
            (
                (
                    reverse("admin:evaluation_report_evidence", args=[report.pk, f.pk]),
                    f.name,
                    f.sha256,
                    f.kind.upper(),
                    f.sha256[:12],
                )
                for f in files
            ),
        )

    @admin.display(description=_("values (beside the same period a year earlier)"))
    def values_table(self, report: Report) -> str:
        """Each indicator by its name and unit, its figure as the portal writes it, the same
        period a year earlier, and its flags as sentences in the reader's language."""
        earlier = selectors.values_a_year_earlier(
            city_id=report.participation.city_id, period=report.period
        )
        files = selectors.report_evidence(report_id=report.pk)
        returned = selectors.open_value_returns(report_id=report.pk)
        rows = [
            (
                indicator_words(v.indicator),
                indicator_figure(v.value, v.indicator),
                v.get_status_display(),
                indicator_figure(earlier[v.indicator_id].value, v.indicator)
                if v.indicator_id in earlier
                else "—",
                value_flags(v),
                self._files(report, [f for f in files if f.value_id == v.pk]) or "—",
                returned[v.pk].reason if v.pk in returned else "",
            )
            for v in report.values.select_related("indicator").order_by("indicator__position")
        ]
        return format_html(
            '<table class="report-values"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th>"
            "<th>{}</th></tr>{}</table>",
            _("indicator"),
            _("value"),
            _("status"),
            _("a year earlier"),
            _("flag"),
            _("evidence"),
            _("returned to the city"),
            format_html_join(
                "",
                '<tr><td>{}</td><td class="figure">{}</td><td>{}</td><td class="figure">{}</td>'
                "<td>{}</td><td>{}</td>"
                "<td>{}</td></tr>",
                rows,
            ),
        )

    @admin.action(description=_("Approve selected reports"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        _each(
            request,
            queryset,
            lambda r: reporting.report_approve(report=r, by=_user(request)),
            _("Approved"),
        )

    @admin.action(
        description=_("Return selected reports to the city (comment required)"),
        permissions=["change"],
    )
    def return_to_city(self, request: HttpRequest, queryset: QuerySet[Report]) -> Any:
        return _ask_reason(
            self,
            request,
            queryset,
            title=_("Return reports to the city"),
            label=_("What should the city fix?"),
            action="return_to_city",
            apply=lambda r, text: reporting.report_return(
                report=r, comment=text, by=_user(request)
            ),
            verb=_("Returned"),
        )

    @admin.action(
        description=_("Reopen selected approved reports (reason required)"),
        permissions=["change"],
    )
    def reopen(self, request: HttpRequest, queryset: QuerySet[Report]) -> Any:
        return _ask_reason(
            self,
            request,
            queryset,
            title=_("Reopen approved reports"),
            label=_("Why reopen?"),
            action="reopen",
            apply=lambda r, text: reporting.report_reopen(report=r, reason=text, by=_user(request)),
            verb=_("Reopened"),
        )


@admin.register(MetricValue)
class MetricValueAdmin(PeriodColumn, FilesAdminMixin, HistoryAdmin):
    history_key = "metricvalue"
    list_display = ["city", "indicator_words", "period", "figure", "status", "flag"]
    list_filter = ["status", IndicatorFilter, "year", GranularityFilter]
    search_fields = ["city__code", "city__name_en", "city__name_zh"]
    fields = readonly_fields = (
        "city",
        "indicator_words",
        "period",
        "figure",
        "status",
        "report",
        "flag",
        "submitted_by_name",
        "submitted",
        "approved_by_name",
        "approved",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MetricValue]:
        return (
            super()
            .get_queryset(request)
            .select_related("city", "indicator", "submitted_by", "approved_by")
        )

    @admin.display(description=_("submitted by"))
    def submitted_by_name(self, value: MetricValue) -> str:
        return person(value.submitted_by)

    @admin.display(description=_("submitted at"))
    def submitted(self, value: MetricValue) -> str:
        return when(value.submitted_at)

    @admin.display(description=_("approved by"))
    def approved_by_name(self, value: MetricValue) -> str:
        return person(value.approved_by)

    @admin.display(description=_("approved at"))
    def approved(self, value: MetricValue) -> str:
        return when(value.approved_at)

    @admin.display(description=_("indicator"), ordering="indicator__position")
    def indicator_words(self, value: MetricValue) -> str:
        return indicator_words(value.indicator)

    @admin.display(description=_("value"), ordering="value")
    def figure(self, value: MetricValue) -> str:
        return indicator_figure(value.value, value.indicator)

    @admin.display(description=_("data-quality flags"))
    def flag(self, value: MetricValue) -> str:
        """The flags as sentences in the reader's language, not their stored codes."""
        return value_flags(value)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Values change through reports and imports, which check and record them.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
