"""No way around the services through the admin. As a reviewer and as an administrator, every
admin URL of every registered model (list, add, change, delete, history, the old revert form
at ``history/<version>/``, every custom page) is opened and sent POSTs (empty, the form as
shown, the form with its values changed), and every action is run on every object. A digest
of every protected row (reports, values, runs, results, decisions and sign-offs, the rulesets
in use with their rules and bands) proves that nothing but an action changed any of them; and
the ledger holds after every request (every record as its last entry says), so what an action
or a ruleset's next version changed is a service's doing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import URLPattern

from evaluation.ledger import ledger_check
from tests.admin.conftest import form_data, logged_in
from tests.story import Story, tell

pytestmark = pytest.mark.django_db

PROTECTED = {
    "evaluation_report": "",
    "evaluation_metricvalue": "",
    "evaluation_evaluationrun": "",
    "evaluation_cityresult": "",
    "evaluation_indicatorresult": "",
    "evaluation_tranchedecision": "",
    "evaluation_ruleset": "WHERE frozen_at IS NOT NULL",
    "evaluation_indicatorrule": "WHERE ruleset_id IN "
    "(SELECT id FROM evaluation_ruleset WHERE frozen_at IS NOT NULL)",
    "evaluation_gradeband": "WHERE ruleset_id IN "
    "(SELECT id FROM evaluation_ruleset WHERE frozen_at IS NOT NULL)",
}
# django-simple-history's revert form, object and version.
REVERT = "^([^/]+)/history/([^/]+)/$"
OBJECTS_PER_MODEL = 3
VERSIONS_PER_OBJECT = 2


def protected_digest() -> str:
    """Every column of every protected row, in one digest."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for table, where in PROTECTED.items():
            cursor.execute(f"SELECT * FROM {table} {where} ORDER BY 1")
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
    return digest.hexdigest()


@pytest.fixture
def story(programme, django_capture_on_commit_callbacks) -> Story:
    return tell(programme, django_capture_on_commit_callbacks)


def _changed(data: dict[str, Any]) -> dict[str, Any]:
    """The form's values, each changed to another plausible one."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(value, str) or key.endswith(("TOTAL_FORMS", "INITIAL_FORMS")):
            out[key] = value
        elif key.endswith("status"):
            out[key] = "approved" if value != "approved" else "draft"
        else:
            try:
                out[key] = str(Decimal(value) + 1)
            except InvalidOperation:
                out[key] = value + " (walked)"
    return out


def _payloads(client: Client, url: str) -> Iterator[dict[str, Any]]:
    yield {}
    shown = client.get(url)
    if shown.status_code == 200 and shown.context and "adminform" in shown.context:
        data = form_data(shown)
        yield data
        yield _changed(data)
        yield {**_changed(data), "status": "confirmed", "final_amount": "0", "_save": "Save"}


def _fill(route: str, pk: Any) -> list[str]:
    """The concrete URLs of a model admin's route for object ``pk``."""
    route = route.replace("<path:object_id>", str(pk)).replace("<id>", str(pk))
    # A report's evidence file by its number (one of the story's, or none: the same refusal).
    route = route.replace("<int:evidence_id>", "1")
    routes = [route.replace("<str:step>", step) for step in ("approve", "return", "reopen")]
    for filled in routes:
        if "<" in filled:
            raise AssertionError(f"the walk does not know how to fill {filled!r}")
    return sorted(set(routes))


def _routes(model_admin: admin.ModelAdmin) -> list[str]:
    routes = []
    for pattern in model_admin.get_urls():
        assert isinstance(pattern, URLPattern), pattern
        route = str(pattern.pattern)
        if route == REVERT:
            continue  # walked with each object's versions (``_urls``)
        if route.startswith("^"):
            raise AssertionError(
                f"a regular-expression admin URL: {route!r} (django-simple-history's?)"
            )
        routes.append(route)
    return routes


def _sample(pks: list[Any]) -> list[Any]:
    """The first objects and the last (in the story, the last is the newest state: an approved
    report, a provisional run's decision, a ruleset's next version)."""
    return sorted(set(pks[: OBJECTS_PER_MODEL - 1] + pks[-1:]))


def _kind(url: str) -> str:
    """A report's review steps are its services' way in, like the list's actions."""
    if url.endswith("/delete/"):
        return "delete"
    return "service" if "/review/" in url else "page"


