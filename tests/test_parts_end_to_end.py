"""A ruleset with all three kinds of parts (output indicators, budget execution, tasks scored by
an expert panel), published and evaluated end to end, first from the files (the commands of
interfaces.md, ``evaluate --json``), then from the pages (the admin's ruleset form, the portal's
money page, the expert panel's page, the review in the admin, the API): both agree to the cent
with an independent reading of the spec (``tests/parts_oracle.py``, which shares no code with
the scoring core), and with the figures worked out by hand below."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from evaluation.models import (
    CityResult,
    EvaluationRun,
    Expenditure,
    IndicatorRule,
    Participation,
    Programme,
    Ruleset,
    RulesetTask,
)
from evaluation.services.rulesets import ruleset_freeze
from tests import parts_oracle as oracle
from tests.admin.conftest import form_data
from tests.parts import expert, ruleset_with_parts

D = Decimal
EXPERTS = ["expert1", "expert2", "expert3", "expert4", "expert5"]

HEFEI = oracle.City(
    annual={
        # 1,000 → 1,440: exactly 20% a year, met.
        "transfer_licence_count": {2019: D(1000), 2021: D(1440)},
        # 200 → 300: sqrt(1.5) - 1 = 22.47% against 30%: 7 x 0.7491 = 5.24.
        "pledge_amount": {2019: D("200.00"), 2021: D("300.00")},
        "pledge_projects": {2019: D(100), 2021: D(169)},  # exactly 30%, met
        "contract_turnover": {2019: D("1000.00"), 2021: D("900.00")},  # fell: missed
        # 30 + 25 = 55 of 100 x 2/3: 0.825, 10.5 x 0.825 = 8.6625 → 8.66.
        "sme_transformations": {2020: D(30), 2021: D(25)},
        "certified_entities": {2020: D(150), 2021: D(60)},  # 210 of 300 x 2/3: met
        "securitization_products": {2021: D(1)},  # 1 of 2/3: met
        "navigation_projects": {2020: D(2)},  # 2 of 10/3: 0.6, 1.26
        "operation_centres": {2020: D(1)},  # 1 of 2: 0.5, 0.70
    },
    targets={"certified_entities": D(300)},
    # Planned 75,000,000 for 2020-2021, spent 70,000,000: 14/15, 9.33.
    plan={2020: D("30000000"), 2021: D("45000000")},
    spent={
        "2020": D("30000000"),
        **{f"2021-Q{q}": D("10000000") for q in range(1, 5)},
    },
    chosen=["fund", "training"],
    scores={
        # Five experts, a tie at the top: 0.9 and 0.6 dropped, 0.8: 6.40.
        "platform": dict(
            zip(EXPERTS, map(D, ["0.90", "0.90", "0.80", "0.70", "0.60"]), strict=True)
        ),
        "talent": {"expert1": D("0.50"), "expert2": D("0.60")},  # 0.55: 1.10
        "fund": {"expert1": D(1), "expert3": D(1)},  # a half of 10 at full marks: 5.00
        "training": {"expert4": D("0.59")},  # 5 x 0.59 = 2.95
    },
)
KUNMING = oracle.City(
    annual={
        "transfer_licence_count": {2019: D(1000), 2021: D(1000)},  # no growth: missed
        "sme_transformations": {2020: D(70)},  # 70 of 66.67: met, 10.50
    },
    spent={"2021": D("50000000")},  # no plan: 100,000,000 x 2/3; 0.75, 7.50
    chosen=["navigation_service"],
    scores={
        "talent": dict(zip(EXPERTS, [D(1)] * 5, strict=True)),  # met, 2.00
        "navigation_service": dict(zip(EXPERTS[:3], map(D, ["0.40", "0.45", "0.50"]), strict=True)),
    },
)
CITIES = {"340100": HEFEI, "530100": KUNMING}
# Worked out by hand from the comments above: 74.24 (fair, 60% of 50,000,000 released) and
# 10.50 + 7.50 + 2.00 + 4.50 = 24.50 (poor: withheld).
BY_HAND = {"340100": ("74.24", "fair", "30000000.00"), "530100": ("24.50", "poor", "0.00")}


def test_the_oracle_agrees_with_the_figures_worked_out_by_hand():
    for code, city in CITIES.items():
        verdict = oracle.evaluate(city)
        assert (str(verdict.score), verdict.grade, str(verdict.amount)) == BY_HAND[code]


def _csv(path: Path, header: str, rows: list[str]) -> str:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def _files(tmp: Path) -> dict[str, str]:
    metrics, targets, plan, spent, chosen, scores = [], [], [], [], [], []
    for code, city in CITIES.items():
        for indicator, years in city.annual.items():
            metrics += [f"{code},{year},{indicator},{value}" for year, value in years.items()]
        targets += [f"{code},{ind},{value}" for ind, value in city.targets.items()]
        plan += [f"{code},{year},{value}" for year, value in city.plan.items()]
        spent += [f"{code},{period},{value},ledger" for period, value in city.spent.items()]
        chosen += [f"{code},{task}" for task in city.chosen]
        scores += [
            f"{code},{task},{who},{score}"
            for task, by in city.scores.items()
            for who, score in by.items()
        ]
    return {
        "cities": _csv(
            tmp / "cities.csv",
            "code,name_en,name_zh,province",
            ["340100,Hefei,合肥市,Anhui", "530100,Kunming,昆明市,Yunnan"],
        ),
        "targets": _csv(tmp / "targets.csv", "city_code,indicator,target", targets),
        "metrics": _csv(tmp / "metrics.csv", "city_code,period,indicator,value", metrics),
        "budget": _csv(tmp / "budget.csv", "city_code,year,planned", plan),
        "expenditure": _csv(tmp / "expenditure.csv", "city_code,period,amount,evidence", spent),
        "choices": _csv(tmp / "choices.csv", "city_code,task", chosen),
        "scores": _csv(tmp / "scores.csv", "city_code,task,expert,score", scores),
    }


def assert_agrees(cities: list[dict]) -> None:
    """The run's document (interfaces.md) against the oracle: every indicator's status,
    points and actual, every city's score, grade and amount."""
    assert sorted(c["city"] for c in cities) == sorted(CITIES)
    for shown in cities:
        verdict = oracle.evaluate(CITIES[shown["city"]])
        got = {i["indicator"]: i for i in shown["indicators"]}
        assert set(got) == set(verdict.lines), shown["city"]
        for code, line in verdict.lines.items():
            expected = (line.status, str(line.points))
            assert (got[code]["status"], got[code]["points"]) == expected, (shown["city"], code)
            if line.actual is not None and code in oracle.OUTPUTS:
                assert D(got[code]["actual"]) == line.actual, (shown["city"], code)
            elif line.actual is not None:
                assert got[code]["actual"] == f"{line.actual:.4f}", (shown["city"], code)
        assert (shown["score"], shown["grade"], shown["amount"]) == (
            f"{verdict.score:.2f}",
            verdict.grade,
            f"{verdict.amount:.2f}",
        )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_from_the_files(tmp_path):
    files = _files(tmp_path)
    quiet = {"stdout": io.StringIO()}
    call_command("import_cities", files["cities"], "--programme", "2020", **quiet)
    ruleset_with_parts(Programme.objects.get(code="2020"))
    call_command("import_targets", files["targets"], "--programme", "2020", **quiet)
    call_command("import_metrics", files["metrics"], "--approve", **quiet)
    call_command("import_budget", files["budget"], "--programme", "2020", **quiet)
    call_command(
        "import_expenditure", files["expenditure"], "--programme", "2020", "--approve", **quiet
    )
    call_command("import_task_choices", files["choices"], "--programme", "2020", **quiet)
    for name in EXPERTS:
        call_command("create_user", name, "--password", "Panel-Expert-2021", **quiet)
        call_command("grant_role", name, "expert", **quiet)
        call_command("assign_expert", name, "--programme", "2020", **quiet)
    call_command("import_task_scores", files["scores"], "--programme", "2020", **quiet)

    out = io.StringIO()
    call_command("evaluate", "--programme", "2020", "--json", stdout=out, stderr=io.StringIO())

    document = json.loads(out.getvalue())
    assert document["ruleset"] == "2020-v2"
    assert_agrees(document["cities"])


