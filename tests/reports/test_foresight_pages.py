"""The reviewers' pages of foresight and follow-through, in the admin's frame: every city's
forecast by the risk of falling a tier, draft rulesets compared with the published one (the
comparison run by a worker and kept as PDF and Excel documents), and the programme's
rectification. Reviewers only: a city's official and a signed-out visitor are sent to the
admin's sign-in and see nothing; publishing is the administrators'."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from evaluation.forecasts import forecast_date
from evaluation.models import RectificationItem, Ruleset
from evaluation.selectors import ruleset_current
from evaluation.services.drafts import ruleset_draft_create
from evaluation.services.rectification import rectification_answer
from reports.models import ComparisonDocument, DraftComparison
from tests.followup import half_way
from tests.reports.conftest import give_figures, logged_in, pdf_text, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def heading(shenzhen, chaoyang):
    """Both cities reported month by month up to June 2021."""
    half_way(shenzhen.city, growth=130, cumulative=8)
    half_way(chaoyang.city, growth=100, cumulative=2)
    return shenzhen, chaoyang


@pytest.fixture
def draft(programme, reviewer):
    return ruleset_draft_create(programme=programme, by=reviewer)


def draft_form(client, draft) -> dict[str, str]:
    """The draft's form as the page fills it in."""
    page = client.get(f"/admin/reports/drafts/{draft.pk}/").content.decode()
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page):
        data[name] = value
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else ""
    data["notes"] = draft.notes
    return data


def next_date(programme) -> str:
    return forecast_date(programme=programme, today=timezone.localdate()).isoformat()


def test_a_reviewer_sees_every_citys_forecast_most_at_risk_first(heading, reviewer, programme):
    page = logged_in(reviewer).get("/admin/reports/forecast/", {"programme": "2020"})

    assert page.status_code == 200
    text = text_of(page)
    assert next_date(programme) in text
    assert "Shenzhen" in text and "Beijing Chaoyang District" in text
    codes = re.findall(r'data-city="(\d+)"', page.content.decode())
    assert sorted(codes) == ["110105", "440300"]


