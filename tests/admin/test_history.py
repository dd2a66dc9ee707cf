"""Targets and officials' assignments have their own history pages too."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from evaluation.models import Indicator, Target
from evaluation.services.imports import targets_import
from tests.admin.conftest import history_rows, logged_in, page
from tests.conftest import csv_bytes
from tests.story import tell

pytestmark = pytest.mark.django_db


def test_a_targets_history_shows_who_changed_it(admin_client, administrator, city_a):
    header = "city_code,indicator,target"
    code = city_a.city.code
    targets_import(
        name="t1.csv",
        data=csv_bytes(header, f"{code},pledge_amount,0.35"),
        programme=city_a.programme,
        by=administrator,
    )
    targets_import(
        name="t2.csv",
        data=csv_bytes(header, f"{code},pledge_amount,0.40"),
        programme=city_a.programme,
        by=administrator,
    )
    target = Target.objects.get(indicator=Indicator.objects.get(code="pledge_amount"))
    assert target.value == Decimal("0.4000")

    page = admin_client.get(f"/admin/evaluation/target/{target.pk}/history/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "committed targets loaded from the file t2.csv for programme 2020" in text
    assert administrator.username in text


def test_reviewers_may_read_targets_but_not_change_them(reviewer_client, city_a):
    assert reviewer_client.get("/admin/evaluation/target/").status_code == 200
    assert reviewer_client.get("/admin/evaluation/target/add/").status_code == 403


# The read-only history page --------------------------------------------------------------------


@pytest.fixture
def story(programme, django_capture_on_commit_callbacks):
    told = tell(programme, django_capture_on_commit_callbacks)
    told.signer.first_name = "王芳"
    told.signer.save()
    return told


@pytest.mark.chinese
def test_a_decisions_history_reads_with_names_local_times_and_words(story):
    decision = story.overridden
    signed = timezone.localtime(decision.decided_at, ZoneInfo("Asia/Shanghai"))
    in_utc = decision.decided_at.astimezone(dt.UTC)

    response = logged_in(story.reviewer).get(
        f"/admin/evaluation/tranchedecision/{decision.pk}/history/"
    )

    text = page(response)
    assert "王芳" in text and " signer " not in text
    assert signed.strftime("%Y-%m-%d %H:%M:%S") in text
    assert in_utc.strftime("%Y-%m-%d %H:%M:%S") not in text
    assert "北京时间" in text  # Asia/Shanghai, the default time zone
    assert "状态: 建议，待签批 → 已改定" in text
    assert "最终金额: — → 10,000,000.00" in text
    assert "已改定：half the pledge projects are disputed" in text
    assert "→ overridden" not in text and "recommended →" not in text
    # Read-only: no form, no revert button.
    assert (
        "<form"
        not in re.sub(
            r'<form[^>]*id="logout-form".*?</form>', "", response.content.decode(), flags=re.S
        ).split('id="content-main"')[1]
    )


def test_the_zone_of_the_times_shown_is_a_setting(story, settings):
    settings.TIME_ZONE = "UTC"
    decision = story.overridden

    text = page(
        logged_in(story.reviewer).get(f"/admin/evaluation/tranchedecision/{decision.pk}/history/")
    )

    assert decision.decided_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") in text
    assert "When (UTC)" in text


def test_a_reports_history_shows_its_values_changes_too(story, admin_client):
    report = story.reports["approved"]

    rows = history_rows(
        admin_client.get(f"/admin/evaluation/report/{report.pk}/history/"), values=True
    )

    value_rows = [row for row in rows if "value of" in row["what"]]
    assert len(value_rows) == 3 * 10  # created, submitted, approved: each of the ten values
    assert any(
        "Status: submitted, awaiting review → approved" in row["changes"] for row in value_rows
    )