# From the pages ------------------------------------------------------------------------------


def _admin_makes_the_ruleset(admin: Client, programme: Programme) -> Ruleset:
    """The administrator copies the used version as the next one, then gives it its parts on
    the ruleset's page: the outputs at 70% of their weights, the budget rule, five tasks and
    the optional tasks' weight."""
    v1 = Ruleset.objects.get(programme=programme, version=1)
    ruleset_freeze(ruleset=v1)
    copied = admin.post(
        "/admin/evaluation/ruleset/",
        {"action": "copy_as_next_version", "_selected_action": [v1.pk]},
    )
    assert copied.status_code == 302
    v2 = Ruleset.objects.get(programme=programme, version=2)
    url = f"/admin/evaluation/ruleset/{v2.pk}/change/"
    page = admin.get(url)
    data = form_data(page)
    data["optional_task_weight"] = "10"
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        prefix = formset.prefix
        if formset.model is IndicatorRule:
            for form in formset.forms:
                data[f"{form.prefix}-weight"] = str(
                    (form.instance.weight * D("0.7")).quantize(D("0.01"))
                )
            n = len(formset.forms)
            budget = IndicatorRule._meta.get_field("indicator").related_model.objects.get(
                code="budget_execution"
            )
            data.update(
                {
                    f"{prefix}-{n}-indicator": str(budget.pk),
                    f"{prefix}-{n}-kind": "budget_execution",
                    f"{prefix}-{n}-floor": "1",
                    f"{prefix}-{n}-weight": "10",
                    f"{prefix}-TOTAL_FORMS": str(n + 1),
                }
            )
        elif formset.model is RulesetTask:
            tasks = [
                ("platform", "区域知识产权运营服务平台", "platform", True, "8"),
                ("talent", "知识产权人才培养", "talent", True, "2"),
                ("training", "企业知识产权培训", "training", False, ""),
                ("fund", "知识产权运营基金", "fund", False, ""),
                ("navigation_service", "专利导航服务", "navigation service", False, ""),
            ]
            for i, (code, zh, en, compulsory, weight) in enumerate(tasks):
                data.update(
                    {
                        f"{prefix}-{i}-code": code,
                        f"{prefix}-{i}-name": zh,
                        f"{prefix}-{i}-name_en": en,
                        f"{prefix}-{i}-weight": weight,
                        f"{prefix}-{i}-position": str(i),
                    }
                )
                if compulsory:
                    data[f"{prefix}-{i}-compulsory"] = "on"
            data[f"{prefix}-TOTAL_FORMS"] = str(len(tasks))
    saved = admin.post(url, data)
    assert saved.status_code == 302, [
        (i.formset.prefix, i.formset.errors, i.formset.non_form_errors())
        for i in saved.context["inline_admin_formsets"]
    ]
    return v2