def test_the_forecast_page_takes_the_same_queries_for_more_cities(
    heading, reviewer, programme, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ParticipationFactory

    client = logged_in(reviewer)
    client.get("/admin/reports/forecast/")
    with CaptureQueriesContext(connection) as two:
        client.get("/admin/reports/forecast/")
    for _ in range(3):
        half_way(ParticipationFactory(programme=programme).city)

    with django_assert_num_queries(len(two.captured_queries)):
        page = client.get("/admin/reports/forecast/")
    assert len(re.findall(r'data-city="', page.content.decode())) == 5


def test_a_reviewer_reads_one_citys_forecast(heading, reviewer, shenzhen, programme):
    page = logged_in(reviewer).get(f"/admin/reports/forecast/{shenzhen.pk}/")

    assert page.status_code == 200
    assert f"At the current pace, by {next_date(programme)}" in text_of(page)


def test_a_reviewer_edits_a_draft_compares_it_and_keeps_the_documents(
    run, reviewer, draft, django_capture_on_commit_callbacks
):
    client = logged_in(reviewer)
    data = draft_form(client, draft)
    data |= {
        "rule-certified_entities-weight": "25",
        "rule-transfer_licence_count-weight": "10",
        "band-excellent-release_share": "0.9",
        "compare-as_of": "2021-12-31",
        "action": "compare",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/reports/drafts/{draft.pk}/", data)

    comparison = DraftComparison.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/reports/comparisons/{comparison.pk}/"
    assert comparison.status == DraftComparison.Status.READY
    page = client.get(response["Location"])
    text = text_of(page)
    assert "certified entities: weight 15 → 25" in text.lower() or "weight 15 → 25" in text
    # Shenzhen is excellent under both: its release falls to 90%.
    assert "50,000,000.00 → 45,000,000.00" in text
    assert "share released 100.00% → 90.00%" in text
    assert ComparisonDocument.objects.filter(comparison=comparison).count() == 4
    # Nothing of it is a run or a ruleset in use.
    assert run.ruleset == ruleset_current(programme=draft.programme)
    assert Ruleset.objects.get(pk=draft.pk).frozen_at is None


def test_the_comparison_documents_are_chinese_and_the_workbook_holds_values(
    run, reviewer, draft, django_capture_on_commit_callbacks, chaoyang
):
    chaoyang.city.name_zh = '=HYPERLINK("http://example.org")'
    chaoyang.city.save()
    client = logged_in(reviewer)
    data = draft_form(client, draft) | {
        "band-excellent-release_share": "0.9",
        "compare-as_of": "2021-12-31",
        "action": "compare",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/reports/drafts/{draft.pk}/", data)
    comparison = DraftComparison.objects.get()

    pdf = client.get(f"/admin/reports/comparisons/{comparison.pk}/zh-hans.pdf")
    xlsx = client.get(f"/admin/reports/comparisons/{comparison.pk}/zh-hans.xlsx")

    assert pdf.status_code == 200 and pdf["X-Document-SHA256"]
    text = pdf_text(b"".join(pdf.streaming_content))
    assert "规则集" in text and "深圳市" in text
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    sheet = workbook.worksheets[0]
    cells = {cell.value: cell for row in sheet.iter_rows() for cell in row if cell.value}
    formula = cells['=HYPERLINK("http://example.org")']
    assert formula.data_type == "s"  # the name stays words, never a formula
    amounts = [c for c in cells.values() if c.number_format == "#,##0.00"]
    assert amounts and all(isinstance(c.value, int | float) for c in amounts)


def test_a_refused_draft_edit_says_why_on_its_field_and_changes_nothing(reviewer, draft):
    client = logged_in(reviewer)
    data = draft_form(client, draft) | {
        "rule-certified_entities-weight": "30",
        "action": "save",
    }

    page = client.post(f"/admin/reports/drafts/{draft.pk}/", data)

    assert page.status_code == 200
    assert "the weights add up to 115, not 100" in text_of(page)
    assert draft.rules.get(indicator__code="certified_entities").weight == 15


def test_publishing_is_the_administrators(reviewer, administrator, draft, programme):
    refused = logged_in(reviewer).post(f"/admin/reports/drafts/{draft.pk}/", {"action": "publish"})
    assert refused.status_code == 403
    assert ruleset_current(programme=programme).version == 1

    done = logged_in(administrator).post(
        f"/admin/reports/drafts/{draft.pk}/", {"action": "publish"}
    )

    assert done.status_code == 302
    assert ruleset_current(programme=programme).pk == draft.pk


def test_a_reviewer_makes_a_draft_from_the_list(reviewer, programme):
    client = logged_in(reviewer)
    response = client.post("/admin/reports/drafts/", {"programme": "2020"})
    draft = Ruleset.objects.get(programme=programme, is_draft=True)
    assert response["Location"] == f"/admin/reports/drafts/{draft.pk}/"
    assert "2020-v2" in text_of(client.get("/admin/reports/drafts/"))


def test_the_programmes_rectification_and_a_review(finalised, reviewer, chaoyang, other_official):
    item = RectificationItem.objects.filter(participation=chaoyang).first()
    rectification_answer(
        item=item,
        measures="新增风险补偿资金",
        evidence_note="文件",
        evidence=SimpleUploadedFile("证明.pdf", b"%PDF-1.4"),
        by=other_official,
    )
    client = logged_in(reviewer)

    listing = client.get("/admin/reports/rectification/", {"programme": "2020"})
    assert listing.status_code == 200
    assert "新增风险补偿资金" not in text_of(listing)
    assert "Beijing Chaoyang District" in text_of(listing)
    page = client.get(f"/admin/reports/rectification/{item.pk}/")
    assert "新增风险补偿资金" in text_of(page)
    evidence = client.get(f"/admin/reports/rectification/{item.pk}/evidence/")
    assert b"".join(evidence.streaming_content) == b"%PDF-1.4"

    refused = client.post(f"/admin/reports/rectification/{item.pk}/", {"action": "return"})
    assert "say what the city should add or change" in text_of(refused)
    item.refresh_from_db()
    assert item.status == "answered"
    client.post(
        f"/admin/reports/rectification/{item.pk}/",
        {"action": "return", "comment": "请补充合同"},
    )
    item.refresh_from_db()
    assert (item.status, item.review_comment) == ("returned", "请补充合同")


def pages(draft_pk: int, comparison_pk: int, item_pk: int, city_pk: int) -> list[str]:
    return [
        "/admin/reports/forecast/",
        f"/admin/reports/forecast/{city_pk}/",
        "/admin/reports/drafts/",
        f"/admin/reports/drafts/{draft_pk}/",
        f"/admin/reports/comparisons/{comparison_pk}/",
        f"/admin/reports/comparisons/{comparison_pk}/zh-hans.pdf",
        "/admin/reports/rectification/",
        f"/admin/reports/rectification/{item_pk}/",
        f"/admin/reports/rectification/{item_pk}/evidence/",
    ]


@pytest.mark.parametrize("who", ["official", "other_official", "anonymous"])
def test_officials_and_strangers_reach_none_of_these_pages(
    request, who, finalised, draft, reviewer, chaoyang, django_capture_on_commit_callbacks
):
    from reports.whatif import draft_comparison_request

    give_figures  # noqa: B018  (the run's figures are the conftest's)
    with django_capture_on_commit_callbacks(execute=True):
        comparison = draft_comparison_request(draft=draft, as_of=finalised.as_of, by=reviewer)
    item = RectificationItem.objects.filter(participation=chaoyang).first()
    client = logged_in(None if who == "anonymous" else request.getfixturevalue(who))
    for url in pages(draft.pk, comparison.pk, item.pk, chaoyang.pk):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url
    assert DraftComparison.objects.count() == 1
    assert Ruleset.objects.filter(is_draft=True).count() == 1
