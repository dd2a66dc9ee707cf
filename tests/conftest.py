from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test.client import RequestFactory
from django.utils import translation
from openpyxl import Workbook

from evaluation.models import Programme
from tests.factories import UserFactory

CATALOGUE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def catalogue_problem(po: Path, mo: Path) -> str | None:
    """Why the compiled catalogue cannot be trusted, or None."""
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        return (
            f"{mo} is missing or older than {po.name}: compile the catalogue first with\n"
            "    .venv/bin/python manage.py compilemessages --ignore=.venv"
        )
    return None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse to run on a missing or stale Chinese catalogue: Django would silently fall back
    to English, and the Chinese tests would fail for the wrong reason (or not at all)."""
    problem = catalogue_problem(CATALOGUE / "django.po", CATALOGUE / "django.mo")
    if problem is not None:
        pytest.exit(problem, returncode=4)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the portal caches pages under keys made of ids and
    counts, which the next test's fresh rows can repeat."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
        cache.clear()


@pytest.fixture(autouse=True)
def own_media(tmp_path_factory, settings, monkeypatch):
    """Each test writes its files (evidence, kept documents) under a directory of its own, never
    the checkout's ``media/``: a file left by an earlier test or run, or written at the same
    time by another xdist worker, would otherwise be renamed by the storage (``_AbCdEf1``) or
    read by the wrong test. The environment carries it to any worker process a test starts."""
    media = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = media
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    return media


@pytest.fixture(autouse=True)
def english(request: pytest.FixtureRequest, settings, monkeypatch):
    """Tests speak English unless marked ``chinese``.

    The product is Chinese by default (``LANGUAGE_CODE = "zh-hans"``). So that assertions
    written in English stay readable, every test runs with English active, English as the
    default language (emails and commands outside a request), and every Django/DRF test client
    sending ``Accept-Language: en`` unless the test sets the header itself. A test marked
    ``@pytest.mark.chinese`` gets none of this: the real default, no language asked for.
    """
    if request.node.get_closest_marker("chinese"):
        translation.deactivate()
        yield
        translation.deactivate()
        return
    settings.LANGUAGE_CODE = "en"
    base_environ = RequestFactory._base_environ

    def english_environ(self, **request_environ):
        environ = base_environ(self, **request_environ)
        environ.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        return environ

    monkeypatch.setattr(RequestFactory, "_base_environ", english_environ)
    with translation.override("en"):
        yield


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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last, after pytest-django's own ordering: their live server needs
    real transactions, and the flush that ends each one would leave the tests after it without
    the data the migrations ship."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
