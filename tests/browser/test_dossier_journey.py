"""The evaluation dossier in a real browser, in Chinese: a reviewer opens a finalised run in the
admin, downloads its dossier from the run's page, and the dossier is verified by a plain Python
with nothing but the ZIP."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from evaluation.models import EvaluationRun, OfficialAssignment
from evaluation.services.runs import evaluation_run_request
from reports.models import Document
from tests.factories import ParticipationFactory, UserFactory
from tests.followup import half_way, sign_off
from tests.reports.test_dossier import run_verifier

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "a-long-portal-password-1"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def person(username: str, *, group: str | None = None):
    user = UserFactory(username=username)
    user.set_password(PASSWORD)
    user.is_staff = group is not None
    user.save()
    if group is not None:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def finalised(live_server):
    """Shenyang graded in an official run signed off by a second reviewer."""
    from evaluation.models import Programme

    programme = Programme.objects.get(code="2020")
    participation = ParticipationFactory(
        programme=programme, city__code="210100", city__name_en="Shenyang", city__name_zh="沈阳市"
    )
    half_way(participation.city, growth=100, cumulative=1)
    OfficialAssignment.objects.create(user=person("li.wei"), participation=participation)
    first, second = (
        person("reviewer.one", group="reviewers"),
        person("reviewer.two", group="reviewers"),
    )
    run = evaluation_run_request(programme=programme, trigger=EvaluationRun.Trigger.ADMIN, by=first)
    sign_off(EvaluationRun.objects.get(pk=run.pk), second)
    run.refresh_from_db()
    assert run.finalised_at is not None
    return run


def test_a_reviewer_downloads_a_dossier_that_python_alone_verifies(
    page, live_server, finalised, tmp_path
):
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "reviewer.two")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/evaluation/evaluationrun/{finalised.pk}/change/")
    link = page.locator("a", has_text="评价档案（ZIP）")
    assert link.count() == 1
    assert "Python" in (link.get_attribute("title") or "")
    page.screenshot(path=str(tmp_path / "run-page.png"))

    with page.expect_download() as downloading:
        link.click()
    download = downloading.value
    assert re.fullmatch(rf"2020-run{finalised.pk}-dossier\.zip", download.suggested_filename)
    saved = tmp_path / "outside" / download.suggested_filename
    saved.parent.mkdir()
    download.save_as(saved)

    kept = Document.objects.get(run=finalised, kind=Document.Kind.DOSSIER)
    assert kept.language == "zh-hans"
    done = run_verifier(str(saved), cwd=saved.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    identity = f"评价档案：评价 #{finalised.pk} · 2020 批次 · 评价基准日 2021-12-31"
    assert lines[0].startswith(identity)
    assert lines[-1] == "一致（matches）"

    # The official of the city is told there is no such thing.
    official = page.context.browser.new_context(locale="zh-CN")
    other = official.new_page()
    other.goto(live_server.url + "/")
    other.fill("#id_username", "li.wei")
    other.fill("#id_password", PASSWORD)
    other.click("button[type=submit]")
    other.wait_for_url(re.compile(r"/city/\d+/$"))
    response = other.goto(f"{live_server.url}/reports/runs/{finalised.pk}/dossier.zip")
    assert response is not None and response.status == 404
    official.close()
