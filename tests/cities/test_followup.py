"""The officials' pages of foresight and follow-through: the forecast of their city and its
rectification items, answered with the measures taken and a file of evidence. Another city's
official gets 404 for every page, answer and file; a signed-out visitor is sent to sign in."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import formats, timezone, translation

from evaluation.forecasts import forecast_date
from evaluation.models import EvaluationRun, RectificationItem
from evaluation.services.people import role_grant
from evaluation.services.rectification import rectification_answer
from evaluation.services.runs import evaluation_run_request
from tests.cities.conftest import browser
from tests.factories import UserFactory, add_value, meet_every_target
from tests.followup import half_way, sign_off

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def words(response) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def items(city_a, city_b, programme, django_capture_on_commit_callbacks):
    """An official run where Shenyang (city_a) is graded poor and Urumqi excellent, finalised:
    Shenyang has its rectification items."""
    add_value(city_a.city, "sme_transformations", "2020", "20")
    meet_every_target(city_b.city)
    triggered = UserFactory(username="reviewer.one")
    role_grant(user=triggered, role="reviewer")
    signer = UserFactory(username="reviewer.two")
    role_grant(user=signer, role="reviewer")
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(
            programme=programme, trigger=EvaluationRun.Trigger.ADMIN, by=triggered
        )
    sign_off(EvaluationRun.objects.get(pk=run.pk), signer)
    found = list(RectificationItem.objects.filter(participation=city_a).order_by("pk"))
    assert found and not RectificationItem.objects.filter(participation=city_b).exists()
    return found


def test_the_official_sees_where_the_city_is_heading(city_a, official_a, programme):
    half_way(city_a.city)
    by = forecast_date(programme=programme, today=timezone.localdate())

    page = browser(official_a, "en").get(f"/city/{city_a.pk}/forecast/")

    assert page.status_code == 200
    text = words(page)
    assert "At the current pace" in text
    with translation.override("en"):
        shown = formats.date_format(by, "DATE_FORMAT")
    assert f"A forecast to the next evaluation date, {shown}" in text
    assert re.search(rf"To reach (excellent|good|fair)( by {re.escape(shown)})?", text)
    assert "yuan" in text
    assert re.search(r'id="forecast-sme_transformations"', page.content.decode())


@pytest.mark.chinese
def test_the_forecast_speaks_chinese(city_a, official_a):
    half_way(city_a.city)

    text = words(browser(official_a).get(f"/city/{city_a.pk}/forecast/"))

    assert "按当前进度" in text and "预测" in text


def test_the_official_answers_a_rectification_item_with_a_file(items, city_a, official_a):
    client = browser(official_a, "en")
    listing = client.get(f"/city/{city_a.pk}/rectification/")
    assert listing.status_code == 200 and "Answer" in words(listing)
    item = items[0]

    response = client.post(
        f"/city/{city_a.pk}/rectification/{item.pk}/",
        {
            "measures": "Set up a risk compensation fund of 20 million yuan",
            "evidence_note": "The city finance bureau's notice",
            "evidence_file": SimpleUploadedFile("notice.pdf", b"%PDF-1.4 notice"),
        },
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "answered" and item.answered_by == official_a
    download = client.get(f"/city/{city_a.pk}/rectification/{item.pk}/evidence/")
    assert download.content == b"%PDF-1.4 notice"
    page = client.get(f"/city/{city_a.pk}/rectification/{item.pk}/")
    assert "Set up a risk compensation fund" in words(page)
    assert 'id="answer-form"' not in page.content.decode()


def test_an_answer_without_measures_is_refused_and_changes_nothing(items, city_a, official_a):
    item = items[0]

    response = browser(official_a, "en").post(
        f"/city/{city_a.pk}/rectification/{item.pk}/", {"measures": " ", "evidence_note": ""}
    )

    assert response.status_code == 400
    assert "say what measures were taken" in words(response)
    item.refresh_from_db()
    assert (item.status, item.measures, item.history.count()) == ("open", "", 1)


def test_an_answer_already_sent_is_refused_as_a_conflict(items, city_a, official_a):
    item = items[0]
    rectification_answer(item=item, measures="m", evidence_note="", by=official_a)

    response = browser(official_a, "en").post(
        f"/city/{city_a.pk}/rectification/{item.pk}/", {"measures": "again"}
    )

    assert response.status_code == 409
    assert "awaiting review" in words(response)


def test_another_citys_official_reaches_nothing_of_the_city(items, city_a, city_b, official_b):
    item = items[0]
    client = browser(official_b, "en")
    rectification_answer(
        item=item,
        measures="m",
        evidence_note="",
        evidence=SimpleUploadedFile("a.pdf", b"%PDF"),
        by=_official(city_a),
    )
    urls = [
        f"/city/{city_a.pk}/forecast/",
        f"/city/{city_a.pk}/rectification/",
        f"/city/{city_a.pk}/rectification/{item.pk}/",
        f"/city/{city_a.pk}/rectification/{item.pk}/evidence/",
        # Another city's item under the official's own city.
        f"/city/{city_b.pk}/rectification/{item.pk}/",
        f"/city/{city_b.pk}/rectification/{item.pk}/evidence/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"measures": "x"}).status_code == 404, url
    item.refresh_from_db()
    assert item.measures == "m"


def _official(participation):
    user = UserFactory(username="li.wei.a")
    participation.officials.create(user=user)
    return user


def test_a_signed_out_visitor_is_sent_to_sign_in(items, city_a):
    item = items[0]
    client = browser()
    for url in (
        f"/city/{city_a.pk}/forecast/",
        f"/city/{city_a.pk}/rectification/",
        f"/city/{city_a.pk}/rectification/{item.pk}/",
        f"/city/{city_a.pk}/rectification/{item.pk}/evidence/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/?next="), url
    assert client.post(f"/city/{city_a.pk}/rectification/{item.pk}/").status_code == 302
