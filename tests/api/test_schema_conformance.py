"""What the schema promises is what the API sends: real answers of every operation of the
OpenAPI document, successes and refusals alike, validated against the document with
schemathesis. Every operation of the document must be exercised, so a new endpoint fails here
until it is."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
import yaml
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from schemathesis.core.transport import Response

from evaluation.api.throttles import AuthThrottle
from evaluation.models import CityResult, EvaluationRun, TrancheDecision
from evaluation.services import tokens
from tests.api.conformance_parts import exercise_parts
from tests.api.conformance_review import exercise_review
from tests.api.conftest import client_for
from tests.conftest import csv_bytes

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def document(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def operations(document: dict) -> set[tuple[str, str]]:
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in methods
    }


def as_schemathesis(response: Any, method: str, url: str) -> Response:
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    request = requests.Request(method.upper(), "http://testserver" + url).prepare()
    return Response(
        status_code=response.status_code,
        headers=headers,
        content=response.content,
        request=request,
        elapsed=0.0,
        verify=False,
    )


class Conformance:
    """Sends requests and checks each answer against the operation the document gives it."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.schema = schemathesis.openapi.from_dict(document)
        self.seen: dict[tuple[str, str], set[int]] = {}

    def __call__(
        self,
        client: APIClient,
        method: str,
        path: str,
        expected: int,
        url: str | None = None,
        data: Any = None,
        fmt: str = "json",
        **extra: Any,
    ) -> Any:
        url = url or path
        if method == "get":
            response = client.get(url, data, **extra)
        else:
            response = getattr(client, method)(url, data, format=fmt, **extra)
        where = f"{method.upper()} {url}"
        assert response.status_code == expected, (where, response.content[:500])
        documented = self.document["paths"][path][method]["responses"]
        assert str(response.status_code) in documented, (
            f"{where}: {response.status_code} undocumented"
        )
        self.schema[path][method.upper()].validate_response(as_schemathesis(response, method, url))
        self.seen.setdefault((method, path), set()).add(response.status_code)
        return response


