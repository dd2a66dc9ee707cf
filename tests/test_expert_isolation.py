"""Every page and document of the portal, the expert panel, the ministry's documents and the
reports' pages in the admin's frame, walked with one city's ids (Hefei, on a ruleset with the
optional parts, with a finalised run, expenditure with its evidence file, scores and a
suspension) by an expert of another panel, an expert of the same programme who does not score
Hefei, another city's official and a signed-out visitor: none of them reads anything of Hefei,
and nothing changes. The walk reads the routes from the URL configuration, so a new page
fails here until it is given its ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from evaluation.models import OfficialAssignment, Programme
from evaluation.scoring import Period
from evaluation.services import money, panel, people, reporting, self_evaluation
from evaluation.services.monitoring import payment_suspend
from reports.models import Document
from tests.api.test_refusals_change_nothing import changed_tables, database_state
from tests.factories import ParticipationFactory, UserFactory, meet_every_target
from tests.parts import expert, finalise, official_run, reviewer_named, ruleset_with_parts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_kept_apart(settings, tmp_path):
    """Evidence files are written under MEDIA_ROOT: a temporary one here."""
    settings.MEDIA_ROOT = tmp_path / "media"


HEFEI = "合肥市"
NAMES = (HEFEI.encode(), b"Hefei", b"340100")
# Pages that show no city's data to anyone (sign-in, password pages, language switch).
PUBLIC = {
    "cities:login",
    "cities:logout",
    "cities:password_change",
    "cities:password_change_done",
    "cities:password_reset",
    "cities:password_reset_done",
    "cities:password_reset_confirm",
    "cities:password_reset_complete",
    "set_language",
    "cities:home",
    "cities:panel",
    "cities:province",
}


def pages() -> list[tuple[str, frozenset[str]]]:
    """(the route's full name, its path parameters) of every page outside the API and the
    admin's own model pages: the portal, the panel, the documents, the reports' admin pages."""
    found: list[tuple[str, frozenset[str]]] = []

    def walk(patterns: list[Any], namespace: str, prefix: str, groups: frozenset[str]) -> None:
        for entry in patterns:
            names = groups | set(entry.pattern.regex.groupindex)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, inner, prefix + str(entry.pattern), frozenset(names))
            elif isinstance(entry, URLPattern) and entry.name:
                found.append((f"{namespace}{entry.name}", frozenset(names)))

    walk(get_resolver().url_patterns, "", "", frozenset())
    return [
        (name, groups)
        for name, groups in found
        if name.startswith(("cities:", "reports:", "reports_admin:"))
    ]


@pytest.fixture
def hefei_world(programme, django_capture_on_commit_callbacks) -> dict[str, Any]:
    ruleset_with_parts(programme)
    hefei = ParticipationFactory(
        programme=programme, city__code="340100", city__name_en="Hefei", city__name_zh=HEFEI
    )
    meet_every_target(hefei.city)
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=hefei)
    panel.task_choices_set(participation=hefei, tasks=["fund"], by=official)
    scorer = expert("zhou.expert", hefei)
    panel.task_score_set(participation=hefei, task="fund", score="0.9", comment="ok", by=scorer)
    spent = money.expenditure_save(
        participation=hefei,
        period=Period.parse("2021-03"),
        amount="100",
        evidence="voucher",
        evidence_file=SimpleUploadedFile("voucher.pdf", b"%PDF-1.4 voucher"),
        by=official,
    )
    reviewer = reviewer_named("wang.fang")
    run = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    assert run.status == "succeeded", run.error
    finalise(run, by=reviewer_named("second_reviewer"))
    suspension = payment_suspend(participation=hefei, reason="behind", by=reviewer)
    document = Document.objects.create(
        run=run, kind=Document.Kind.SCORECARD, language="zh-hans", participation=hefei
    )
    # A file of evidence on one of Hefei's reports (its routes: the file, its removal, the
    # period's upload).
    from django.core.files.base import ContentFile

    from evaluation.models import Evidence, Report

    evidence_report = Report.objects.create(
        participation=hefei,
        city=hefei.city,
        year=2021,
        granularity="month",
        number=4,
        due_date="2021-05-15",
        created_by=official,
    )
    evidence = Evidence(
        report=evidence_report,
        name="合同.pdf",
        kind="pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=official,
        uploaded_at=run.created_at,
    )
    evidence.file.save("contract.pdf", ContentFile(b"%PDF-1.4 "), save=False)
    evidence.save()
    # Hefei's self-evaluation, submitted, and a report awaiting Anhui's provincial review.
    Programme.objects.filter(pk=programme.pk).update(provincial_review=True)
    programme.refresh_from_db()
    hefei.refresh_from_db()
    own = self_evaluation.self_evaluation_prepare(
        participation=hefei, as_of=programme.midterm_as_of, by=official
    )
    report = reporting.report_create(
        participation=hefei, period=Period.parse("2022-01"), by=official
    )
    return {
        "self_evaluation_id": own.pk,
        "report_id": report.pk,
        "evidence_id": evidence.pk,
        "pk": hefei.pk,
        "participation_id": hefei.pk,
        "run_id": run.pk,
        "city_code": "340100",
        "programme_id": programme.pk,
        "period": "2021-03",
        "expenditure_id": spent.pk,
        "suspension_id": suspension.pk,
        "document_id": document.pk,
        "uidb64": "MQ",
        "token": "set-password",
        "kind": "metrics",
        "fmt": "csv",
        "language": "zh-hans",
        "item_id": 1,
    }


def urls(world: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, groups in pages():
        unknown = groups - set(world)
        assert not unknown, f"{name}: no id for {unknown}"
        yield name, reverse(name, kwargs={group: world[group] for group in groups})


@pytest.fixture
def strangers(hefei_world, programme) -> dict[str, Client]:
    """Everyone who must not read Hefei: two experts (another programme's panel, and a panel
    of the same programme for another city), another city's official, nobody signed in."""
    kunming = ParticipationFactory(programme=programme, city__code="530100")
    elsewhere = ParticipationFactory(programme=Programme.objects.get(code="2019"))
    other_official = UserFactory(username="zhao.lei")
    OfficialAssignment.objects.create(user=other_official, participation=kunming)
    clients = {"signed out": Client()}
    yunnan = UserFactory(username="yunnan.reviewer")
    people.province_bind(user=yunnan, province="53")
    for who, user in (
        ("another province's reviewer", yunnan),
        ("another programme's expert", expert("wu.expert", elsewhere)),
        ("another city's expert", expert("sun.expert", kunming)),
        ("another city's official", other_official),
    ):
        clients[who] = Client()
        clients[who].force_login(user)
    return clients


def _to_sign_in(location: str) -> bool:
    """The portal's sign-in (``LOGIN_URL``: the site's root) or the admin's."""
    return location.startswith(("/?next=", "/admin/login/"))


def test_every_page_and_document_is_walked(hefei_world):
    names = {name for name, _ in urls(hefei_world)}
    assert {"cities:panel_city", "cities:money", "reports:scorecard"} <= names
    assert {"reports_admin:monitoring", "reports_admin:monitoring-suspend"} <= names
    assert {"cities:province_self_evaluation", "cities:province_report"} <= names
    assert {"cities:self_evaluation", "reports:self_evaluation_pdf"} <= names


def test_nobody_else_reads_anything_of_the_city_on_any_page(hefei_world, strangers):
    before = database_state()
    problems = []
    for who, client in strangers.items():
        for name, url in urls(hefei_world):
            if name == "cities:logout":
                continue  # it would end the walker's session
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"reason": "x", "score-fund": "0.1"})
                status = response.status_code
                body = b"" if response.streaming else response.content
                # The page's own address (the language switch's "next") is what the visitor
                # typed, not something the page reveals.
                body = body.replace(url.encode(), b"")
                if name in PUBLIC:
                    if any(word in body for word in NAMES):
                        problems.append(f"{who} {method} {url}: shows Hefei")
                    continue
                allowed = {302, 403, 404, 405}
                if status not in allowed:
                    problems.append(f"{who} {method} {url} ({name}): {status}")
                elif status == 302 and not _to_sign_in(response["Location"]):
                    problems.append(f"{who} {method} {url}: sent to {response['Location']}")
                elif any(word in body for word in NAMES):
                    problems.append(f"{who} {method} {url}: shows Hefei")
    problems += [f"changed: {table}" for table in changed_tables(before, database_state())]
    assert problems == []


def test_the_walk_would_see_a_leak(hefei_world):
    """The city's own expert does read its page: the checks above can fail."""
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.get(username="zhou.expert"))
    response = client.get(reverse("cities:panel_city", kwargs={"pk": hefei_world["pk"]}))
    assert response.status_code == 200 and b"Hefei" in response.content
