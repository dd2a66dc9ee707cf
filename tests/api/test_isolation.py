"""An official of city A reaches nothing of city B: every route of the API, walked with city B's
ids, answers 404 (exactly as for an id that does not exist), or 403 where only reviewers may go,
and lists hold city A's rows only. Anonymous callers get nowhere. Nothing changes either way.

The walk reads the routes from the URL configuration and every route has an entry in
``ROUTES``, so a new endpoint fails here until someone decides who may reach it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from evaluation.models import CityResult, EvaluationRun, MetricValue, Report, SelfEvaluation
from evaluation.scoring import Period
from evaluation.services import money, reporting, tokens
from evaluation.services.runs import evaluation_run_request
from tests.api.conftest import client_for
from tests.api.test_refusals_change_nothing import changed_tables, database_state
from tests.conftest import csv_bytes
from tests.factories import add_target, add_value, complete

pytestmark = pytest.mark.django_db

API_PREFIX = "api/v1/"
CITY_B_CODE = "110105"
CITY_B_NAME = "Chaoyang"

# What an official of another city may get from a route, per method.
CATALOGUE = "catalogue"  # the programme's public catalogue, no city data: 200
OWN_LIST = "own list"  # 200, but only the caller's own cities' rows
HIDDEN = "hidden"  # another city's object: 404, the same answer as for an id that does not exist
REVIEWERS_ONLY = "reviewers only"  # 403 (or 404), never a 2xx
LOGIN = "login"  # open to all by design; wrong credentials: 400 and no token
SELF = "self"  # the caller's own things (their API tokens, their sign-out): 2xx

ROUTES: dict[str, dict[str, str]] = {
    "api-root": {"get": CATALOGUE},
    "token": {"post": LOGIN},
    "tokens": {"get": SELF},
    "token-revoke": {"delete": HIDDEN},
    "sign-out": {"post": SELF},
    "audit": {"get": REVIEWERS_ONLY},
    "programme-list": {"get": CATALOGUE},
    "programme-detail": {"get": CATALOGUE},
    "indicator-list": {"get": CATALOGUE},
    "indicator-detail": {"get": CATALOGUE},
    "participation-list": {"get": OWN_LIST},
    "participation-detail": {"get": HIDDEN},
    "participation-periods": {"get": HIDDEN},
    "participation-upload": {"post": HIDDEN},
    "report-list": {"get": OWN_LIST, "post": HIDDEN},
    "report-detail": {"get": HIDDEN},
    "report-values": {"put": HIDDEN},
    "report-submit": {"post": HIDDEN},
    "report-approve": {"post": HIDDEN},
    # DRF names the route of the ``return_`` action "return-".
    "report-return-": {"post": HIDDEN},
    "report-reopen": {"post": HIDDEN},
    # The report's conversation, its single values returned, its changes since; its evidence.
    "report-comments": {"get": HIDDEN, "post": HIDDEN},
    "report-changes": {"get": HIDDEN},
    "report-return-values": {"post": REVIEWERS_ONLY},
    "evidence-list": {"get": OWN_LIST, "post": HIDDEN},
    "evidence-detail": {"get": HIDDEN, "delete": HIDDEN},
    "evidence-download": {"get": HIDDEN},
    "run-list": {"get": REVIEWERS_ONLY, "post": REVIEWERS_ONLY},
    "run-detail": {"get": REVIEWERS_ONLY},
    "run-restart": {"post": REVIEWERS_ONLY},
    "result-list": {"get": OWN_LIST},
    "result-detail": {"get": HIDDEN},
    "decision-list": {"get": REVIEWERS_ONLY},
    "decision-detail": {"get": REVIEWERS_ONLY},
    "decision-confirm": {"post": REVIEWERS_ONLY},
    "decision-override": {"post": REVIEWERS_ONLY},
    # The optional parts: a city's money, plan and tasks; its expenditure, reviewed.
    "participation-money": {"get": HIDDEN},
    "participation-plan": {"put": HIDDEN},
    "participation-tasks": {"get": HIDDEN, "put": HIDDEN},
    "expenditure-list": {"get": OWN_LIST, "post": HIDDEN},
    "expenditure-detail": {"get": HIDDEN},
    "expenditure-submit": {"post": HIDDEN},
    "expenditure-approve": {"post": HIDDEN},
    "expenditure-return-": {"post": HIDDEN},
    "expenditure-reopen": {"post": HIDDEN},
    # The self-evaluations (自评) and their review; the province's steps on a report.
    "self_evaluation-list": {"get": OWN_LIST},
    "self_evaluation-detail": {"get": HIDDEN},
    "self_evaluation-submit": {"post": HIDDEN},
    "self_evaluation-forward": {"post": HIDDEN},
    "self_evaluation-send-back": {"post": HIDDEN},
    "self_evaluation-accept": {"post": HIDDEN},
    "self_evaluation-return-": {"post": HIDDEN},
    "report-forward": {"post": HIDDEN},
    "report-send-back": {"post": HIDDEN},
}

WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    groups: frozenset[str]
    callback: Callable[..., Any]

    @property
    def methods(self) -> set[str]:
        """The methods the view answers (besides HEAD and OPTIONS, which every view has)."""
        actions = getattr(self.callback, "actions", None)
        if actions is not None:
            # DRF adds "head" to a viewset's actions once it has answered a GET.
            return set(actions) - {"head", "options"}
        view_class = self.callback.view_class  # type: ignore[attr-defined]
        return {
            method
            for method in view_class.http_method_names
            if method not in ("head", "options") and hasattr(view_class, method)
        }


def api_routes() -> list[Route]:
    """Every URL pattern under /api/v1/, format-suffixed variants included."""
    found: list[Route] = []

    def walk(patterns: list[Any], prefix: str, groups: frozenset[str]) -> None:
        for entry in patterns:
            pattern = prefix + str(entry.pattern)
            names = groups | set(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, pattern, names)
            else:
                assert isinstance(entry, URLPattern)
                found.append(Route(entry.name, pattern, frozenset(names), entry.callback))

    walk(get_resolver().url_patterns, "", frozenset())
    return [route for route in found if route.pattern.startswith(API_PREFIX)]


@dataclass(frozen=True)
class Ids:
    """The objects a walk aims at: city B's, or ones that do not exist."""

    participation: int
    report: int
    result: int
    decision: int
    run: int
    audited: tuple[tuple[str, int], ...]
    token_key: str = "0123456789abcde"
    expenditure: int = 987_654
    evidence: int = 987_654
    self_evaluation: int = 987_654