def test_every_operation_answers_as_the_schema_says(
    document, world, official_a, reviewer, second_reviewer, monkeypatch
):
    check = Conformance(document)
    a, b = world.city_a, world.city_b
    official = world.api_a
    other_official = world.api_b
    api = world.api_reviewer
    signer = client_for(second_reviewer)
    anonymous = APIClient()
    result_a = CityResult.objects.get(run=world.run, participation=a)
    signed = TrancheDecision.objects.get(city_result__run=world.run, city_result__participation=b)
    draft = world.reports_a["2022-03"]
    submitted = world.reports_a["2022-04"]

    # Catalogue.
    check(official, "get", "/api/v1/programmes/", 200)
    check(official, "get", "/api/v1/programmes/{code}/", 200, "/api/v1/programmes/2020/")
    check(official, "get", "/api/v1/programmes/{code}/", 404, "/api/v1/programmes/1999/")
    check(official, "get", "/api/v1/programmes/", 400, data={"colour": "red"})
    check(anonymous, "get", "/api/v1/programmes/", 401)
    check(official, "get", "/api/v1/indicators/", 200)
    check(official, "get", "/api/v1/indicators/{code}/", 200, "/api/v1/indicators/pledge_amount/")

    # Participations and their periods.
    check(official, "get", "/api/v1/participations/", 200)
    check(official, "get", "/api/v1/participations/", 404, data={"page": 9})
    own = f"/api/v1/participations/{a.pk}/"
    check(official, "get", "/api/v1/participations/{id}/", 200, own)
    check(official, "get", "/api/v1/participations/{id}/", 404, f"/api/v1/participations/{b.pk}/")
    periods = check(official, "get", "/api/v1/participations/{id}/periods/", 200, own + "periods/")
    assert isinstance(periods.json(), list) and periods.json()
    upload = "/api/v1/participations/{id}/upload/"
    metrics = csv_bytes("city_code,period,indicator,value", "440300,2022-03,pledge_projects,9")
    check(
        official,
        "post",
        upload,
        200,
        own + "upload/",
        {"file": SimpleUploadedFile("m.csv", metrics, content_type="text/csv")},
        "multipart",
    )
    bad = csv_bytes("city_code,period,indicator,value", "440300,2022-03,pledge_projects,-1")
    check(
        official,
        "post",
        upload,
        400,
        own + "upload/",
        {"file": SimpleUploadedFile("m.csv", bad, content_type="text/csv")},
        "multipart",
    )
    # A file named in JSON, as a client generated from a "format: uri" field would send it.
    check(official, "post", upload, 415, own + "upload/", {"file": "metrics.csv"})
    check(other_official, "post", upload, 404, own + "upload/", {}, "multipart")

    # Reports and their workflow.
    check(official, "get", "/api/v1/reports/", 200)
    check(official, "get", "/api/v1/reports/", 400, data={"participation": b.pk})
    check(
        official, "post", "/api/v1/reports/", 201, data={"participation": a.pk, "period": "2022-05"}
    )
    check(official, "post", "/api/v1/reports/", 400, data={"participation": a.pk, "period": "May"})
    check(
        official, "post", "/api/v1/reports/", 404, data={"participation": b.pk, "period": "2022-05"}
    )
    detail = "/api/v1/reports/{id}/"
    check(official, "get", detail, 200, f"/api/v1/reports/{draft.pk}/")
    check(other_official, "get", detail, 404, f"/api/v1/reports/{draft.pk}/")
    values = f"/api/v1/reports/{draft.pk}/values/"
    draft.refresh_from_db()
    check(
        official,
        "put",
        detail + "values/",
        200,
        values,
        {"version": draft.version, "values": {"pledge_projects": "8"}},
    )
    check(
        official,
        "put",
        detail + "values/",
        409,
        values,
        {"version": 1, "values": {"pledge_projects": "5"}},
    )
    check(official, "put", detail + "values/", 400, values, {"values": {}})
    check(official, "post", detail + "submit/", 200, f"/api/v1/reports/{draft.pk}/submit/", {})
    check(official, "post", detail + "approve/", 403, f"/api/v1/reports/{draft.pk}/approve/")
    check(
        api, "post", detail + "return/", 400, f"/api/v1/reports/{draft.pk}/return/", {"comment": ""}
    )
    check(
        api,
        "post",
        detail + "return/",
        200,
        f"/api/v1/reports/{draft.pk}/return/",
        {"comment": "March?"},
    )
    check(api, "post", detail + "approve/", 200, f"/api/v1/reports/{submitted.pk}/approve/")
    check(
        official,
        "put",
        detail + "values/",
        409,
        f"/api/v1/reports/{submitted.pk}/values/",
        {"version": 99, "values": {"pledge_projects": "1"}},
    )
    check(
        api,
        "post",
        detail + "reopen/",
        200,
        f"/api/v1/reports/{submitted.pk}/reopen/",
        {"reason": "typo"},
    )

    # Runs: reviewers only; one from the command line has no one who triggered it.
    check(api, "get", "/api/v1/runs/", 200)
    check(official, "get", "/api/v1/runs/", 403)
    check(api, "get", "/api/v1/runs/{id}/", 200, f"/api/v1/runs/{world.command_run.pk}/")
    check(api, "get", "/api/v1/runs/{id}/", 404, "/api/v1/runs/987654/")
    check(api, "post", "/api/v1/runs/", 202, data={"programme": "2020", "kind": "provisional"})
    check(api, "post", "/api/v1/runs/", 404, data={"programme": "1999"})
    check(api, "post", "/api/v1/runs/", 400, data={})

    # Results and decisions, signed off and not.
    check(official, "get", "/api/v1/results/", 200)
    check(official, "get", "/api/v1/results/", 200, data={"run": world.nightly.pk})
    check(api, "get", "/api/v1/results/{id}/", 200, f"/api/v1/results/{result_a.pk}/")
    check(other_official, "get", "/api/v1/results/{id}/", 404, f"/api/v1/results/{result_a.pk}/")
    listed = check(api, "get", "/api/v1/decisions/", 200).json()["results"]
    assert {d["decided_by"] for d in listed} >= {None, "second_reviewer"}
    check(api, "get", "/api/v1/decisions/{id}/", 200, f"/api/v1/decisions/{signed.pk}/")
    confirm = "/api/v1/decisions/{id}/confirm/"
    check(signer, "post", confirm, 200, f"/api/v1/decisions/{result_a.decision.pk}/confirm/")
    check(signer, "post", confirm, 409, f"/api/v1/decisions/{signed.pk}/confirm/")
    check(official, "post", confirm, 403, f"/api/v1/decisions/{signed.pk}/confirm/")
    later = TrancheDecision.objects.filter(city_result__run=world.command_run).first()
    override = "/api/v1/decisions/{id}/override/"
    check(signer, "post", override, 400, f"/api/v1/decisions/{later.pk}/override/", {"reason": "x"})
    check(
        signer,
        "post",
        override,
        200,
        f"/api/v1/decisions/{later.pk}/override/",
        {"amount": "1.00", "reason": "a second look"},
    )

    # The audit trail.
    audit = "/api/v1/audit/{model}/{id}/"
    check(api, "get", audit, 200, f"/api/v1/audit/report/{submitted.pk}/")
    check(api, "get", audit, 404, "/api/v1/audit/report/987654/")
    check(official, "get", audit, 403, f"/api/v1/audit/report/{submitted.pk}/")

    # Tokens: obtained, listed, revoked, signed out of; the token request throttled.
    official_a.set_password(PASSWORD)
    official_a.save()
    cache.clear()
    given = check(
        anonymous,
        "post",
        "/api/v1/auth/token/",
        200,
        data={"username": "official_a", "password": PASSWORD},
    ).json()
    check(anonymous, "post", "/api/v1/auth/token/", 400, data={"username": "official_a"})
    holder = APIClient()
    holder.credentials(HTTP_AUTHORIZATION=f"Token {given['token']}")
    check(holder, "get", "/api/v1/auth/tokens/", 200)
    spare, _ = tokens.token_issue(user=official_a)
    revoke = "/api/v1/auth/tokens/{token_key}/"
    check(holder, "delete", revoke, 204, f"/api/v1/auth/tokens/{spare.token_key}/")
    check(holder, "delete", revoke, 404, f"/api/v1/auth/tokens/{spare.token_key}/")
    check(holder, "post", "/api/v1/auth/sign-out/", 204)
    check(holder, "get", "/api/v1/auth/tokens/", 401)
    monkeypatch.setattr(AuthThrottle, "rate", "1/min", raising=False)
    cache.clear()
    check(anonymous, "post", "/api/v1/auth/token/", 400, data={"username": "x", "password": "y"})
    check(anonymous, "post", "/api/v1/auth/token/", 429, data={"username": "x", "password": "y"})

    # Restarting: only a failed run, only by a reviewer.
    restart = "/api/v1/runs/{id}/restart/"
    run_url = f"/api/v1/runs/{world.command_run.pk}/restart/"
    check(api, "post", restart, 409, run_url)
    check(official, "post", restart, 403, run_url)
    check(api, "post", restart, 404, "/api/v1/runs/987654/restart/")
    EvaluationRun.objects.filter(pk=world.command_run.pk).update(
        status=EvaluationRun.Status.FAILED, error="a worker was lost"
    )
    check(api, "post", restart, 200, run_url)

    # The optional parts: a city's money, plan and tasks; its expenditure and their review.
    exercise_parts(check, city=a, official=official, reviewer=api, other=other_official)

    # The report's conversation, its changes and single values returned; its evidence.
    talk = f"/api/v1/reports/{draft.pk}/comments/"
    check(official, "get", detail + "comments/", 200, talk)
    check(api, "post", detail + "comments/", 201, talk, {"text": "请核对三月"})
    check(other_official, "get", detail + "comments/", 404, talk)
    check(api, "get", detail + "changes/", 200, f"/api/v1/reports/{draft.pk}/changes/")
    check(
        official,
        "post",
        detail + "return-values/",
        403,
        f"/api/v1/reports/{draft.pk}/return-values/",
        {"reasons": {"pledge_projects": "三月？"}},
    )
    files = "/api/v1/evidence/"
    pdf = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 a contract", content_type="application/pdf")
    made = check(
        official, "post", files, 201, data={"report": draft.pk, "file": pdf}, fmt="multipart"
    )
    one = f"{files}{made.json()['id']}/"
    check(official, "get", files, 200)
    check(official, "get", files + "{id}/", 200, one)
    check(other_official, "get", files + "{id}/download/", 404, one + "download/")
    check(official, "delete", files + "{id}/", 200, one)

    # The self-evaluations and the province's review (the programme's provincial review on).
    exercise_review(
        check,
        city=a,
        official_user=official_a,
        official=official,
        reviewer=api,
        other=other_official,
    )

    assert set(check.seen) == operations(document)


