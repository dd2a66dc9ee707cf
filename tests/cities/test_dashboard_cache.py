"""The dashboard is served from a cache while nothing it shows has changed: whatever changes,
the next visit shows it, and the cache never lets anyone see what they could not see without
it. No test here clears the cache between the two visits it compares."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.test import Client

from cities import selectors
from evaluation.models import EvaluationRun, Indicator, MetricValue, OfficialAssignment, Ruleset
from evaluation.models.cities import City
from evaluation.scoring import Period
from evaluation.services import reporting
from evaluation.services.imports import targets_import
from evaluation.services.rulesets import ruleset_revise
from evaluation.services.runs import evaluation_run_request
from tests.cities.conftest import browser
from tests.factories import ParticipationFactory, add_value, complete

pytestmark = pytest.mark.django_db


def sme_card(page: str) -> str:
    """The "SMEs taking up university patents" card of the dashboard, as text."""
    card = re.search(r'id="ind-sme_transformations".*?</article>', page, re.S)
    assert card, page
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card.group(0)))


def visit(client: Client, participation) -> str:
    response = client.get(f"/city/{participation.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def submitted_report(participation, official, values: dict[str, str], period: str = "2021-03"):
    report = reporting.report_create(
        participation=participation, period=Period.parse(period), by=official
    )
    report = reporting.report_values_set(
        report=report, values=complete(values), version=report.version, by=official
    )
    return reporting.report_submit(report=report, version=None, by=official)


def test_a_second_visit_is_served_from_the_cache(portal_a, city_a):
    visit(portal_a, city_a)
    assert len(caches["pages"]._cache) == 1  # type: ignore[attr-defined]
    first = visit(portal_a, city_a)
    assert len(caches["pages"]._cache) == 1  # type: ignore[attr-defined]
    assert "承接高校院所专利技术的中小企业数" in first


def test_submitted_then_approved_figures_move_at_once(portal_a, official_a, city_a, reviewer):
    add_value(city_a.city, "sme_transformations", "2020", "30")
    before = sme_card(visit(portal_a, city_a))
    assert "30 家" in before

    report = submitted_report(city_a, official_a, {"sme_transformations": "12"})
    submitted = sme_card(visit(portal_a, city_a))
    # Awaiting review: shown apart, not yet in what counts.
    assert re.search(r"已提交待审核 12 家", submitted), submitted
    assert "30 家" in submitted

    reporting.report_approve(report=report, by=reviewer)
    approved = sme_card(visit(portal_a, city_a))
    assert "42 家" in approved and re.search(r"已提交待审核 0 家", approved), approved


def test_a_deleted_value_leaves_the_page_at_once(portal_a, city_a):
    value = add_value(city_a.city, "sme_transformations", "2020", "30")
    assert "30 家" in sme_card(visit(portal_a, city_a))
    MetricValue.objects.filter(pk=value.pk).delete()
    assert "30 家" not in sme_card(visit(portal_a, city_a))


def test_a_provisional_run_shows_at_once(
    portal_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    add_value(city_a.city, "sme_transformations", "2020", "30")
    assert "本市尚无评价结果" in text_of(visit(portal_a, city_a))
    with django_capture_on_commit_callbacks(execute=True):
        evaluation_run_request(
            programme=city_a.programme,
            kind=EvaluationRun.Kind.PROVISIONAL,
            trigger=EvaluationRun.Trigger.API,
            by=reviewer,
        )
    run = EvaluationRun.objects.get()
    assert run.status == "succeeded", run.error
    score = run.city_results.get(participation=city_a).score
    page = text_of(visit(portal_a, city_a))
    assert score > 0 and f"{score:.2f}" in page and "本市尚无评价结果" not in page


def test_an_official_run_shows_once_finalised_and_not_before(
    portal_a, city_a, reviewer, django_capture_on_commit_callbacks
):
    """An official run's result is the city's once every decision is signed off (the one rule
    of who sees a result): the sign-off that finalises the run shows it at once."""
    from evaluation.models import TrancheDecision
    from evaluation.services.decisions import decision_confirm
    from tests.factories import UserFactory

    add_value(city_a.city, "sme_transformations", "2020", "30")
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluation_run_request(
            programme=city_a.programme, trigger=EvaluationRun.Trigger.API, by=reviewer
        )
    assert "本市尚无评价结果" in text_of(visit(portal_a, city_a))  # awaiting sign-off
    signer = UserFactory(username="signer")
    signer.groups.add(reviewer.groups.get())
    decision = TrancheDecision.objects.get(city_result__run=run)
    decision_confirm(decision=decision, by=signer)
    page = text_of(visit(portal_a, city_a))
    score = run.city_results.get(participation=city_a).score
    assert "本市尚无评价结果" not in page and f"{score:.2f}" in page
    assert "已于" in page and "定稿" in page


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def test_a_new_target_shows_at_once(portal_a, city_a, reviewer):
    assert "100 家" in sme_card(visit(portal_a, city_a))  # the national floor
    targets_import(
        name="targets.csv",
        data=b"city_code,indicator,target\n210100,sme_transformations,150\n",
        programme=city_a.programme,
        by=reviewer,
    )
    card = sme_card(visit(portal_a, city_a))
    assert "150 家" in card and "城市承诺目标" in card, card


def test_a_revised_floor_shows_at_once(portal_a, city_a, reviewer):
    assert "100 家" in sme_card(visit(portal_a, city_a))
    ruleset = Ruleset.objects.get(programme=city_a.programme)
    ruleset_revise(ruleset=ruleset, by=reviewer, floors={"sme_transformations": Decimal(120)})
    assert "120 家" in sme_card(visit(portal_a, city_a))


def test_a_renamed_indicator_and_a_new_unit_word_show_at_once(portal_a, city_a):
    visit(portal_a, city_a)
    indicator = Indicator.objects.get(code="sme_transformations")
    indicator.name_zh = "承接专利技术的中小企业"
    indicator.unit_zh = "户"
    indicator.save()
    card = sme_card(visit(portal_a, city_a))
    assert "承接专利技术的中小企业" in card and "100 户" in card, card


def test_each_language_is_its_own_page(official_a, city_a):
    chinese, english = browser(official_a, "zh-hans"), browser(official_a, "en")
    for _round in range(2):
        assert "中小企业" in sme_card(visit(chinese, city_a))
        page = visit(english, city_a)
        assert "SMEs" in sme_card(page) and "中小企业" not in sme_card(page)


def test_the_next_day_the_page_is_drawn_for_that_day(portal_a, city_a, monkeypatch):
    """What is still needed is counted to the next evaluation date, which the day decides."""
    from cities import views

    monkeypatch.setattr(views.timezone, "localdate", lambda: dt.date(2021, 12, 31))
    assert "下一评价基准日：2021年12月31日" in text_of(visit(portal_a, city_a))
    monkeypatch.setattr(views.timezone, "localdate", lambda: dt.date(2022, 1, 1))
    page = text_of(visit(portal_a, city_a))
    assert "下一评价基准日：2022年12月31日" in page, page


# Who may see it ------------------------------------------------------------------------------


def test_an_official_taken_off_the_city_is_refused_at_once(portal_a, official_a, city_a):
    visit(portal_a, city_a)
    OfficialAssignment.objects.filter(user=official_a, participation=city_a).delete()
    response = portal_a.get(f"/city/{city_a.pk}/")
    assert response.status_code == 404
    assert "沈阳" not in response.content.decode()


def test_a_cached_page_is_never_shown_to_another_citys_official_or_a_visitor(
    portal_a, portal_b, anonymous, city_a, city_b
):
    assert "沈阳市" in visit(portal_a, city_a)
    other = portal_b.get(f"/city/{city_a.pk}/")
    assert other.status_code == 404 and "沈阳" not in other.content.decode()
    assert "乌鲁木齐市" in visit(portal_b, city_b)
    signed_out = anonymous.get(f"/city/{city_a.pk}/")
    assert signed_out.status_code == 302 and "沈阳" not in signed_out.content.decode()


def test_a_second_city_and_a_renamed_city_show_in_the_header_at_once(
    portal_a, official_a, city_a, programme
):
    assert '<select id="city-select"' not in visit(portal_a, city_a)
    second = ParticipationFactory(programme=programme, city__code="420500", city__name_zh="宜昌市")
    OfficialAssignment.objects.create(user=official_a, participation=second)
    page = visit(portal_a, city_a)
    assert '<select id="city-select"' in page and "宜昌市" in page

    city = City.objects.get(pk=second.city_id)
    city.name_zh = "宜昌"
    city.save()
    assert "宜昌 ·" in visit(portal_a, city_a)


def test_the_forms_of_a_cached_page_carry_the_visitors_own_token(official_a, city_a):
    """The page is kept without its CSRF token; each visitor's own goes in."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(official_a)
    visit(client, city_a)
    cached = visit(client, city_a)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', cached).group(1)
    assert "csrf_token" not in token
    response = client.post("/sign-out/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert client.get(f"/city/{city_a.pk}/").status_code == 302  # signed out


def test_a_message_waiting_is_shown_once_and_not_kept(portal_a, official_a, city_a):
    visit(portal_a, city_a)
    # Saved as a draft: the message waits for the next page, here the dashboard.
    saved = portal_a.post(
        f"/city/{city_a.pk}/periods/2021-03/",
        {**complete({}), "version": "", "action": "save"},
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    with_message = visit(portal_a, city_a)
    assert "草稿" in with_message
    assert "草稿" not in visit(portal_a, city_a)
    assert not list(get_messages(portal_a.get(f"/city/{city_a.pk}/").wsgi_request))


def test_the_version_moves_when_an_earlier_transaction_commits_later(official_a, city_a):
    """A change committed after a newer one (its history row dated earlier) still moves the
    version: the count of changes rises even though the newest date does not."""
    add_value(city_a.city, "sme_transformations", "2021-01", "3")
    before = selectors.dashboard_version(fetched_by=official_a, pk=city_a.pk)
    value = add_value(city_a.city, "sme_transformations", "2021-02", "4")
    newest = MetricValue.history.filter(city_id=city_a.city_id).latest("history_date")
    older = newest.history_date - dt.timedelta(hours=1)
    MetricValue.history.filter(pk=newest.pk).update(history_date=older)
    assert value.pk and selectors.dashboard_version(fetched_by=official_a, pk=city_a.pk) != before


def test_nothing_another_city_does_moves_the_version(official_a, city_a, city_b):
    before = selectors.dashboard_version(fetched_by=official_a, pk=city_a.pk)
    add_value(city_b.city, "sme_transformations", "2021-01", "3")
    assert selectors.dashboard_version(fetched_by=official_a, pk=city_a.pk) == before


def test_a_query_string_is_drawn_and_not_kept_so_nobody_can_fill_the_cache(portal_a, city_a):
    visit(portal_a, city_a)
    for n in range(5):
        assert portal_a.get(f"/city/{city_a.pk}/?n={n}").status_code == 200
    assert len(caches["pages"]._cache) == 1  # type: ignore[attr-defined]


def test_the_token_goes_only_where_the_page_put_its_slot(official_a, city_a):
    """Nothing a visitor sends can make the page repeat their token elsewhere (a link they
    would then follow): the slot is a random word drawn with the page."""
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(official_a)
    plain = visit(client, city_a)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', plain).group(1)
    places = plain.count(token)
    cached = visit(client, city_a)
    assert cached.count(re.search(r'csrfmiddlewaretoken" value="([^"]+)"', cached).group(1)) == (
        places
    )
    asked = client.get(f"/city/{city_a.pk}/?next=__portal_csrf_token__").content.decode()
    own = re.search(r'csrfmiddlewaretoken" value="([^"]+)"', asked).group(1)
    assert asked.count(own) == places


def test_a_participation_moved_in_the_admin_moves_the_version(official_a, city_a, city_b):
    before = selectors.dashboard_version(fetched_by=official_a, pk=city_a.pk)
    city_a.first_tranche = city_a.first_tranche  # saved unchanged: a history row all the same
    city_a.save()
    assert selectors.dashboard_version(fetched_by=official_a, pk=city_a.pk) != before