MISSING = Ids(
    participation=987_654,
    report=987_654,
    result=987_654,
    decision=987_654,
    run=987_654,
    audited=tuple(
        (model, 987_654)
        for model in ("report", "metricvalue", "target", "participation", "city", "decision")
    ),
)


def url_kwargs(route: Route, ids: Ids) -> Iterator[dict[str, Any]]:
    """The path parameters of ``route`` filled in with ``ids`` (several sets for the audit)."""
    basename = route.name.split("-")[0]
    choices: list[dict[str, Any]]
    if route.name == "audit":
        choices = [{"model": model, "pk": pk} for model, pk in ids.audited]
    elif "code" in route.groups:
        choices = [{"code": {"programme": "2020", "indicator": "pledge_amount"}[basename]}]
    elif "pk" in route.groups:
        choices = [{"pk": getattr(ids, basename)}]
    elif "token_key" in route.groups:
        choices = [{"token_key": ids.token_key}]
    else:
        choices = [{}]
    unknown = route.groups - {"model", "pk", "code", "format", "token_key"}
    assert not unknown, f"{route.name}: no value for the path parameters {unknown}"
    for kwargs in choices:
        yield kwargs | ({"format": "json"} if "format" in route.groups else {})


def request_body(name: str, method: str, ids: Ids, city_code: str) -> tuple[Any, str]:
    """A plausible request: one that would succeed if the caller were allowed."""
    if name == "participation-upload":
        data = csv_bytes(
            "city_code,period,indicator,value", f"{city_code},2022-04,pledge_projects,9"
        )
        return {"file": SimpleUploadedFile("metrics.csv", data, content_type="text/csv")}, (
            "multipart"
        )
    if name == "evidence-list" and method == "post":
        pdf = SimpleUploadedFile(
            "contract.pdf", b"%PDF-1.4 a contract", content_type="application/pdf"
        )
        return {"report": ids.report, "indicator": "", "file": pdf}, "multipart"
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("token", "post"): {"username": "official_b", "password": "not their password"},
        ("report-list", "post"): {"participation": ids.participation, "period": "2022-04"},
        ("report-values", "put"): {"version": 3, "values": {"pledge_projects": "9"}},
        ("report-submit", "post"): {"version": 3},
        ("report-return-", "post"): {"comment": "please check March"},
        ("report-reopen", "post"): {"reason": "a typo in March"},
        ("run-list", "post"): {"programme": "2020"},
        ("decision-override", "post"): {"amount": "1.00", "reason": "a second look"},
        ("participation-plan", "put"): {"year": 2021, "planned": "1000.00"},
        ("participation-tasks", "put"): {"chosen": ["fund"]},
        ("expenditure-list", "post"): {
            "participation": ids.participation,
            "period": "2021-03",
            "amount": "100.00",
            "evidence": "voucher 7",
        },
        ("expenditure-return-", "post"): {"comment": "please check March"},
        ("expenditure-reopen", "post"): {"reason": "a typo in March"},
        ("self_evaluation-forward", "post"): {"opinion": "情况属实，同意报送"},
        ("self_evaluation-send-back", "post"): {"comment": "请补充整改措施"},
        ("self_evaluation-return-", "post"): {"comment": "请补充整改措施"},
        ("report-forward", "post"): {"opinion": "数据已核实"},
        ("report-send-back", "post"): {"comment": "请核对三月"},
    }
    return bodies.get((name, method), {}), "json"