def component(document: dict, ref: str) -> dict:
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_every_refusal_is_documented_in_the_one_error_shape(document):
    error_refs = set()
    for method, path in operations(document):
        responses = document["paths"][path][method]["responses"]
        refusals = {code for code in responses if code.startswith("4")}
        if path != "/api/v1/auth/token/":
            assert {"401", "403"} <= refusals, (method, path)
        if method != "get":
            assert "429" in refusals, (method, path)
        for code in refusals:
            error_refs.add(responses[code]["content"]["application/json"]["schema"]["$ref"])
    [error] = error_refs
    item = component(document, component(document, error)["properties"]["errors"]["items"]["$ref"])
    assert component(document, error)["required"] == ["errors"]
    assert set(item["properties"]) == {"field", "line", "column", "code", "reason"}
    assert item["required"] == ["code", "reason"]
    paths = document["paths"]
    assert "409" in paths["/api/v1/reports/{id}/values/"]["put"]["responses"]
    assert "409" in paths["/api/v1/decisions/{id}/confirm/"]["post"]["responses"]


def test_the_schema_says_who_signed_and_who_triggered_may_be_null(document):
    decision = document["components"]["schemas"]["Decision"]["properties"]
    run = document["components"]["schemas"]["Run"]["properties"]

    assert decision["decided_by"]["nullable"] is True
    assert run["triggered_by"]["nullable"] is True


def test_the_periods_of_a_city_are_documented_as_the_bare_list_they_are(document):
    periods = document["paths"]["/api/v1/participations/{id}/periods/"]["get"]
    schema = periods["responses"]["200"]["content"]["application/json"]["schema"]

    assert schema["type"] == "array"
    assert [p["name"] for p in periods["parameters"]] == ["id"]


def test_the_upload_is_documented_as_a_binary_multipart_field(document):
    body = document["paths"]["/api/v1/participations/{id}/upload/"]["post"]["requestBody"]

    assert set(body["content"]) == {"multipart/form-data"}
    upload = component(document, body["content"]["multipart/form-data"]["schema"]["$ref"])
    assert upload["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": "metrics CSV or XLSX, as in interfaces.md",
    }


def test_a_url_no_route_matches_is_refused_in_the_error_shape_under_the_api(api_a, client):
    unrouted = api_a.get("/api/v1/audit/report/March/")
    elsewhere = client.get("/no-such-page/")

    assert unrouted.status_code == 404
    assert unrouted.json() == {
        "errors": [{"field": None, "code": "not_found", "reason": "Not found."}]
    }
    assert elsewhere.status_code == 404
    assert elsewhere["Content-Type"].startswith("text/html")
