"""Targets and officials' assignments have their own history pages too."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import Indicator, Target
from evaluation.services.imports import targets_import
from tests.conftest import csv_bytes

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
    assert "import_targets t2.csv --programme 2020" in text
    assert administrator.username in text


def test_reviewers_may_read_targets_but_not_change_them(reviewer_client, city_a):
    assert reviewer_client.get("/admin/evaluation/target/").status_code == 200
    assert reviewer_client.get("/admin/evaluation/target/add/").status_code == 403
