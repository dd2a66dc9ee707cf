from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from openpyxl import Workbook

from evaluation.models import Programme
from tests.factories import UserFactory


@pytest.fixture
def programme(db) -> Programme:
    """The 2020 programme as the shipped migration creates it."""
    return Programme.objects.get(code="2020")


@pytest.fixture
def reviewer(db):
    """A ministry reviewer (files are loaded by the ministry)."""
    user = UserFactory(username="reviewer")
    user.groups.add(Group.objects.get(name="reviewers"))
    return user


def csv_bytes(*lines: str) -> bytes:
    """A UTF-8 CSV file from its lines."""
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(*rows: list[object]) -> bytes:
    """An XLSX workbook whose first sheet holds ``rows``."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
