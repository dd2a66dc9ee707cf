"""The ministry's spot check in a real browser, in Chinese: a reviewer draws a sample in the
admin, a checker records a discrepancy with its evidence on the checkers' page, the evaluation
runs, and the scorecard shows what the check found and the changed points. Screenshots are
written to ``SPOT_CHECK_SCREENSHOTS`` when it is set."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from evaluation.models import IndicatorResult, SpotCheck, SpotCheckItem
from evaluation.services.runs import evaluation_run_execute, evaluation_run_request
from tests.checks import checker_named, hefei, ruleset_with_checks
from tests.parts import reviewer_named

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-checker-password-1"


def _with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def _shot(page, name: str) -> None:
    folder = os.environ.get("SPOT_CHECK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_a_reviewer_draws_a_checker_finds_a_discrepancy_and_the_scorecard_shows_it(
    page, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    from evaluation.models import Programme

    programme = Programme.objects.get(code="2020")
    hefei(programme)
    ruleset_with_checks(programme, deduction="2")
    reviewer = _with_password(reviewer_named("wang.fang"))
    _with_password(checker_named("zhao.checker"))

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "wang.fang")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(live_server.url + "/admin/evaluation/spotcheck/add/")
    page.select_option("#id_programme", value=str(programme.pk))
    page.fill("#id_share", "1")
    page.fill("#id_seed", "2021-mid-term")
    _shot(page, "1-draw")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert "2021-mid-term" in page.inner_text(".messagelist")
    check = SpotCheck.objects.get()
    assert check.items.count() == 4
    _shot(page, "2-drawn")

    checker = page.context.browser.new_page(locale="zh-CN")
    checker.goto(live_server.url + "/")
    checker.fill("#id_username", "zhao.checker")
    checker.fill("#id_password", PASSWORD)
    checker.click("button[type=submit]")
    checker.wait_for_url(re.compile(r"/checks/$"))
    assert "抽查核实" in checker.inner_text("h1")
    item = check.items.get(
        metric_value__indicator__code="sme_transformations", metric_value__year=2021
    )
    checker.click(f"#item-{item.pk} a")
    checker.wait_for_url(re.compile(rf"/checks/{item.pk}/$"))
    checker.fill("#verified_value", "15")
    checker.fill("#note", "合同仅能证实 15 家")
    evidence = tmp_path / "合同.pdf"
    evidence.write_bytes(b"%PDF-1.4 contracts")
    checker.set_input_files("#evidence", str(evidence))
    _shot(checker, "3-check")
    checker.click("#verify button[type=submit]")
    checker.wait_for_url(re.compile(r"/checks/$"))
    assert "核实值已记录" in checker.inner_text(".messages")
    _shot(checker, "4-checked")
    item = SpotCheckItem.objects.get(pk=item.pk)
    assert (item.verified_value, item.note, item.evidence_name) == (
        Decimal("15.00"),
        "合同仅能证实 15 家",
        "合同.pdf",
    )

    run = evaluation_run_request(programme=programme, trigger="api", by=reviewer)
    run = evaluation_run_execute(run_id=run.pk)
    sme = IndicatorResult.objects.get(city_result__run=run, indicator__code="sme_transformations")
    assert (sme.points, sme.deducted) == (Decimal("8.13"), Decimal("2.00"))

    page.goto(f"{live_server.url}/reports/runs/{run.pk}/cities/340100/")
    text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "抽查 2021：申报 25.00，核实 15.00：以核实值替代" in text
    assert "因差异扣 2.00 分" in text
    assert "8.13" in text
    _shot(page, "5-scorecard")
