"""The API of the optional parts: a city's money (its tranches, planned spending and
expenditure with the execution rate so far), its expenditure reviewed like its reports, and
the optional tasks it chose. Thin: reads through ``evaluation.money_selectors`` and the access
rules (an official reaches their own cities only, anything else is 404), writes through the
services, as the portal and the files do."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation import access
from evaluation.api.serializers import PeriodField
from evaluation.models import Expenditure, Participation
from evaluation.money_selectors import expenditure_for, money_standing
from evaluation.services import money, panel

# Serializers ------------------------------------------------------------------------------------


class ExpenditureSerializer(serializers.ModelSerializer[Expenditure]):
    city = serializers.CharField(source="participation.city.code", read_only=True)
    programme = serializers.CharField(source="participation.programme.code", read_only=True)
    period = serializers.SerializerMethodField()
    has_evidence_file = serializers.SerializerMethodField()

    class Meta:
        model = Expenditure
        fields = [
            "id",
            "participation",
            "city",
            "programme",
            "period",
            "amount",
            "evidence",
            "has_evidence_file",
            "status",
            "version",
            "submitted_at",
            "reviewed_at",
            "review_comment",
        ]

    def get_period(self, expenditure: Expenditure) -> str:
        return expenditure.period.label

    def get_has_evidence_file(self, expenditure: Expenditure) -> bool:
        return bool(expenditure.evidence_file)


class ExpenditureWriteSerializer(serializers.Serializer[Any]):
    participation = serializers.IntegerField(help_text=_("the participation (its id)"))
    period = PeriodField(help_text=_("a year (2021), a quarter (2021-Q3) or a month (2021-07)"))
    amount = serializers.CharField(help_text=_("yuan, at most 2 decimals"))
    evidence = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("what proves the spending")
    )
    version = serializers.IntegerField(
        required=False, help_text=_("the version the change is based on (an existing record)")
    )


class CommentSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(allow_blank=True)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(allow_blank=True)


class TrancheSerializer(serializers.Serializer[Any]):
    run = serializers.IntegerField(allow_null=True, help_text=_("null: the first tranche"))
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    decided_at = serializers.DateTimeField(allow_null=True)


class PlanYearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    planned = serializers.CharField(help_text=_("yuan, at most 2 decimals"))


class MoneySerializer(serializers.Serializer[Any]):
    first_tranche = serializers.DecimalField(max_digits=14, decimal_places=2)
    tranches = TrancheSerializer(many=True)
    plan = PlanYearSerializer(many=True)
    expenditure = ExpenditureSerializer(many=True)
    approved_so_far = serializers.DecimalField(max_digits=16, decimal_places=2)
    planned_so_far = serializers.DecimalField(max_digits=16, decimal_places=2)
    execution_so_far = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True, help_text=_("a fraction: 0.75 is 75%")
    )
    next_evaluation_date = serializers.DateField()
    planned_by_next_evaluation = serializers.DecimalField(max_digits=16, decimal_places=2)
    needed_by_next_evaluation = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True
    )
    suspended = serializers.BooleanField()
    suspension_reason = serializers.CharField(allow_blank=True)


class TaskSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    compulsory = serializers.BooleanField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    chosen = serializers.BooleanField(help_text=_("compulsory tasks: always"))


class ChoicesSerializer(serializers.Serializer[Any]):
    chosen = serializers.ListField(
        child=serializers.CharField(), help_text=_("the optional tasks' codes the city chose")
    )


# Views -----------------------------------------------------------------------------------------


def _acting(request: Request) -> User:
    return cast(User, request.user)


def _participation(request: Request, pk: int) -> Participation:
    found: Participation = access.get_or_not_found(access.participations_for(request.user), pk=pk)
    return found


def _money(request: Request, participation: Participation) -> dict[str, Any]:
    standing = money_standing(
        participation=participation, fetched_by=request.user, today=timezone.localdate()
    )
    return {
        "first_tranche": participation.first_tranche,
        "tranches": [
            {"run": t.run, "amount": t.amount, "decided_at": t.decided_at}
            for t in standing.tranches
        ],
        "plan": [{"year": p.year, "planned": f"{p.planned:.2f}"} for p in standing.plan],
        "expenditure": [row.expenditure for row in standing.expenditure],
        "approved_so_far": standing.so_far.spent,
        "planned_so_far": standing.so_far.planned,
        "execution_so_far": standing.so_far.execution,
        "next_evaluation_date": standing.by,
        "planned_by_next_evaluation": standing.planned_by,
        "needed_by_next_evaluation": standing.needed_by,
        "suspended": standing.suspended is not None,
        "suspension_reason": standing.suspended.reason if standing.suspended else "",
    }


class MoneyView(APIView):
    """A city's money: tranches received, planned spending per year, expenditure per period,
    the execution rate so far and what must still be spent by the next evaluation date."""

    @extend_schema(responses=MoneySerializer)
    def get(self, request: Request, pk: int) -> Response:
        participation = _participation(request, pk)
        return Response(MoneySerializer(_money(request, participation)).data)


class PlanView(APIView):
    """Set a year's planned spending (the city's officials, or reviewers)."""

    @extend_schema(request=PlanYearSerializer, responses=MoneySerializer)
    def put(self, request: Request, pk: int) -> Response:
        participation = _participation(request, pk)
        data = PlanYearSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        money.plan_set(
            participation=participation,
            year=data.validated_data["year"],
            planned=data.validated_data["planned"],
            by=_acting(request),
        )
        return Response(MoneySerializer(_money(request, participation)).data)


def _tasks(participation: Participation) -> list[dict[str, Any]]:
    known, codes = panel.city_task_codes(participation)
    return [
        {
            "code": code,
            "name_zh": task.indicator.name_zh,
            "name_en": task.indicator.name_en,
            "compulsory": task.compulsory,
            "weight": task.weight,
            "chosen": code in codes,
        }
        for group in (known.compulsory, known.optional)
        for code, task in group.items()
    ]


class TasksView(APIView):
    """The tasks of the programme's ruleset for the city: the compulsory ones and the optional
    ones, each saying whether the city chose it; PUT sets the chosen optional tasks."""

    @extend_schema(responses=TaskSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        participation = _participation(request, pk)
        return Response(TaskSerializer(_tasks(participation), many=True).data)

    @extend_schema(request=ChoicesSerializer, responses=TaskSerializer(many=True))
    def put(self, request: Request, pk: int) -> Response:
        participation = _participation(request, pk)
        data = ChoicesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        panel.task_choices_set(
            participation=participation, tasks=data.validated_data["chosen"], by=_acting(request)
        )
        return Response(TaskSerializer(_tasks(participation), many=True).data)


class ExpenditureFilter(django_filters.FilterSet):  # type: ignore[misc]
    participation = django_filters.NumberFilter(label=_("participation (its id)"))
    programme = django_filters.CharFilter(
        field_name="participation__programme__code", label=_("programme (its code, e.g. 2020)")
    )
    city = django_filters.CharFilter(
        field_name="participation__city__code", label=_("city (its 6-digit division code)")
    )
    status = django_filters.ChoiceFilter(choices=Expenditure.Status.choices, label=_("status"))

    class Meta:
        model = Expenditure
        fields = ["participation", "programme", "city", "status"]


class ExpenditureViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Expenditure]
):
    """A city's expenditure per period, entered by its officials and reviewed like a report:
    submit, approve, return with a comment, reopen with a reason."""

    serializer_class = ExpenditureSerializer
    filterset_class = ExpenditureFilter

    def get_queryset(self) -> QuerySet[Expenditure]:
        if getattr(self, "swagger_fake_view", False):
            return Expenditure.objects.none()
        return expenditure_for(self.request.user).order_by(
            "participation__city__code", "year", "granularity", "number"
        )

    def _respond(self, expenditure: Expenditure, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            ExpenditureSerializer(self.get_queryset().get(pk=expenditure.pk)).data, status=code
        )

    @extend_schema(request=ExpenditureWriteSerializer, responses={201: ExpenditureSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Enter (or change, based on its version) a period's expenditure as a draft."""
        data = ExpenditureWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        participation = _participation(request, values["participation"])
        saved = money.expenditure_save(
            participation=participation,
            period=values["period"],
            amount=values["amount"],
            evidence=values["evidence"],
            version=values.get("version"),
            by=_acting(request),
        )
        return self._respond(saved, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ExpenditureSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self._respond(
            money.expenditure_submit(expenditure=self.get_object(), by=_acting(request))
        )

    @extend_schema(request=None, responses=ExpenditureSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        return self._respond(
            money.expenditure_approve(expenditure=self.get_object(), by=_acting(request))
        )

    @extend_schema(request=CommentSerializer, responses=ExpenditureSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            money.expenditure_return(
                expenditure=self.get_object(),
                comment=data.validated_data["comment"],
                by=_acting(request),
            )
        )

    @extend_schema(request=ReasonSerializer, responses=ExpenditureSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            money.expenditure_reopen(
                expenditure=self.get_object(),
                reason=data.validated_data["reason"],
                by=_acting(request),
            )
        )