def walking(client: Any) -> Any:
    """``client``, answering a server error with a 500 for the walk to report instead of
    raising it."""
    client.raise_request_exception = False
    return client


def send(client: Any, method: str, url: str, body: Any, fmt: str) -> Any:
    if method in ("head", "options"):
        return client.generic(method.upper(), url)
    return getattr(client, method)(url, body, format=fmt)


@dataclass
class Story:
    """City A and city B of the 2020 programme, each with a report, after a provisional
    evaluation run that gave both a result (which each city's officials see at once) and a
    recommended tranche decision."""

    city_b_ids: Ids
    city_a_report: Report
    city_b_report: Report


@pytest.fixture
def story(
    city_a, city_b, official_a, official_b, reviewer, django_capture_on_commit_callbacks
) -> Story:
    add_target(city_b, "sme_transformations", "150")
    for city in (city_a.city, city_b.city):
        for period, value in (("2019", "1000"), ("2021", "1400")):
            add_value(city, "transfer_licence_count", period, value)
        add_value(city, "pledge_amount", "2019", "200.50")
        add_value(city, "pledge_amount", "2021", "310.25")
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(
            programme=city_b.programme,
            kind=EvaluationRun.Kind.PROVISIONAL,
            trigger=EvaluationRun.Trigger.API,
            by=reviewer,
        )
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.SUCCEEDED, run.error
    result_b = CityResult.objects.get(run=run, participation=city_b)

    def report(participation: Any, official: Any, *, submit: bool) -> Report:
        opened = reporting.report_create(
            participation=participation, period=Period.parse("2022-03"), by=official
        )
        filled = reporting.report_values_set(
            report=opened,
            values=complete({"pledge_projects": "4"}),
            version=opened.version,
            by=official,
        )
        return (
            reporting.report_submit(report=filled, version=None, by=official) if submit else filled
        )

    report_b = report(city_b, official_b, submit=True)
    self_evaluation_b, _ = submitted_self_evaluations(city_a, city_b)
    value_b = MetricValue.objects.get(report=report_b, indicator__code="pledge_projects")
    token_b, _ = tokens.token_issue(user=official_b)
    spent_b = money.expenditure_submit(
        expenditure=money.expenditure_save(
            participation=city_b,
            period=Period.parse("2021-02"),
            amount="5000.00",
            evidence="voucher 3",
            by=official_b,
        ),
        by=official_b,
    )
    money.expenditure_save(
        participation=city_a,
        period=Period.parse("2021-02"),
        amount="4000.00",
        evidence="voucher 1",
        by=official_a,
    )
    return Story(
        city_b_ids=Ids(
            participation=city_b.pk,
            report=report_b.pk,
            result=result_b.pk,
            decision=result_b.decision.pk,
            run=run.pk,
            audited=(
                ("report", report_b.pk),
                ("metricvalue", value_b.pk),
                ("target", city_b.targets.get().pk),
                ("participation", city_b.pk),
                ("city", city_b.city.pk),
                ("decision", result_b.decision.pk),
            ),
            token_key=token_b.token_key,
            expenditure=spent_b.pk,
            self_evaluation=self_evaluation_b.pk,
        ),
        city_a_report=report(city_a, official_a, submit=False),
        city_b_report=report_b,
    )


