"""A programme taken through every step, by its people, through the services alone: cities
and approved values loaded from files, officials' reports in every state, an official run
signed off (one decision confirmed, one overridden) and so finalised, a provisional run, and
a ruleset revised after a run used it. Everything protected is therefore in the ledger, which
the ledger, verification and admin tests then tamper with."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User

from evaluation.models import EvaluationRun, Participation, Programme, Report, Ruleset
from evaluation.models import TrancheDecision as Decision
from evaluation.scoring import Period
from evaluation.services import decisions, reporting
from evaluation.services.imports import cities_import, metrics_import
from evaluation.services.people import official_assign, role_grant
from evaluation.services.rulesets import ruleset_revise
from evaluation.services.runs import evaluation_run_request
from tests.conftest import csv_bytes
from tests.factories import UserFactory, complete

KUNMING, HEFEI = "530100", "340100"

# Kunming meets every target (everything released); Hefei falls short on most.
VALUES = {
    KUNMING: [
        *(
            (indicator, period, value)
            for indicator in ("transfer_licence_count", "pledge_amount", "pledge_projects")
            for period, value in (("2019", "100"), ("2021", "200"))
        ),
        ("contract_turnover", "2019", "100"),
        ("contract_turnover", "2021", "196"),
        ("sme_transformations", "2020", "67"),
        ("certified_entities", "2020", "134"),
        ("securitization_products", "2020", "1"),
        ("navigation_projects", "2020", "4"),
        ("trusteeship_smes", "2020", "667"),
        ("operation_centres", "2020", "2"),
    ],
    HEFEI: [
        ("transfer_licence_count", "2019", "1000"),
        ("transfer_licence_count", "2021", "1500"),
        ("sme_transformations", "2020", "30"),
        ("sme_transformations", "2021", "25"),
    ],
}


@dataclass(frozen=True)
class Story:
    programme: Programme
    kunming: Participation
    hefei: Participation
    official: User
    reviewer: User  # triggers the runs
    signer: User  # signs the decisions off
    administrator: User
    run: EvaluationRun  # official, finalised
    provisional: EvaluationRun
    confirmed: Decision  # Hefei's
    overridden: Decision  # Kunming's: 10,000,000.00 instead of everything
    reports: dict[str, Report]  # by state
    revised: Ruleset


def _person(username: str, role: str | None = None) -> User:
    user = UserFactory(username=username, first_name="", last_name="")
    if role is not None:
        role_grant(user=user, role=role, by=None)
    return user


def tell(programme: Programme, capture) -> Story:
    """``capture`` is pytest-django's ``django_capture_on_commit_callbacks``: the run's tasks
    run in the test's transaction, as the embedded default runs them."""
    administrator = _person("administrator", "administrator")
    administrator.first_name, administrator.last_name = "Min", "Zhou"
    administrator.save()
    reviewer = _person("reviewer", "reviewer")
    signer = _person("signer", "reviewer")
    official = _person("li.wei")
    cities_import(
        name="cities.csv",
        data=csv_bytes(
            "code,name_en,name_zh,province",
            f"{KUNMING},Kunming,昆明市,Yunnan",
            f"{HEFEI},Hefei,合肥市,Anhui",
        ),
        programme=programme,
        by=administrator,
    )
    kunming = Participation.objects.get(programme=programme, city__code=KUNMING)
    hefei = Participation.objects.get(programme=programme, city__code=HEFEI)
    metrics_import(
        name="audited.csv",
        data=csv_bytes(
            "city_code,period,indicator,value",
            *(
                f"{city},{period},{code},{value}"
                for city, rows in VALUES.items()
                for code, period, value in rows
            ),
        ),
        approve=True,
        by=administrator,
    )
    official_assign(user=official, participation=kunming, by=administrator)

    reports: dict[str, Report] = {}
    with capture(execute=True):
        for state, month in (
            ("draft", 3),
            ("submitted", 4),
            ("returned", 5),
            ("approved", 6),
            ("reopened", 7),
        ):
            report = reporting.report_create(
                participation=kunming, period=Period.parse(f"2022-{month:02d}"), by=official
            )
            report = reporting.report_values_set(
                report=report,
                values=complete({"pledge_projects": str(month)}),
                version=report.version,
                by=official,
            )
            if state != "draft":
                report = reporting.report_submit(report=report, version=None, by=official)
            if state == "returned":
                report = reporting.report_return(
                    report=report, comment="check the pledge projects", by=reviewer
                )
            if state in ("approved", "reopened"):
                report = reporting.report_approve(report=report, by=reviewer)
            if state == "reopened":
                report = reporting.report_reopen(
                    report=report, reason="a correction was announced", by=reviewer
                )
            reports[state] = report

        run = evaluation_run_request(programme=programme, trigger="admin", by=reviewer)
        provisional = evaluation_run_request(
            programme=programme, kind="provisional", trigger="api", by=reviewer
        )
    run = EvaluationRun.objects.get(pk=run.pk)
    assert run.status == "succeeded", run.error
    confirmed = decisions.decision_confirm(
        decision=Decision.objects.get(city_result__run=run, city_result__participation=hefei),
        by=signer,
    )
    overridden = decisions.decision_override(
        decision=Decision.objects.get(city_result__run=run, city_result__participation=kunming),
        amount=Decimal("10000000.00"),
        reason="half the pledge projects are disputed",
        by=signer,
    )
    revised = ruleset_revise(
        ruleset=run.ruleset,
        by=administrator,
        weights={"pledge_amount": Decimal("15"), "pledge_projects": Decimal("5")},
    )
    return Story(
        programme=programme,
        kunming=kunming,
        hefei=hefei,
        official=official,
        reviewer=reviewer,
        signer=signer,
        administrator=administrator,
        run=EvaluationRun.objects.get(pk=run.pk),
        provisional=EvaluationRun.objects.get(pk=provisional.pk),
        confirmed=Decision.objects.get(pk=confirmed.pk),
        overridden=Decision.objects.get(pk=overridden.pk),
        reports={state: Report.objects.get(pk=r.pk) for state, r in reports.items()},
        revised=revised,
    )
