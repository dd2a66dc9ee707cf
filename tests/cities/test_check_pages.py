"""The checkers' pages, the reviewers' spot-check pages in the admin, the scorecard's and the
API's account of what the checks found. Every route is walked with a checker, a reviewer, the
city's official, another city's official, an expert and a signed-out visitor: only the checker
reads and writes the sampled items, only reviewers draw and read the checks in the admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from evaluation.models import OfficialAssignment, SpotCheck
from evaluation.services.checks import spot_check_draw, spot_check_record
from tests.api.test_refusals_change_nothing import changed_tables, database_state
from tests.checks import checker_named, hefei, ruleset_with_checks
from tests.factories import ParticipationFactory, UserFactory
from tests.parts import expert, official_run, reviewer_named

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def evidence_kept_apart(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(programme, django_capture_on_commit_callbacks) -> dict[str, Any]:
    participation = hefei(programme)
    ruleset_with_checks(programme, deduction="2")
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=participation)
    kunming = ParticipationFactory(programme=programme, city__code="530100")
    other = UserFactory(username="zhao.lei")
    OfficialAssignment.objects.create(user=other, participation=kunming)
    reviewer, checker = reviewer_named("wang.fang"), checker_named("zhao.checker")
    check = spot_check_draw(programme=programme, share=Decimal("1"), seed="s", by=reviewer)
    item = check.items.get(
        metric_value__indicator__code="sme_transformations", metric_value__year=2021
    )
    spot_check_record(
        item=item,
        verified_value="15",
        note="contracts for 15",
        evidence=SimpleUploadedFile("contracts.pdf", b"%PDF-1.4 contracts"),
        by=checker,
    )
    run = official_run(programme, by=reviewer, capture=django_capture_on_commit_callbacks)
    clients: dict[str, Client] = {"signed out": Client()}
    for who, user in (
        ("checker", checker),
        ("reviewer", reviewer),
        ("the city's official", official),
        ("another city's official", other),
        ("an expert", expert("sun.expert", kunming)),
    ):
        clients[who] = Client()
        clients[who].force_login(user)
    return {"check": check, "item": item, "run": run, "clients": clients, "checker": checker}


def _pages(world: dict[str, Any]) -> list[str]:
    item = world["item"]
    other = world["check"].items.exclude(pk=item.pk).first()
    return [
        reverse("cities:checks"),
        reverse("cities:check_item", args=[item.pk]),
        reverse("cities:check_item", args=[other.pk]),
    ]


def test_only_the_checker_reads_the_sampled_items(world):
    before = database_state()
    for who, client in world["clients"].items():
        for url in _pages(world):
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"verified_value": "1"})
                if who == "checker":
                    continue
                assert response.status_code in (302, 404), (who, method, url)
                if response.status_code == 302:
                    assert response["Location"].startswith("/?next="), (who, url)
                assert b"340100" not in response.content, (who, url)
    # The checker's POST to the item a run has read is refused (locked); the other one is
    # recorded: nothing else changed.
    changed = {table.split(":")[0] for table in changed_tables(before, database_state())}
    assert changed <= {
        "evaluation.SpotCheckItem",
        "evaluation.HistoricalSpotCheckItem",
        "evaluation.LedgerEntry",
    }


def test_the_checker_records_a_value_with_evidence_and_sees_nothing_else(world):
    client = world["clients"]["checker"]
    listing = client.get(reverse("cities:checks"))
    assert listing.status_code == 200
    assert b"Hefei (340100)" in listing.content
    other = world["check"].items.exclude(pk=world["item"].pk).first()
    url = reverse("cities:check_item", args=[other.pk])
    refused = client.post(url, {"verified_value": "-1"})
    assert refused.status_code == 400
    saved = client.post(
        url,
        {
            "verified_value": "1,000",
            "note": "registration extract",
            "evidence": SimpleUploadedFile("extract.pdf", b"%PDF-1.4 extract"),
        },
    )
    assert saved.status_code == 302
    other.refresh_from_db()
    assert (other.verified_value, other.evidence_name, other.checker) == (
        Decimal("1000.00"),
        "extract.pdf",
        world["checker"],
    )
    assert len(other.evidence_sha256) == 64
    # The value the run read is locked on its page.
    locked = client.get(reverse("cities:check_item", args=[world["item"].pk]))
    assert b'id="locked"' in locked.content and b'id="verify"' not in locked.content
    # No city's pages, no admin.
    participation = world["run"].city_results.get(participation__city__code="340100").participation
    assert client.get(reverse("cities:dashboard", args=[participation.pk])).status_code == 404
    assert client.get("/admin/").status_code == 302
    assert client.get(reverse("cities:home")).url == reverse("cities:checks")


def test_reviewers_draw_and_read_the_checks_in_the_admin(world, programme):
    reviewer = world["clients"]["reviewer"]
    add = reverse("admin:evaluation_spotcheck_add")
    assert reviewer.get(add).status_code == 200
    response = reviewer.post(
        add, {"programme": programme.pk, "share": "0.5", "seed": "again", "note": ""}
    )
    drawn = SpotCheck.objects.get(seed="again")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:evaluation_spotcheck_change", args=[drawn.pk])
    page = reviewer.get(response["Location"])
    assert page.status_code == 200
    found = reviewer.get(reverse("admin:evaluation_spotcheck_change", args=[world["check"].pk]))
    assert b"contracts for 15" in found.content
    evidence = reverse("admin:evaluation_spotcheckitem_evidence", args=[world["item"].pk])
    download = reviewer.get(evidence)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 contracts"
    before = database_state()
    for who in ("checker", "the city's official", "another city's official", "signed out"):
        client = world["clients"][who]
        for url in (add, evidence, reverse("admin:evaluation_spotcheck_changelist")):
            assert client.get(url).status_code == 302, (who, url)
            assert client.post(url, {"programme": programme.pk, "share": "1"}).status_code == 302
    assert changed_tables(before, database_state()) == []


def test_the_scorecard_and_the_api_show_what_the_check_did(world, settings):
    run = world["run"]
    url = reverse("reports:scorecard", args=[run.pk, "340100"])
    reviewer = world["clients"]["reviewer"]
    chinese = reviewer.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "抽查" in chinese and "8.13" in chinese
    english = reviewer.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Spot check 2021: claimed 25.00, verified 15.00: replaced" in english
    assert "\u22122.00 for a discrepancy" in english
    pdf = reviewer.get(reverse("reports:scorecard_pdf", args=[run.pk, "340100"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    result = run.city_results.get(participation__city__code="340100")
    api = reviewer.get(f"/api/v1/results/{result.pk}/").json()
    sme = next(i for i in api["indicators"] if i["indicator"] == "sme_transformations")
    assert sme["discrepancy"] is True and sme["deducted"] == "2.00"
    assert sme["spot_checks"] == [
        {"period": "2021", "claimed": "25", "verified": "15", "stands": False}
    ]
    for who in ("another city's official", "signed out"):
        assert world["clients"][who].get(url).status_code in (302, 404)
        assert world["clients"][who].get(f"/api/v1/results/{result.pk}/").status_code in (
            401,
            403,
            404,
        )