def submitted_self_evaluations(city_a: Any, city_b: Any) -> tuple[SelfEvaluation, SelfEvaluation]:
    """City B's and city A's submitted mid-term self-evaluations (their lines do not matter
    here): city A's official's own list is not empty."""
    made = [
        SelfEvaluation.objects.create(
            participation=participation, as_of=dt.date(2021, 12, 31), status="submitted"
        )
        for participation in (city_b, city_a)
    ]
    return made[0], made[1]


def test_every_route_of_the_api_has_a_rule_for_who_may_reach_it():
    """A new route, or a new method on a route, fails here until ``ROUTES`` says who may use
    it (and the walk below proves it)."""
    routes = api_routes()
    assert {route.name for route in routes} == set(ROUTES)
    for route in routes:
        assert route.methods == set(ROUTES[route.name]), route.pattern
    # The walk sees the whole API, format-suffixed variants (".json") included.
    assert any("format" in route.groups for route in routes)


def _content(response: Any) -> Any:
    """The JSON of an answer; None for one without a body; the first line of any other."""
    if not response.content:
        return None
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.json()
    return response.content.decode(errors="replace").strip().splitlines()[0][:200]


def _leaks(route: str, body: Any, ids: Ids) -> list[str]:
    """City B's identifiers in the answer of list ``route``."""
    text = json.dumps(body)
    found = [word for word in (CITY_B_CODE, CITY_B_NAME) if word in text]
    own_id = {
        "participation-list": ids.participation,
        "report-list": ids.report,
        "result-list": ids.result,
        "expenditure-list": ids.expenditure,
        "evidence-list": ids.evidence,
        "self_evaluation-list": ids.self_evaluation,
    }[route]
    for item in body["results"]:
        if item["id"] == own_id:
            found.append(f"city B's {route.split('-')[0]} {own_id}")
        if item.get("participation") == ids.participation:
            found.append(f"city B's participation {ids.participation}")
    return found


