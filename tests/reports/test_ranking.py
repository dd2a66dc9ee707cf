"""The programme ranking for reviewers: every city by score with grade, recommended and
signed-off amounts, the change since a chosen earlier run, the grade distribution and the
money; as a page, a PDF and an Excel workbook whose numbers are numbers."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from evaluation.models import CityResult, MetricValue
from tests.factories import ParticipationFactory, add_value, meet_every_target
from tests.reports.conftest import flat, pdf_text, text_of
from tests.reports.pdfcheck import assert_no_tofu

pytestmark = pytest.mark.django_db


def url(run, tail: str = "ranking/", **query: object) -> str:
    params = "&".join(f"{k}={v}" for k, v in {"lang": "zh-hans", **query}.items())
    return f"/reports/runs/{run.pk}/{tail}?{params}"


@pytest.fixture
def rerun(run, evaluate, chaoyang):
    """A later run in which Chaoyang's pledge amount was corrected upwards: it now meets its
    target, so its score rises."""
    value = MetricValue.objects.get(city=chaoyang.city, indicator__code="pledge_amount", year=2021)
    value.value = Decimal("1690")  # 30% a year
    value.save()
    return evaluate()


def rows_of(response) -> list[tuple[str, str]]:
    return [(row["code"], row["score"]) for row in response.context["rows"]]


def test_every_city_by_score_with_grades_and_amounts(reviewer_client, run):
    response = reviewer_client.get(url(run))

    assert response.status_code == 200
    shenzhen, chaoyang = (
        CityResult.objects.get(run=run, participation__city__code=code)
        for code in ("440300", "110105")
    )
    assert rows_of(response) == [("440300", f"{shenzhen.score}"), ("110105", f"{chaoyang.score}")]
    text = text_of(response)
    assert "批次排名" in text and "深圳市" in text and "北京市朝阳区" in text
    assert "优" in text and "差" in text
    assert "50,000,000.00" in text  # Shenzhen's recommended release
    assert "100,000,000.00" in text  # the remaining total of the two cities
    assert run.input_digest in text and run.ruleset.label in text
    # Grade distribution: one excellent, one poor.
    assert [count for _, _, count in response.context["grades"]] == [1, 0, 0, 1]


def test_the_change_since_a_chosen_earlier_run(reviewer_client, run, rerun):
    before = CityResult.objects.get(run=run, participation__city__code="110105")
    after = CityResult.objects.get(run=rerun, participation__city__code="110105")
    assert after.score > before.score

    response = reviewer_client.get(url(rerun, since=run.pk, lang="en"))

    rows = {row["code"]: row for row in response.context["rows"]}
    assert rows["110105"]["change"] == f"+{after.score - before.score:.2f}"
    assert rows["110105"]["grade_before"] == "poor (差)"
    assert rows["440300"]["change"] == "0.00"
    text = text_of(response)
    assert f"Changes are since run #{run.pk}" in text
    # Without a chosen run there is no change column.
    assert "Change in score" not in text_of(reviewer_client.get(url(rerun, lang="en")))


def test_signed_off_amounts_and_the_money_released(reviewer_client, finalised):
    text = text_of(reviewer_client.get(url(finalised, lang="en")))

    assert "65,000,000.00" in text  # 50 million confirmed + 15 million overridden
    assert "35,000,000.00" in text  # not released of the 100 million remaining
    assert "overridden" in text and "confirmed" in text


def test_officials_and_signed_out_visitors_cannot_see_the_ranking(
    official_client, anonymous_client, run
):
    for tail in ("ranking/", "ranking.pdf", "ranking.xlsx", "scorecards/"):
        refused = official_client.get(url(run, tail))
        assert refused.status_code in (403, 405)
        assert "北京市朝阳区" not in refused.content.decode()
        assert anonymous_client.get(url(run, tail)).status_code in (302, 405)
    assert official_client.post(url(run, "scorecards/")).status_code == 403


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_number_of_cities(
    reviewer_client, programme, shenzhen, chaoyang, evaluate
):
    meet_every_target(shenzhen.city)
    small = evaluate()
    for _ in range(5):
        meet_every_target(ParticipationFactory(programme=programme).city)
    large = evaluate()
    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(url(small))
    with CaptureQueriesContext(connection) as many:
        reviewer_client.get(url(large, since=small.pk))
    assert len(many) <= len(few) + 2  # the chosen earlier run's scores


def test_the_workbook_holds_the_runs_numbers_as_numbers_under_chinese_headers(
    reviewer_client, finalised
):
    response = reviewer_client.get(url(finalised, "ranking.xlsx"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["排名"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r and r[0] == "名次"))
    assert rows[header][:5] == ["名次", "城市代码", "城市", "得分", "等级"]
    assert any(str(h).startswith("签批金额") for h in rows[header])
    table = rows[header + 1 : header + 3]
    by_code = {r[1]: r for r in table}
    for code in ("440300", "110105"):
        stored = CityResult.objects.get(run=finalised, participation__city__code=code)
        line = by_code[code]
        assert isinstance(line[3], float | int) and Decimal(str(line[3])) == stored.score
        assert Decimal(str(line[7])) == stored.decision.recommended_amount
        assert Decimal(str(line[8])) == stored.decision.final_amount
    assert by_code["110105"][2] == "北京市朝阳区"
    # Number cells are formatted as money, not stored as text.
    cell = sheet.cell(header + 2, 8)
    assert cell.data_type == "n" and cell.number_format == "#,##0.00"
    assert any(finalised.input_digest in str(v) for r in rows for v in r if v)
    totals = {r[0][:5]: r[1] for r in workbook["合计"].iter_rows(values_only=True) if r and r[0]}
    assert Decimal(str(totals["已签批拨付"])) == Decimal("65000000.00")


def test_the_english_workbook_has_english_headers(reviewer_client, run):
    response = reviewer_client.get(url(run, "ranking.xlsx", lang="en"))

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Ranking"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == "Rank"]
    assert rows and rows[0][:3] == ("Rank", "City code", "City")


def test_the_pdf_holds_every_city_and_its_figures(reviewer_client, finalised):
    response = reviewer_client.get(url(finalised, "ranking.pdf"))

    data = b"".join(response.streaming_content)
    text = flat(pdf_text(data))
    for result in CityResult.objects.filter(run=finalised).select_related(
        "participation__city", "decision"
    ):
        assert result.participation.city.name_zh in text
        assert f"{result.score}" in text
        assert f"{result.decision.final_amount:,.2f}" in text
    assert "65,000,000.00" in text and "批次排名" in text
    assert f"#{finalised.pk}" in text
    assert_no_tofu(data, chinese="批次排名深圳市北京市朝阳区优差")


def test_a_city_without_figures_of_an_earlier_run_shows_no_change(
    reviewer_client, programme, run, evaluate
):
    newcomer = ParticipationFactory(programme=programme, city__code="370600")
    add_value(newcomer.city, "sme_transformations", "2020", "10")
    later = evaluate()

    rows = {r["code"]: r for r in reviewer_client.get(url(later, since=run.pk)).context["rows"]}
    assert rows["370600"]["change"] == "" and rows["370600"]["grade_before"] == ""
