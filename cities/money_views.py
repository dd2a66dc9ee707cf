"""The city's money on the officials' portal (资金): the tranches received, the spending planned
per year, the expenditure per period with its evidence (entered here, or from the Excel
template), the execution rate so far and what must still be spent by the next evaluation date;
and the dual monitoring as the city sees it. Thin: reads from ``evaluation.money_selectors``,
writes through ``evaluation.services.money``, the same services as the API and the files."""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from cities.views import _context, _rows, _user, for_city
from evaluation import vocabulary
from evaluation.exceptions import Forbidden, ImportRefused, WorkflowError
from evaluation.models import Expenditure, Indicator, Participation
from evaluation.money_selectors import city_monitoring, money_standing, programme_watch
from evaluation.scoring import Period, PeriodError
from evaluation.services import money


class ExpenditureForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=7,
        help_text=gettext_lazy("A year (2021), a quarter (2021-Q3) or a month (2021-07)."),
    )
    amount = forms.CharField(label=gettext_lazy("Amount spent (yuan)"), max_length=20)
    evidence = forms.CharField(
        label=gettext_lazy("Evidence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What proves the spending: vouchers, contracts, payment orders…"),
    )
    evidence_file = forms.FileField(label=gettext_lazy("Evidence file"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class PlanForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"))
    planned = forms.CharField(label=gettext_lazy("Planned spending (yuan)"), max_length=20)


class SpendingUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Expenditure workbook (.xlsx) or CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _add_errors(form: forms.Form, error: WorkflowError) -> None:
    for item in error.errors:
        form.add_error(item.field if item.field in form.fields else None, item.reason)


def _page(
    request: HttpRequest, participation: Participation, *, status: int = 200, **forms_: Any
) -> HttpResponse:
    standing = money_standing(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    chosen = request.GET.get("period", "")
    editing = next((row for row in standing.expenditure if row.period == chosen), None)
    initial: dict[str, Any] = {}
    if editing is not None and editing.fillable:
        e = editing.expenditure
        initial = {
            "period": e.period.label,
            "amount": f"{e.amount:.2f}",
            "evidence": e.evidence,
            "version": e.version,
        }
    context = {
        "standing": standing,
        "form": forms_.get("form") or ExpenditureForm(initial=initial),
        "plan_form": forms_.get("plan_form") or PlanForm(),
        "upload_form": forms_.get("upload_form") or SpendingUploadForm(),
        "upload_errors": forms_.get("upload_errors"),
        "nav": "money",
    }
    return render(
        request, "cities/money.html", _context(request, participation, **context), status=status
    )


@for_city
@require_http_methods(["GET", "POST"])
def money_page(request: HttpRequest, participation: Participation) -> HttpResponse:
    """GET shows the money; POST saves one period's expenditure as a draft (``action=save``)
    or saves and submits it (``action=submit``)."""
    if request.method == "GET":
        return _page(request, participation)
    form = ExpenditureForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, participation, form=form, status=400)
    data = form.cleaned_data
    try:
        period = Period.parse(data["period"])
    except PeriodError:
        form.add_error("period", _("%(text)r is not a period") % {"text": data["period"]})
        return _page(request, participation, form=form, status=400)
    try:
        saved = money.expenditure_save(
            participation=participation,
            period=period,
            amount=data["amount"],
            evidence=data["evidence"],
            evidence_file=data.get("evidence_file"),
            version=data.get("version"),
            by=_user(request),
        )
        if request.POST.get("action") == "submit":
            money.expenditure_submit(expenditure=saved, by=_user(request))
    except WorkflowError as error:
        _add_errors(form, error)
        return _page(request, participation, form=form, status=400)
    if request.POST.get("action") == "submit":
        messages.success(request, _("Submitted for review: %(period)s.") % {"period": period})
    else:
        messages.success(request, _("Saved as a draft: %(period)s.") % {"period": period})
    return redirect("cities:money", pk=participation.pk)


def _own_expenditure(participation: Participation, expenditure_id: int) -> Expenditure:
    found = Expenditure.objects.filter(pk=expenditure_id, participation=participation).first()
    if found is None:
        raise Http404()
    return found


@for_city
@require_POST
def expenditure_submit(
    request: HttpRequest, participation: Participation, expenditure_id: int
) -> HttpResponse:
    expenditure = _own_expenditure(participation, expenditure_id)
    try:
        money.expenditure_submit(expenditure=expenditure, by=_user(request))
    except WorkflowError as error:
        for item in error.errors:
            messages.error(request, item.reason)
    else:
        messages.success(
            request, _("Submitted for review: %(period)s.") % {"period": expenditure.period}
        )
    return redirect("cities:money", pk=participation.pk)


@for_city
def evidence_file(
    request: HttpRequest, participation: Participation, expenditure_id: int
) -> HttpResponse:
    """The evidence file of one of the city's own expenditure records."""
    expenditure = _own_expenditure(participation, expenditure_id)
    if not expenditure.evidence_file:
        raise Http404()
    return FileResponse(  # type: ignore[return-value]
        expenditure.evidence_file.open("rb"),
        as_attachment=True,
        filename=expenditure.evidence_file.name.rsplit("/", 1)[-1],
    )


@for_city
@require_POST
def plan_year(request: HttpRequest, participation: Participation) -> HttpResponse:
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            money.plan_set(
                participation=participation,
                year=form.cleaned_data["year"],
                planned=form.cleaned_data["planned"],
                by=_user(request),
            )
        except (WorkflowError, Forbidden) as error:
            if isinstance(error, WorkflowError):
                _add_errors(form, error)
            else:
                form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Planned spending for %(year)s saved.") % {"year": form.cleaned_data["year"]},
            )
            return redirect("cities:money", pk=participation.pk)
    return _page(request, participation, plan_form=form, status=400)


@for_city
def spending_template(request: HttpRequest, participation: Participation) -> HttpResponse:
    """An expenditure workbook to fill in: the fixed columns (in the reader's language), the
    city's periods with their amounts so far (approved ones left out: a reviewer reopens
    them), and a sheet explaining the columns."""
    chinese = not (get_language() or "").startswith("en")
    names = {
        "city_code": "城市代码",
        "period": "期间",
        "amount": "金额",
        "evidence": "佐证材料",
    }
    columns = ("city_code", "period", "amount", "evidence")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Expenditure")
    sheet.append(
        [
            _("%(city)s (%(code)s): expenditure of programme %(programme)s, in yuan")
            % {
                "city": participation.city.name_zh if chinese else participation.city.name_en,
                "code": participation.city.code,
                "programme": participation.programme.code,
            }
        ]
    )
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([names[c] if chinese else c for c in columns])
    standing = money_standing(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    for row in standing.expenditure:
        if row.fillable:
            e = row.expenditure
            sheet.append([participation.city.code, e.period.label, float(e.amount), e.evidence])
    notes = workbook.create_sheet(_("Explanation"))
    for column, meaning in (
        ("city_code", _("The city's 6-digit administrative division code. Do not change it.")),
        ("period", _("The period: a year (2021), a quarter (2021-Q3) or a month (2021-07).")),
        ("amount", _("The money spent in the period, in yuan, with at most 2 decimals.")),
        ("evidence", _("What proves the spending: vouchers, contracts, payment orders.")),
    ):
        notes.append([names[column] if chinese else column, meaning])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"{participation.city.code}-{participation.programme.code}-expenditure.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@for_city
@require_POST
def spending_upload(request: HttpRequest, participation: Participation) -> HttpResponse:
    """``action=check``: what the file would change, saving nothing; ``action=load``: load it
    into draft expenditure, all or nothing."""
    form = SpendingUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, participation, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    check = request.POST.get("action") == "check"
    try:
        summary = money.expenditure_upload(
            participation=participation,
            name=upload.name,
            data=upload.read(),
            by=_user(request),
            dry_run=check,
        )
    except ImportRefused as refused:
        return _page(
            request,
            participation,
            upload_form=form,
            upload_errors=_rows(refused.errors),
            status=400,
        )
    if check:
        messages.info(
            request,
            _("%(file)s: nothing was saved; it would be %(summary)s.")
            % {"file": upload.name, "summary": summary},
        )
    else:
        messages.success(
            request,
            _("%(file)s loaded into draft expenditure: %(summary)s. Submit each period.")
            % {"file": upload.name, "summary": summary},
        )
    return redirect("cities:money", pk=participation.pk)


@for_city
def monitoring_page(request: HttpRequest, participation: Participation) -> HttpResponse:
    """The dual monitoring as the city sees it today, with what it means."""
    monitored = city_monitoring(
        participation=participation, fetched_by=request.user, as_of=timezone.localdate()
    )
    watch = programme_watch(programme=participation.programme)
    catalogue = {
        i.code: i
        for i in Indicator.objects.filter(
            code__in=[row.indicator for row in monitored.so_far.indicators]
        )
    }
    rows = [
        {
            "code": row.indicator,
            "name": vocabulary.indicator_name(catalogue[row.indicator]),
            "unit": vocabulary.indicator_unit(catalogue[row.indicator]),
            "places": catalogue[row.indicator].decimal_places,
            "so_far": row.so_far,
            "path": row.path,
            "ratio": row.ratio,
            "low": row.ratio is not None and row.ratio < watch.attainment_threshold,
        }
        for row in monitored.so_far.indicators
    ]
    return render(
        request,
        "cities/monitoring.html",
        _context(
            request,
            participation,
            monitored=monitored,
            rows=rows,
            watch=watch,
            nav="monitoring",
        ),
    )
