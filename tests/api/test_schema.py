"""The OpenAPI document lists every route, and the interactive docs are served from this server
alone: no script, style sheet or font from another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlparse

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Routes every client relies on; the schema must list them whatever else is added.
CORE_ROUTES = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/audit/{model}/{id}/": {"get"},
    "/api/v1/programmes/": {"get"},
    "/api/v1/indicators/": {"get"},
    "/api/v1/participations/": {"get"},
    "/api/v1/participations/{id}/upload/": {"post"},
    "/api/v1/reports/": {"get", "post"},
    "/api/v1/reports/{id}/": {"get"},
    "/api/v1/reports/{id}/values/": {"put"},
    "/api/v1/reports/{id}/submit/": {"post"},
    "/api/v1/reports/{id}/approve/": {"post"},
    "/api/v1/reports/{id}/return/": {"post"},
    "/api/v1/reports/{id}/reopen/": {"post"},
    "/api/v1/runs/": {"get", "post"},
    "/api/v1/runs/{id}/": {"get"},
    "/api/v1/results/": {"get"},
    "/api/v1/results/{id}/": {"get"},
    "/api/v1/decisions/": {"get"},
    "/api/v1/decisions/{id}/": {"get"},
    "/api/v1/decisions/{id}/confirm/": {"post"},
    "/api/v1/decisions/{id}/override/": {"post"},
}
LOCAL_HOSTS = {"localhost", "testserver", "127.0.0.1"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_an_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"].startswith("Key-city IP operation services")


def routed() -> dict[str, set[str]]:
    """Every /api/v1/ route of the URLconf in OpenAPI's spelling ({id} for a primary key), with
    the methods its view answers; the format-suffix variants and the browsable root aside."""
    methods = ("get", "post", "put", "patch", "delete")

    def walk(patterns, prefix: str = ""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    routes: dict[str, set[str]] = {}
    for route, callback in walk(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "format" in route or route == "api/v1/":
            continue
        path = "/" + route.replace("^", "").replace("$", "")
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path).replace("{pk}", "{id}")
        actions = getattr(callback, "actions", None)
        view = callback.cls  # type: ignore[attr-defined]
        found = set(actions) if actions else set(dir(view))
        routes.setdefault(path, set()).update(found & set(methods))
    return routes


def test_the_schema_lists_every_route_and_method(schema):
    listed = {
        path: set(operations) - {"parameters"}
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
    }
    expected = routed()

    assert {path: expected.get(path) for path in CORE_ROUTES} == CORE_ROUTES
    assert listed == expected


def test_the_schema_describes_what_a_report_request_takes(schema):
    create = schema["paths"]["/api/v1/reports/"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][body.rsplit("/", 1)[-1]]
    upload = schema["paths"]["/api/v1/participations/{id}/upload/"]["post"]

    assert set(component["required"]) == {"participation", "period"}
    assert "201" in create["responses"]
    assert "multipart/form-data" in upload["requestBody"]["content"]


class References(HTMLParser):
    """Every ``src`` and ``href`` of the page, and the tag that carries it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.found.append((tag, value))


def references(html: str) -> list[tuple[str, str]]:
    parser = References()
    parser.feed(html)
    return parser.found


def is_external(url: str) -> bool:
    parsed = urlparse(url)
    return bool(parsed.netloc) and parsed.hostname not in LOCAL_HOSTS


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_reference_no_other_host(client, page):
    response = client.get(page)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    found = references(html)
    assert any(tag == "script" for tag, _ in found)
    assert [url for _, url in found if is_external(url)] == []
    # Nor in the page's own scripts and styles (fonts, CDNs).
    absolute = re.findall(r"""https?://[^\s"'<>)]+""", html)
    assert [url for url in absolute if is_external(url)] == []


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_assets_are_served_from_this_servers_static_files(client, page):
    html = client.get(page).content.decode()
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    static = [
        path for _, url in references(html) if (path := urlparse(url).path).startswith(prefix)
    ]

    assert static, f"{page} loads nothing from {prefix}"
    missing = [path for path in static if finders.find(path.removeprefix(prefix)) is None]
    assert missing == []
    assert any("drf_spectacular_sidecar" in path for path in static)