def _urls(story: Story) -> Iterator[tuple[str, str]]:
    """(kind, URL): every admin URL of every registered model, filled with its objects, and
    the revert form of each object's older versions."""
    for model, model_admin in admin.site._registry.items():
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pks = _sample(list(model._default_manager.order_by("pk").values_list("pk", flat=True)))
        for route in _routes(model_admin):
            if "<" not in route:
                yield "page", base + route
                continue
            for pk in pks:
                for url in _fill(route, pk):
                    yield _kind(url), base + url
        history = getattr(model, "history", None)
        if history is not None:
            for pk in pks:
                for version in history.filter(id=pk).values_list("history_id", flat=True)[
                    :VERSIONS_PER_OBJECT
                ]:
                    yield "page", f"{base}{pk}/history/{version}/"
    for url in (
        "/admin/",
        "/admin/evaluation/",
        f"/admin/reports/runs/compare/?runs={story.run.pk}&runs={story.provisional.pk}",
        "/admin/evaluation/metricvalue/export/metrics/csv/",
    ):
        yield "page", url


def _post(client: Client, url: str, data: dict[str, Any]) -> int:
    try:
        return client.post(url, data).status_code
    except Exception as exc:  # a 500: say where
        raise AssertionError(f"POST {url} {sorted(data)} raised {exc!r}") from exc


def _actions(client: Client, story: Story) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every action of every model's list, on all of its objects, with the reason or amount
    it asks for."""
    request = client.get("/admin/").wsgi_request
    for model, model_admin in admin.site._registry.items():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pks = list(model._default_manager.values_list("pk", flat=True))
        if not pks:
            continue
        for name in model_admin.get_actions(request):
            for selected in ([pks[0]], pks):
                yield (
                    url,
                    {
                        "action": name,
                        "_selected_action": selected,
                        "apply": "Apply",
                        "text": "walked through the admin",
                        "amount": "0.00",
                        "reason": "walked through the admin",
                        "sign_off": "all",
                    },
                )


@pytest.mark.parametrize("who", ["reviewer", "administrator"])
def test_no_admin_url_changes_a_protected_record_except_through_its_service(story, who):
    client = logged_in(getattr(story, who))
    assert ledger_check().holds

    urls = list(_urls(story))
    reverts = [url for kind, url in urls if re.search(r"/history/\d+/$", url)]
    assert reverts, "the story has versions to revert to"
    for kind, url in urls:
        if kind != "page":
            continue
        before = protected_digest()
        client.get(url)
        for payload in _payloads(client, url):
            _post(client, url, payload)
        assert protected_digest() == before, f"POST {url} changed a protected record"
        assert ledger_check().holds, f"POST {url} wrote around the services"

    steps = [(url, {"apply": "Apply", "text": "walked"}) for kind, url in urls if kind == "service"]
    for url, data in [*_actions(client, story), *steps]:
        _post(client, url, data)
        check = ledger_check()
        assert check.holds, (url, data.get("action"), [str(f) for f in check.findings])

    for kind, url in urls:
        if kind != "delete":
            continue
        before = protected_digest()
        _post(client, url, {"post": "yes"})
        assert protected_digest() == before, f"POST {url} deleted a protected record"
    assert ledger_check().holds


def test_a_version_cannot_be_reverted_or_even_shown_as_a_form(story, admin_client):
    decision = story.overridden
    version = decision.history.order_by("history_id").values_list("history_id", flat=True)[0]
    url = f"/admin/evaluation/tranchedecision/{decision.pk}/history/{version}/"

    for response in (
        admin_client.get(url, follow=True),
        admin_client.post(url, {"status": "recommended", "_save": "Save"}, follow=True),
    ):
        # Django's catch-all sends the unknown address to the list, saying no such object.
        assert response.redirect_chain[-1][0] == "/admin/"
        assert "adminform" not in response.context
    decision.refresh_from_db()
    assert decision.status == "overridden" and decision.final_amount == Decimal("10000000.00")


def test_no_module_outside_the_tests_uses_simple_historys_admin():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    users = [
        str(path.relative_to(root))
        for directory in ("evaluation", "cities", "reports", "config")
        for path in (root / directory).rglob("*.py")
        if re.search(r"SimpleHistoryAdmin|history_form_view", path.read_text())
    ]
    assert users == []
