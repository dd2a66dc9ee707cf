"""Sign-in, sign-out, password change and reset, throttled failures, session expiry; and every
page and form post of the portal tried by another city's official and by a signed-out visitor."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from evaluation.models import MetricValue, Report, ReportComment
from tests.cities.conftest import PASSWORD, browser
from tests.factories import add_value

pytestmark = pytest.mark.django_db


@pytest.mark.chinese
def test_the_sign_in_page_is_at_the_root_and_in_chinese_by_default(db):
    page = Client().get("/")
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()


def test_the_browsers_language_is_honoured(db):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    assert '<html lang="en">' in page.content.decode()


def test_an_official_signs_in_and_lands_on_their_city(official_a, city_a):
    client = Client()
    response = client.post("/", {"username": "li.wei", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == f"/city/{city_a.pk}/"
    assert "沈阳市" in response.content.decode() or "Shenyang" in response.content.decode()


def test_a_wrong_password_is_refused_and_five_failures_lock_the_name_out(official_a, city_a):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        refused = client.post("/", {"username": "li.wei", "password": "wrong"})
        assert refused.status_code == 200 and "_auth_user_id" not in client.session
    locked = client.post("/", {"username": "li.wei", "password": "wrong"})
    assert locked.status_code == 429
    # Even the right password is refused now.
    assert client.post("/", {"username": "li.wei", "password": PASSWORD}).status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_and_the_api_token_still_sign_in_through_axes(reviewer):
    reviewer.set_password(PASSWORD)
    reviewer.is_staff = True
    reviewer.save()
    admin = Client()
    response = admin.post(
        "/admin/login/?next=/admin/", {"username": "wang.fang", "password": PASSWORD}
    )
    assert response.status_code == 302 and "_auth_user_id" in admin.session
    token = Client().post("/api/v1/auth/token/", {"username": "wang.fang", "password": PASSWORD})
    assert token.status_code == 200 and token.json()["token"]


def test_sign_out_is_a_post_and_ends_the_session(portal_a, city_a):
    assert portal_a.post("/sign-out/").status_code == 302
    assert portal_a.get(f"/city/{city_a.pk}/").status_code == 302


def test_sessions_expire_when_idle_and_cookies_are_http_only():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY


def test_password_reset_by_email_then_sign_in_with_the_new_one(official_a):
    client = browser()
    client.post("/password/reset/", {"email": official_a.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password/reset/\S+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    new = "another-long-password-2"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert done.status_code == 200
    official_a.refresh_from_db()
    assert official_a.check_password(new)


def test_password_change(portal_a, official_a):
    new = "another-long-password-3"
    response = portal_a.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    official_a.refresh_from_db()
    assert official_a.check_password(new)


def _urls(pk: int) -> list[str]:
    return [
        f"/city/{pk}/",
        f"/city/{pk}/periods/",
        f"/city/{pk}/periods/2021-03/",
        f"/city/{pk}/excel/",
        f"/city/{pk}/excel/template.xlsx",
        f"/city/{pk}/excel/template.xlsx?choose=1&period=2021-03",
        f"/city/{pk}/history/",
        f"/city/{pk}/history/?period=2021-03&indicator=pledge_projects",
        f"/city/{pk}/results/",
        f"/city/{pk}/submit/",
        f"/city/{pk}/submit/?period=2021-03",
    ]


def _state() -> tuple[list[tuple], ...]:
    return (
        sorted(MetricValue.objects.values_list("pk", "value", "status")),
        sorted(Report.objects.values_list("pk", "status", "version")),
        sorted(ReportComment.objects.values_list("pk", "text")),
    )


def test_another_citys_official_reaches_nothing_of_city_a(portal_b, city_a, city_b):
    add_value(city_a.city, "pledge_projects", "2021-03", "7", approved=False)
    report = Report.objects.create(
        participation=city_a,
        city=city_a.city,
        year=2021,
        granularity="month",
        number=4,
        due_date="2021-05-15",
    )
    before = _state()
    for url in _urls(city_a.pk):
        response = portal_b.get(url)
        assert response.status_code == 404, url
        assert (
            "沈阳" not in response.content.decode() and "Shenyang" not in response.content.decode()
        )
    posts = {
        f"/city/{city_a.pk}/periods/2021-03/": {"action": "submit", "pledge_projects": "9"},
        f"/city/{city_a.pk}/periods/2021-03/check/": {"field": "pledge_projects"},
        f"/city/{city_a.pk}/excel/": {"action": "load"},
        f"/city/{city_a.pk}/submit/": {"report": str(report.pk)},
        f"/city/{city_a.pk}/periods/2021-04/": {"action": "answer", "answer": "已核对"},
    }
    for url, body in posts.items():
        assert portal_b.post(url, body).status_code == 404, url
    assert _state() == before
    # Their own city's pages never name city A either.
    own = portal_b.get(f"/city/{city_b.pk}/").content.decode()
    assert "乌鲁木齐市" in own and "沈阳" not in own


def test_a_signed_out_visitor_is_sent_to_sign_in_and_changes_nothing(anonymous, city_a):
    before = _state()
    for url in _urls(city_a.pk):
        response = anonymous.get(url)
        assert response.status_code == 302 and response.url.startswith("/?next="), url
    response = anonymous.post(f"/city/{city_a.pk}/periods/2021-03/", {"pledge_projects": "9"})
    assert response.status_code == 302
    for url, body in (
        (f"/city/{city_a.pk}/submit/", {"report": "1"}),
        (f"/city/{city_a.pk}/periods/2021-03/", {"action": "answer", "answer": "已核对"}),
    ):
        assert anonymous.post(url, body).status_code == 302
    assert _state() == before


def test_form_posts_need_the_csrf_token(official_a, city_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(official_a)
    response = client.post(f"/city/{city_a.pk}/periods/2021-03/", {"pledge_projects": "9"})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_an_official_of_two_cities_switches_between_them(city_a, city_b):
    from tests.cities.conftest import _official

    both = browser(_official("chen.jing", city_a, city_b))
    page = both.get(f"/city/{city_a.pk}/").content.decode()
    assert f'value="/city/{city_b.pk}/"' in page and "乌鲁木齐市" in page
    assert both.get(f"/city/{city_b.pk}/").status_code == 200


def test_a_user_with_no_city_is_told_so(reviewer):
    page = browser(reviewer).get("/city/")
    assert page.status_code == 200
    assert browser(reviewer).get("/city/1/").status_code == 404


def test_a_city_read_for_one_official_is_not_taken_as_checked_for_another(
    official_a, official_b, city_a, django_assert_num_queries
):
    """The selectors take a participation read as the official's own in the same request as
    checked (no second read); handed to anyone else, or read some other way, it is checked
    again, and another city's official finds nothing."""
    import datetime as dt

    from cities import selectors
    from evaluation.access import NotFound
    from evaluation.models import Participation

    today = dt.date(2022, 6, 15)
    (mine,) = selectors.official_participations(fetched_by=official_a)
    with django_assert_num_queries(3):  # the reports, the rules, the values, nothing else
        selectors.city_periods(participation=mine, fetched_by=official_a, today=today)
    with pytest.raises(NotFound):
        selectors.city_periods(participation=mine, fetched_by=official_b, today=today)
    with pytest.raises(NotFound):
        selectors.city_standing(participation=mine, fetched_by=official_b, today=today)
    plain = Participation.objects.select_related("programme", "city").get(pk=city_a.pk)
    with pytest.raises(NotFound):
        selectors.city_periods(participation=plain, fetched_by=official_b, today=today)
    with django_assert_num_queries(4):  # the participation checked first
        selectors.city_periods(participation=plain, fetched_by=official_a, today=today)