@pytest.mark.django_db
def test_from_the_pages(programme, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import User

    from evaluation.services.people import official_assign, role_grant
    from tests.factories import ParticipationFactory, UserFactory

    admin_user = UserFactory(username="administrator")
    role_grant(user=admin_user, role="administrator", by=None)
    admin = Client()
    admin.force_login(admin_user)
    v2 = _admin_makes_the_ruleset(admin, programme)
    assert [t.indicator.code for t in v2.tasks.all()] == [
        "platform",
        "talent",
        "training",
        "fund",
        "navigation_service",
    ]
    reviewer = UserFactory(username="wang.fang")
    role_grant(user=reviewer, role="reviewer", by=None)
    desk = Client()
    desk.force_login(reviewer)

    # The cities, their targets and their approved values (the values are the outputs: they
    # come as they always have, an approved load on the admin's "Load a file" page).
    participations = {}
    for code in CITIES:
        participations[code] = ParticipationFactory(programme=programme, city__code=code)
    lines = ["city_code,period,indicator,value"] + [
        f"{code},{year},{indicator},{value}"
        for code, city in CITIES.items()
        for indicator, years in city.annual.items()
        for year, value in years.items()
    ]
    from django.core.files.uploadedfile import SimpleUploadedFile

    loaded = admin.post(
        "/admin/evaluation/metricvalue/load/",
        {
            "kind": "metrics",
            "approve": "on",
            "file": SimpleUploadedFile("m.csv", ("\n".join(lines) + "\n").encode()),
            "load": "1",
        },
    )
    assert loaded.status_code in (200, 302)
    from evaluation.models import Target

    Target.objects.create(
        participation=participations["340100"],
        indicator=IndicatorRule._meta.get_field("indicator").related_model.objects.get(
            code="certified_entities"
        ),
        value=D(300),
    )

    # Each city's official plans and enters its expenditure with the evidence on the portal,
    # and chooses its optional tasks through the API; the reviewer approves the expenditure
    # in the admin.
    from rest_framework.test import APIClient

    for code, city in CITIES.items():
        participation = participations[code]
        official = UserFactory(username=f"official_{code}")
        official_assign(user=official, participation=participation, by=None)
        portal = Client()
        portal.force_login(official)
        for year, planned in city.plan.items():
            response = portal.post(
                f"/city/{participation.pk}/money/plan/", {"year": year, "planned": planned}
            )
            assert response.status_code == 302
        for period, amount in city.spent.items():
            response = portal.post(
                f"/city/{participation.pk}/money/",
                {"period": period, "amount": amount, "evidence": "ledger", "action": "submit"},
            )
            assert response.status_code == 302, response.content[:300]
        api = APIClient()
        api.force_authenticate(official)
        chosen = api.put(
            f"/api/v1/participations/{participation.pk}/tasks/", {"chosen": city.chosen}, "json"
        )
        assert chosen.status_code == 200
    approved = desk.post(
        "/admin/evaluation/expenditure/",
        {
            "action": "approve",
            "_selected_action": list(Expenditure.objects.values_list("pk", flat=True)),
        },
    )
    assert approved.status_code == 302
    assert set(Expenditure.objects.values_list("status", flat=True)) == {"approved"}

    # The administrator puts five experts on both panels; each scores on the panel's page.
    for name in EXPERTS:
        expert(name)
        for participation in participations.values():
            made = admin.post(
                "/admin/evaluation/panelassignment/add/",
                {
                    "participation": participation.pk,
                    "expert": User.objects.get(username=name).pk,
                },
            )
            assert made.status_code == 302
    for code, city in CITIES.items():
        participation = participations[code]
        for name in EXPERTS:
            scored = {
                f"score-{task}": str(by[name]) for task, by in city.scores.items() if name in by
            }
            if not scored:
                continue
            page = Client()
            page.force_login(User.objects.get(username=name))
            response = page.post(f"/panel/{participation.pk}/", scored)
            assert response.status_code == 302, response.content[:500]

    # The reviewer runs the mid-term evaluation from the admin and reads the result.
    with django_capture_on_commit_callbacks(execute=True):
        queued = desk.post(
            "/admin/evaluation/programme/",
            {"action": "evaluate_now", "_selected_action": [programme.pk]},
        )
    assert queued.status_code == 302
    run = EvaluationRun.objects.get(programme=programme)
    assert (run.status, run.ruleset.label) == ("succeeded", "2020-v2"), run.error
    from reports.runs import run_document

    assert_agrees(run_document(run)["cities"])
    assert CityResult.objects.filter(run=run).count() == len(
        Participation.objects.filter(programme=programme)
    )