def _evidence_of_city_a(official: Any) -> None:
    """A file of evidence on one of city A's reports: its official's own list is not empty."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from evaluation.models import Evidence, Report

    report = Report.objects.filter(participation__officials__user=official).order_by("pk").first()
    assert report is not None
    evidence = Evidence(
        report=report,
        name="合同.pdf",
        kind="pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=official,
        uploaded_at=timezone.now(),
    )
    evidence.file.save("contract.pdf", ContentFile(b"%PDF-1.4 "), save=False)
    evidence.save()


def test_an_official_reaches_nothing_of_another_city_on_any_route(story: Story, official_a):
    """Every route and method, with city B's ids, as city A's official."""
    _evidence_of_city_a(official_a)
    before = database_state()
    problems, walked = walk(walking(client_for(official_a)), story.city_b_ids, own_rows=True)
    problems += [f"changed: {table}" for table in changed_tables(before, database_state())]
    assert not problems, "\n".join(problems)
    assert walked == set(ROUTES)
    # City B's report is still as its official left it: submitted, version 3, value 4.
    report_b = Report.objects.get(pk=story.city_b_ids.report)
    assert (report_b.status, report_b.version) == (Report.Status.SUBMITTED, 3)
    assert MetricValue.objects.get(report=report_b, indicator__code="pledge_projects").value == 4


@pytest.fixture
def experts(story: Story, city_a) -> dict[str, Any]:
    """Two experts who do not score city B: one on city A's panel, one on the panel of another
    programme; and one who does, for the walk to see a leak."""
    from evaluation.models import Programme
    from evaluation.services.panel import expert_assign
    from evaluation.services.people import role_grant
    from tests.factories import ParticipationFactory, UserFactory

    elsewhere = ParticipationFactory(programme=Programme.objects.get(code="2019"))
    made = {}
    for name, participation in (("city_a_panel", city_a), ("other_panel", elsewhere)):
        user = UserFactory(username=f"expert_{name}")
        role_grant(user=user, role="expert", by=None)
        expert_assign(expert=user, participation=participation, by=None)
        made[name] = user
    return made


@pytest.mark.parametrize("who", ["city_a_panel", "other_panel"])
def test_an_expert_reaches_nothing_of_a_city_they_do_not_score_on_any_route(
    story: Story, experts, who
):
    """Experts score on their own pages; the API shows them the catalogue and nothing of any
    city: city B's objects are as unknown to them as to another city's official."""
    before = database_state()
    problems, walked = walk(walking(client_for(experts[who])), story.city_b_ids, own_rows=False)
    problems += [f"changed: {table}" for table in changed_tables(before, database_state())]
    assert not problems, "\n".join(problems)
    assert walked == set(ROUTES)


def test_a_provincial_reviewer_reaches_nothing_of_a_city_outside_its_province(
    story: Story, programme
):
    """A reviewer of Guangdong (city A's province), in a programme with the provincial review:
    city B (Beijing) is as unknown to them as to city A's official, its self-evaluation and
    its report's province steps included; nothing changes."""
    from evaluation.services.people import province_bind
    from tests.factories import UserFactory
    from tests.self_evaluations import provincial

    provincial(programme)
    guangdong = UserFactory(username="guangdong.reviewer")
    province_bind(user=guangdong, province="44")
    before = database_state()
    problems, walked = walk(walking(client_for(guangdong)), story.city_b_ids, own_rows=False)
    problems += [f"changed: {table}" for table in changed_tables(before, database_state())]
    assert not problems, "\n".join(problems)
    assert walked == set(ROUTES)
    # Its own province's city is there: the walk's lists are not empty for nothing.
    own = client_for(guangdong).get(reverse("self_evaluation-list")).json()["results"]
    assert [item["city"] for item in own] == ["440300"]


def walk(api_a: Any, ids: Ids, *, own_rows: bool) -> tuple[list[str], set[str]]:
    """Every route and method with ``ids`` (another city's), what ``api_a`` got wrong, and
    the routes walked. ``own_rows``: the caller has rows of their own in the lists."""
    problems: list[str] = []
    walked: set[str] = set()

    for route in api_routes():
        for kwargs, missing_kwargs in zip(
            url_kwargs(route, ids), url_kwargs(route, MISSING), strict=True
        ):
            url = reverse(route.name, kwargs=kwargs)
            missing_url = reverse(route.name, kwargs=missing_kwargs)
            for method, rule in ROUTES[route.name].items():
                for sent in (method, "head") if method == "get" else (method,):
                    walked.add(route.name)
                    where = f"{sent.upper()} {url} ({route.name}, {rule})"
                    body, fmt = request_body(route.name, method, ids, CITY_B_CODE)
                    response = send(api_a, sent, url, body, fmt)
                    status = response.status_code
                    content = _content(response)
                    if rule == CATALOGUE and status != 200:
                        problems.append(f"{where}: {status}, expected 200")
                    elif rule == CATALOGUE and CITY_B_CODE in json.dumps(content):
                        problems.append(f"{where}: shows city B")
                    elif rule == OWN_LIST:
                        if status != 200:
                            problems.append(f"{where}: {status}, expected 200")
                        elif content is not None and _leaks(route.name, content, ids):
                            problems.append(f"{where}: shows {_leaks(route.name, content, ids)}")
                        elif content is not None and own_rows and not content["results"]:
                            problems.append(f"{where}: city A's own rows are missing")
                    elif rule == HIDDEN:
                        body, fmt = request_body(route.name, method, MISSING, CITY_B_CODE)
                        unknown = send(api_a, sent, missing_url, body, fmt)
                        if status != 404:
                            problems.append(f"{where}: {status}, expected 404: {content}")
                        elif response.content != unknown.content:
                            problems.append(
                                f"{where}: answers {response.content!r}, but "
                                f"{unknown.content!r} for an object that does not exist"
                            )
                    elif rule == REVIEWERS_ONLY and status not in (403, 404):
                        problems.append(f"{where}: {status}, expected 403 or 404: {content}")
                    elif rule == LOGIN and status != 400:
                        problems.append(f"{where}: {status}, expected 400 (wrong password)")
                    elif rule == SELF and status not in (200, 204):
                        problems.append(f"{where}: {status}, expected 200 or 204")
                    elif rule == SELF and CITY_B_CODE in json.dumps(content):
                        problems.append(f"{where}: shows city B")

            # OPTIONS describes a route; it must not tell city B's objects from missing ones.
            options = send(api_a, "options", url, None, "json")
            unknown = send(api_a, "options", missing_url, None, "json")
            if options.status_code >= 500 or CITY_B_CODE in options.content.decode():
                problems.append(f"OPTIONS {url}: {options.status_code} {options.content!r}")
            elif (options.status_code, options.content) != (unknown.status_code, unknown.content):
                problems.append(f"OPTIONS {url}: answers differently than for a missing object")

            # Methods the route does not offer are refused without touching anything.
            for method in sorted(set(WRITE_METHODS) - set(ROUTES[route.name])):
                response = send(api_a, method, url, {}, "json")
                if response.status_code != 405:
                    problems.append(f"{method.upper()} {url}: {response.status_code}, not 405")
    return problems, walked


@pytest.mark.parametrize(
    ("method", "action", "body"),
    [
        ("get", "periods", None),
        ("put", "values", {"version": 2, "values": {"pledge_projects": "5"}}),
        ("post", "submit", {}),
    ],
)
def test_a_format_suffix_on_an_action_is_answered_not_a_server_error(
    story: Story, official_a, method: str, action: str, body: Any
):
    """The router serves every route with a ".json" suffix too; on the official's own
    objects it must work (or be refused), never fail."""
    api_a = walking(client_for(official_a))
    on = "participations" if action == "periods" else "reports"
    pk = story.city_a_report.participation_id if on == "participations" else story.city_a_report.pk
    response = send(api_a, method, f"/api/v1/{on}/{pk}/{action}.json", body, "json")
    assert response.status_code in (200, 404), _content(response)


@pytest.mark.parametrize(
    ("route", "query"),
    [
        ("participation-list", "city=110105"),
        ("participation-list", "programme=2020"),
        ("report-list", "city=110105"),
        ("report-list", "year=2022"),
        ("report-list", "status=submitted"),
        ("result-list", "run={run}"),
    ],
)
def test_filtering_a_list_on_another_city_finds_nothing_of_it(
    story: Story, api_a, route: str, query: str
):
    ids = story.city_b_ids
    response = api_a.get(
        reverse(route) + "?" + query.format(participation=ids.participation, run=ids.run)
    )
    assert response.status_code == 200
    assert _leaks(route, response.json(), ids) == []


def test_filtering_on_another_citys_participation_is_refused_as_for_a_missing_one(
    story: Story, api_a
):
    """A filter's choices are the caller's own: city B's participation is as unknown as one
    that does not exist (the same 400), so ids cannot be probed."""
    other = api_a.get(reverse("report-list"), {"participation": story.city_b_ids.participation})
    missing = api_a.get(reverse("report-list"), {"participation": MISSING.participation})

    assert (other.status_code, missing.status_code) == (400, 400)
    assert other.json()["errors"][0]["field"] == "participation"
    assert other.content.replace(
        str(story.city_b_ids.participation).encode(), b"N"
    ) == missing.content.replace(str(MISSING.participation).encode(), b"N")


def test_the_walk_would_see_a_leak(story: Story, api_reviewer):
    """The checks above can fail: a reviewer, who may see city B, is caught by them."""
    ids = story.city_b_ids
    listed = api_reviewer.get(reverse("report-list")).json()
    assert _leaks("report-list", listed, ids) == [
        CITY_B_CODE,
        f"city B's report {ids.report}",
        f"city B's participation {ids.participation}",
    ]
    detail = api_reviewer.get(reverse("report-detail", kwargs={"pk": ids.report}))
    assert detail.status_code == 200
    assert detail.json()["city"] == CITY_B_CODE


def test_anonymous_callers_get_nowhere_on_any_route(story: Story, api_anonymous):
    ids = story.city_b_ids
    api_anonymous = walking(api_anonymous)
    before = database_state()
    problems: list[str] = []
    for route in api_routes():
        for kwargs in url_kwargs(route, ids):
            url = reverse(route.name, kwargs=kwargs)
            for method, rule in ROUTES[route.name].items():
                body, fmt = request_body(route.name, method, ids, CITY_B_CODE)
                status = send(api_anonymous, method, url, body, fmt).status_code
                expected = {400} if rule == LOGIN else {401, 403}
                if status not in expected:
                    problems.append(f"{method.upper()} {url}: {status}, expected {expected}")
            for method in [*WRITE_METHODS, "options"]:
                if method in ROUTES[route.name] or route.name == "token":
                    continue
                status = send(api_anonymous, method, url, {}, "json").status_code
                if status not in (401, 403):
                    problems.append(f"{method.upper()} {url}: {status}, expected 401 or 403")
    problems += [f"changed: {table}" for table in changed_tables(before, database_state())]
    assert not problems, "\n".join(problems)


def test_a_token_is_only_given_for_the_right_password(story: Story, api_anonymous, official_b):
    official_b.set_password("chaoyang-2020")
    official_b.save()
    before = database_state()
    refused = api_anonymous.post(
        reverse("token"), {"username": "official_b", "password": "guess"}, format="json"
    )
    assert refused.status_code == 400
    assert "token" not in refused.json()
    assert changed_tables(before, database_state()) == []

    given = api_anonymous.post(
        reverse("token"), {"username": "official_b", "password": "chaoyang-2020"}, format="json"
    )
    assert given.status_code == 200
    assert given.json()["token"]


def test_the_schema_and_docs_show_no_city_data(story: Story, api_anonymous):
    for name in ("schema", "docs", "redoc"):
        response = api_anonymous.get(reverse(name))
        assert response.status_code in (200, 401, 403), name
        assert CITY_B_CODE.encode() not in response.content, name
