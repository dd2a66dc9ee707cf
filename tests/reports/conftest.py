"""The people and runs of the reports' tests: two reviewers (one triggers runs, the other
signs them off), an official of Shenzhen only and one of Chaoyang only, and runs of the 2020
programme with real stored results. The Chinese catalogue is compiled for the tests from the
project's catalogue and the pending translations, so the Chinese documents read as users
see them."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from pypdf import PdfReader

from evaluation.models import EvaluationRun, OfficialAssignment, Participation, TrancheDecision
from evaluation.services.decisions import decision_confirm, decision_override
from evaluation.services.people import role_grant
from evaluation.services.runs import evaluation_run_request
from tests.factories import ParticipationFactory, UserFactory, add_value, meet_every_target

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chinese_catalogue(tmp_path_factory) -> Path:
    """The project's Chinese catalogue (if any) with every pending translation, compiled."""
    assert shutil.which("msgfmt"), "gettext (msgfmt) is needed to compile the Chinese catalogue"
    sources = [ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"]
    sources = [p for p in sources if p.exists()] + sorted(
        (ROOT / "locale" / "pending").glob("*.po")
    )
    root = tmp_path_factory.mktemp("locale")
    target = root / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    merged = root / "merged.po"
    subprocess.run(["msgcat", "--use-first", "-o", str(merged), *map(str, sources)], check=True)
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(merged)], check=True)
    return root


@pytest.fixture(autouse=True)
def documents_settings(settings, tmp_path, chinese_catalogue):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LOCALE_PATHS = [chinese_catalogue, *django_settings.LOCALE_PATHS]
    return settings


def _staff(username: str, role: str):
    user = UserFactory(username=username, first_name="", last_name="")
    role_grant(user=user, role=role)
    return user


@pytest.fixture
def reviewer(db):
    return _staff("reviewer", "reviewer")


@pytest.fixture
def signer(db):
    """The reviewer who signs off (not the one who triggered the run)."""
    user = _staff("wang.fang", "reviewer")
    user.first_name, user.last_name = "Fang", "Wang"
    user.save()
    return user


@pytest.fixture
def shenzhen(programme) -> Participation:
    return ParticipationFactory(
        programme=programme, city__code="440300", city__name_en="Shenzhen", city__name_zh="深圳市"
    )


@pytest.fixture
def chaoyang(programme) -> Participation:
    return ParticipationFactory(
        programme=programme,
        city__code="110105",
        city__name_en="Beijing Chaoyang District",
        city__name_zh="北京市朝阳区",
    )


def _official(username: str, participation: Participation):
    user = UserFactory(username=username)
    OfficialAssignment.objects.create(user=user, participation=participation)
    return user


@pytest.fixture
def official(shenzhen):
    """An official of Shenzhen only."""
    return _official("li.wei", shenzhen)


@pytest.fixture
def other_official(chaoyang):
    """An official of Chaoyang only: Shenzhen's documents do not exist for them."""
    return _official("zhao.min", chaoyang)


def logged_in(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    return logged_in(reviewer)


@pytest.fixture
def official_client(official) -> Client:
    return logged_in(official)


@pytest.fixture
def other_client(other_official) -> Client:
    return logged_in(other_official)


@pytest.fixture
def anonymous_client() -> Client:
    return Client()


@pytest.fixture
def evaluate(programme, reviewer, django_capture_on_commit_callbacks):
    """Run an evaluation of the 2020 programme to the end, triggered by ``reviewer``."""

    def run(**kwargs: Any) -> EvaluationRun:
        with django_capture_on_commit_callbacks(execute=True):
            queued = evaluation_run_request(
                programme=programme, trigger=EvaluationRun.Trigger.ADMIN, by=reviewer, **kwargs
            )
        finished = EvaluationRun.objects.get(pk=queued.pk)
        assert finished.status == EvaluationRun.Status.SUCCEEDED, finished.error
        return finished

    return run


def give_figures(shenzhen: Participation, chaoyang: Participation) -> None:
    """Shenzhen meets every target (100 points); Chaoyang has some of everything: growth met,
    partial and missed, a cumulative indicator partial and the rest not assessable."""
    meet_every_target(shenzhen.city)
    city = chaoyang.city
    add_value(city, "transfer_licence_count", "2019", "1000")
    add_value(city, "transfer_licence_count", "2021", "1500")  # 22.47% a year: met
    add_value(city, "pledge_amount", "2019", "1000")
    add_value(city, "pledge_amount", "2021", "1210")  # 10% a year: partial
    add_value(city, "pledge_projects", "2019", "100")
    add_value(city, "pledge_projects", "2021", "90")  # shrank: missed
    add_value(city, "sme_transformations", "2020", "30")
    add_value(city, "sme_transformations", "2021", "25")  # 55 of 66.67: partial


@pytest.fixture
def run(shenzhen, chaoyang, evaluate) -> EvaluationRun:
    """An official run, not signed off yet."""
    give_figures(shenzhen, chaoyang)
    return evaluate()


def decision_of(run: EvaluationRun, code: str) -> TrancheDecision:
    return TrancheDecision.objects.get(
        city_result__run=run, city_result__participation__city__code=code
    )


OVERRIDE_REASON = "地方配套资金未到位、暂缓一半 (local matching funds not in place)"


@pytest.fixture
def finalised(run, signer) -> EvaluationRun:
    """The official run with Shenzhen confirmed and Chaoyang overridden, hence finalised."""
    decision_confirm(decision=decision_of(run, "440300"), by=signer)
    decision_override(
        decision=decision_of(run, "110105"),
        amount=Decimal("15000000.00"),
        reason=OVERRIDE_REASON,
        by=signer,
    )
    run.refresh_from_db()
    assert run.finalised_at is not None
    return run


@pytest.fixture
def provisional(run, evaluate) -> EvaluationRun:
    return evaluate(kind=EvaluationRun.Kind.PROVISIONAL)


def text_of(response) -> str:
    """An HTML page as the user reads it: markup removed, spaces collapsed."""
    import html

    body = response.content.decode()
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Text with every space and line break removed (PDF lines wrap anywhere)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def administrator(db):
    return _staff("administrator", "administrator")


@pytest.fixture
def cities(shenzhen, chaoyang):
    """Shenzhen meets every target; Chaoyang reported one cumulative figure."""
    meet_every_target(shenzhen.city)
    add_value(chaoyang.city, "sme_transformations", "2020", "10")
    return shenzhen, chaoyang
