"""Who sees what in the admin: reviewers read everything and act on reports, decisions and
runs, but change no programme, money, target or ruleset and see no user accounts;
administrators may do all of it; city officials and strangers only reach the login page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import Participation, Programme, Ruleset
from tests.admin.conftest import form_data, submitted_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(city_a, programme):
    return {
        "programme": programme,
        "participation": city_a,
        "ruleset": Ruleset.objects.get(programme=programme, version=1),
        "city": city_a.city,
    }


READABLE = [
    "/admin/",
    "/admin/evaluation/report/",
    "/admin/evaluation/tranchedecision/",
    "/admin/evaluation/evaluationrun/",
    "/admin/evaluation/cityresult/",
    "/admin/evaluation/programme/",
    "/admin/evaluation/participation/",
    "/admin/evaluation/ruleset/",
    "/admin/evaluation/metricvalue/",
    "/admin/evaluation/city/",
]

MANAGED = [
    ("evaluation", "programme"),
    ("evaluation", "participation"),
    ("evaluation", "ruleset"),
    ("evaluation", "city"),
]


@pytest.mark.parametrize("url", READABLE)
def test_reviewers_see_the_review_pages(reviewer_client, url):
    assert reviewer_client.get(url).status_code == 200


@pytest.mark.parametrize(("app", "model"), MANAGED)
def test_reviewers_cannot_add_programmes_money_or_rulesets(reviewer_client, app, model):
    assert reviewer_client.get(f"/admin/{app}/{model}/add/").status_code == 403


@pytest.mark.parametrize(("app", "model"), MANAGED)
def test_reviewers_see_programmes_money_and_rulesets_read_only(
    reviewer_client, objects, app, model
):
    url = f"/admin/{app}/{model}/{objects[model].pk}/change/"

    response = reviewer_client.get(url)

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()


def test_reviewers_cannot_change_a_participations_money(reviewer_client, admin_client, city_a):
    url = f"/admin/evaluation/participation/{city_a.pk}/change/"
    data = form_data(admin_client.get(url)) | {"first_tranche": "0.00"}

    assert reviewer_client.post(url, data).status_code == 403
    city_a.refresh_from_db()
    assert city_a.first_tranche == Decimal("100000000.00")


def test_reviewers_cannot_change_a_ruleset(reviewer_client, admin_client, objects):
    url = f"/admin/evaluation/ruleset/{objects['ruleset'].pk}/change/"
    data = form_data(admin_client.get(url)) | {"notes": "changed by a reviewer"}

    assert reviewer_client.post(url, data).status_code == 403
    assert Ruleset.objects.get(pk=objects["ruleset"].pk).notes != "changed by a reviewer"
    assert Ruleset.objects.count() == 1


def test_reviewers_cannot_change_a_programme(reviewer_client, admin_client, programme):
    url = f"/admin/evaluation/programme/{programme.pk}/change/"
    data = form_data(admin_client.get(url)) | {"name": "renamed by a reviewer"}

    assert reviewer_client.post(url, data).status_code == 403
    assert Programme.objects.get(pk=programme.pk).name != "renamed by a reviewer"


def test_reviewers_cannot_delete_a_participation(reviewer_client, city_a):
    url = f"/admin/evaluation/participation/{city_a.pk}/delete/"

    assert reviewer_client.post(url, {"post": "yes"}).status_code == 403
    assert Participation.objects.filter(pk=city_a.pk).exists()


@pytest.mark.parametrize(
    "url", ["/admin/auth/user/", "/admin/auth/user/add/", "/admin/auth/group/"]
)
def test_reviewers_cannot_see_user_accounts(reviewer_client, url):
    assert reviewer_client.get(url).status_code == 403


def test_reviewers_are_not_offered_user_accounts_on_the_index(reviewer_client):
    apps = {app["app_label"] for app in reviewer_client.get("/admin/").context["app_list"]}

    assert "auth" not in apps
    assert "evaluation" in apps


@pytest.mark.parametrize("url", [*READABLE, "/admin/auth/user/"])
def test_administrators_see_every_page(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize(("app", "model"), MANAGED)
def test_administrators_may_add_and_change_what_reviewers_may_not(
    admin_client, objects, app, model
):
    assert admin_client.get(f"/admin/{app}/{model}/add/").status_code == 200
    change = admin_client.get(f"/admin/{app}/{model}/{objects[model].pk}/change/")
    assert change.context["has_change_permission"] is True
    assert 'name="_save"' in change.content.decode()


def test_administrators_change_a_programme(admin_client, administrator, programme):
    url = f"/admin/evaluation/programme/{programme.pk}/change/"
    data = form_data(admin_client.get(url)) | {"quality_factor": "4.00"}

    assert admin_client.post(url, data).status_code == 302
    programme.refresh_from_db()
    assert programme.quality_factor == Decimal("4.00")
    assert programme.history.first().history_user == administrator


def test_administrators_manage_people(admin_client):
    response = admin_client.post(
        "/admin/auth/user/add/",
        {
            "username": "new_official",
            "password1": "a-Long-pass-123",
            "password2": "a-Long-pass-123",
        },
    )

    assert response.status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        *READABLE,
        "/admin/evaluation/report/1/change/",
        "/admin/evaluation/report/1/history/",
        "/admin/evaluation/tranchedecision/1/history/",
        "/admin/evaluation/programme/add/",
        "/admin/evaluation/metricvalue/load/",
        "/admin/evaluation/metricvalue/export/metrics/csv/",
        "/admin/auth/user/",
    ],
)
@pytest.mark.parametrize("who", ["official_client", "anonymous_client"])
def test_officials_and_strangers_are_sent_to_the_login_page(request, who, url):
    client = request.getfixturevalue(who)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


@pytest.mark.parametrize("who", ["official_client", "anonymous_client"])
def test_officials_and_strangers_cannot_act(request, who, city_a, official):
    report = submitted_report(city_a, official, "2021-03", {"transfer_licence_count": "5"})
    client = request.getfixturevalue(who)

    response = client.post(
        "/admin/evaluation/report/", {"action": "approve", "_selected_action": [report.pk]}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    report.refresh_from_db()
    assert report.status == "submitted"
