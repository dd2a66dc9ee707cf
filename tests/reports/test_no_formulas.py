"""No spreadsheet the project writes holds a formula it did not put there: names that start
like formulas (entered before names refused them, or through a shell) reach the ranking
workbook, the city's Excel template and the exports as text, never as live formulas or links
(OWASP's "CSV injection")."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from evaluation.models import City, Indicator, OfficialAssignment
from reports.exports import as_file
from tests.factories import UserFactory
from tests.reports.conftest import give_figures, logged_in

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://x","烟台")'
HOSTILE = {"=": LINK, "+": "+SUM(1,2)", "-": "-2+3", "@": "@cmd|' /C calc'!A0"}


def formulas_in(workbook: bytes) -> list[str]:
    """Every formula element of every part of the workbook."""
    archive = zipfile.ZipFile(io.BytesIO(workbook))
    found = []
    for name in archive.namelist():
        if name.endswith(".xml"):
            found += re.findall(r"<(?:\w+:)?f[\s>/][^<]*", archive.read(name).decode())
    return found


def texts_in(workbook: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(workbook))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    return [str(c.value) for c in cells if isinstance(c.value, str)]


@pytest.fixture
def hostile_names(shenzhen, chaoyang):
    """Names as a careless import or a shell could have left them."""
    City.objects.filter(pk=shenzhen.city_id).update(name_zh=LINK, name_en=HOSTILE["+"])
    City.objects.filter(pk=chaoyang.city_id).update(name_zh=HOSTILE["@"], name_en=HOSTILE["-"])
    Indicator.objects.filter(code="pledge_projects").update(name_zh=LINK, name_en=HOSTILE["@"])


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_ranking_workbook_shows_formula_like_names_as_text(
    shenzhen, chaoyang, evaluate, reviewer_client, hostile_names, lang
):
    give_figures(shenzhen, chaoyang)
    run = evaluate()

    response = reviewer_client.get(f"/reports/runs/{run.pk}/ranking.xlsx?lang={lang}")

    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert formulas_in(data) == []
    shown = texts_in(data)
    names = (LINK, HOSTILE["@"]) if lang == "zh-hans" else (HOSTILE["+"], HOSTILE["-"])
    assert set(names) <= set(shown)


def test_the_citys_template_shows_formula_like_names_as_text(shenzhen, hostile_names):
    official = UserFactory(username="li.wei")
    OfficialAssignment.objects.create(user=official, participation=shenzhen)

    response = logged_in(official).get(
        f"/city/{shenzhen.pk}/excel/template.xlsx?period=2021-03", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 200
    assert formulas_in(response.content) == []
    shown = texts_in(response.content)
    assert LINK in shown  # the indicator's name, column D, as text
    assert any(LINK in text for text in shown)  # the title row names the city


def test_the_exports_write_formula_like_text_as_data():
    rows = [
        ["city_code", "indicator", "target"],
        *[[value, "-1.5", "12"] for value in HOSTILE.values()],
    ]

    workbook, _ = as_file(rows, "xlsx")
    text, _ = as_file(rows, "csv")

    assert formulas_in(workbook) == []
    assert set(HOSTILE.values()) <= set(texts_in(workbook))
    read = list(csv.reader(io.StringIO(text.decode())))
    assert [row[0] for row in read[1:]] == [f"'{value}" for value in HOSTILE.values()]
    assert [row[1] for row in read[1:]] == ["-1.5"] * 4  # a number stays a number
