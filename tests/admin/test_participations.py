"""Programmes, participations (money and committed targets) and cities in the admin, refused
for the same reasons as the files refuse them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from evaluation.models import Indicator, Participation, Programme, Target
from evaluation.models.cities import City
from tests.admin.conftest import form_data, page
from tests.factories import CityFactory, ParticipationFactory, add_target

pytestmark = pytest.mark.django_db

PARTICIPATIONS = "/admin/evaluation/participation/"


def empty_inlines(**rows) -> dict[str, str]:
    data = {}
    for prefix in ("targets", "officials"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data | rows


def errors_of(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "expected the form again, with its errors"
    form = response.context["adminform"].form
    return {field: list(errors) for field, errors in form.errors.items()}


def inline_errors(response, prefix: str) -> list[dict[str, list[str]]]:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            return [dict(form.errors) for form in inline.formset.forms]
    raise AssertionError(f"no inline {prefix}")


@pytest.fixture
def wide() -> Programme:
    """A batch whose notice gives ranges, so a first tranche can exceed a total in range."""
    return Programme.objects.create(
        code="2099",
        name="a batch with ranges",
        baseline_year=2098,
        midterm_as_of=dt.date(2099, 12, 31),
        total_amount_min=Decimal("100000000.00"),
        total_amount_max=Decimal("200000000.00"),
        first_tranche_min=Decimal("0.00"),
        first_tranche_max=Decimal("200000000.00"),
    )


# Money ---------------------------------------------------------------------------------------


def test_a_participation_with_the_programmes_sums_is_added(admin_client, programme):
    city = CityFactory(code="330100", name_en="Hangzhou")

    response = admin_client.post(
        PARTICIPATIONS + "add/",
        empty_inlines(
            programme=programme.pk,
            city=city.pk,
            total_amount="150000000.00",
            first_tranche="100000000.00",
        ),
    )

    assert response.status_code == 302
    added = Participation.objects.get(city=city)
    assert (added.total_amount, added.first_tranche) == (
        Decimal("150000000.00"),
        Decimal("100000000.00"),
    )
    assert added.history.get().history_user.username == "administrator"


def test_amounts_outside_the_programmes_range_are_refused(admin_client, programme):
    city = CityFactory(code="330100")

    response = admin_client.post(
        PARTICIPATIONS + "add/",
        empty_inlines(
            programme=programme.pk,
            city=city.pk,
            total_amount="160000000.00",
            first_tranche="90000000.00",
        ),
    )

    errors = errors_of(response)
    assert errors["total_amount"] == ["outside programme 2020's range 150000000.00-150000000.00"]
    assert errors["first_tranche"] == ["outside programme 2020's range 100000000.00-100000000.00"]
    assert not Participation.objects.filter(city=city).exists()


def test_a_first_tranche_above_the_total_is_refused(admin_client, wide):
    city = CityFactory(code="330100")

    response = admin_client.post(
        PARTICIPATIONS + "add/",
        empty_inlines(
            programme=wide.pk,
            city=city.pk,
            total_amount="120000000.00",
            first_tranche="130000000.00",
        ),
    )

    assert errors_of(response) == {"first_tranche": ["the first tranche exceeds the total"]}
    assert not Participation.objects.filter(city=city).exists()


def test_changing_a_participations_money_out_of_range_changes_nothing(admin_client, city_a):
    form = admin_client.get(f"{PARTICIPATIONS}{city_a.pk}/change/")
    data = form_data(form) | {"total_amount": "149999999.99"}

    response = admin_client.post(f"{PARTICIPATIONS}{city_a.pk}/change/", data)

    assert "total_amount" in errors_of(response)
    city_a.refresh_from_db()
    assert city_a.total_amount == Decimal("150000000.00")


def test_a_city_joins_a_programme_once(admin_client, city_a):
    response = admin_client.post(
        PARTICIPATIONS + "add/",
        empty_inlines(
            programme=city_a.programme_id,
            city=city_a.city_id,
            total_amount="150000000.00",
            first_tranche="100000000.00",
        ),
    )

    assert errors_of(response) == {
        "__all__": ["Participation with this Programme and City already exists."]
    }
    assert Participation.objects.filter(city=city_a.city).count() == 1


# Committed targets ---------------------------------------------------------------------------


def with_target(data: dict, indicator: str, value: str) -> dict:
    return data | {
        "targets-TOTAL_FORMS": str(int(data["targets-TOTAL_FORMS"]) + 1),
        f"targets-{data['targets-TOTAL_FORMS']}-indicator": Indicator.objects.get(
            code=indicator
        ).pk,
        f"targets-{data['targets-TOTAL_FORMS']}-value": value,
    }


def test_a_target_at_or_above_the_floor_is_saved(admin_client, city_a):
    data = form_data(admin_client.get(f"{PARTICIPATIONS}{city_a.pk}/change/"))

    response = admin_client.post(
        f"{PARTICIPATIONS}{city_a.pk}/change/",
        with_target(data, "transfer_licence_count", "0.25"),
    )

    assert response.status_code == 302
    assert Target.objects.get(participation=city_a).value == Decimal("0.25")


def test_a_target_below_the_national_floor_is_refused(admin_client, city_a):
    data = form_data(admin_client.get(f"{PARTICIPATIONS}{city_a.pk}/change/"))

    response = admin_client.post(
        f"{PARTICIPATIONS}{city_a.pk}/change/",
        with_target(data, "transfer_licence_count", "0.15"),
    )

    assert inline_errors(response, "targets") == [{"value": ["below the national floor 0.2"]}]
    assert "below the national floor 0.2" in page(response)
    assert not Target.objects.filter(participation=city_a).exists()


def test_lowering_a_target_below_the_floor_is_refused(admin_client, city_a):
    add_target(city_a, "certified_entities", "250")
    data = form_data(admin_client.get(f"{PARTICIPATIONS}{city_a.pk}/change/"))
    data["targets-0-value"] = "150"

    response = admin_client.post(f"{PARTICIPATIONS}{city_a.pk}/change/", data)

    assert inline_errors(response, "targets") == [{"value": ["below the national floor 200"]}]
    assert Target.objects.get(participation=city_a).value == Decimal("250")


def test_a_target_below_the_floor_is_refused_when_adding_the_participation(admin_client, programme):
    city = CityFactory(code="330100")
    data = with_target(
        empty_inlines(
            programme=programme.pk,
            city=city.pk,
            total_amount="150000000.00",
            first_tranche="100000000.00",
        ),
        "pledge_amount",
        "0.10",
    )

    response = admin_client.post(PARTICIPATIONS + "add/", data)

    saved = list(Target.objects.filter(participation__city=city).values_list("value", flat=True))
    assert saved == [], f"a target below the floor was saved: {saved}"
    assert not Participation.objects.filter(city=city).exists()
    assert inline_errors(response, "targets") == [{"value": ["below the national floor 0.3"]}]


def test_a_target_for_a_programme_without_a_ruleset_is_refused_not_a_crash(admin_client):
    """The targets file refuses such a target ("programme 2019 has no ruleset"); the admin must
    refuse it too, not fail with a server error."""
    joined = ParticipationFactory(programme=Programme.objects.get(code="2019"))
    data = form_data(admin_client.get(f"{PARTICIPATIONS}{joined.pk}/change/"))

    admin_client.raise_request_exception = False
    response = admin_client.post(
        f"{PARTICIPATIONS}{joined.pk}/change/", with_target(data, "pledge_amount", "0.50")
    )

    assert response.status_code == 200
    assert not Target.objects.filter(participation=joined).exists()


# Cities and programmes -----------------------------------------------------------------------


def test_the_cities_are_listed_and_searchable(reviewer_client, city_a, city_b):
    everything = reviewer_client.get("/admin/evaluation/city/")
    found = reviewer_client.get("/admin/evaluation/city/?q=Shenzhen")
    by_code = reviewer_client.get("/admin/evaluation/city/?q=110105")

    assert [c.code for c in everything.context["cl"].result_list] == ["110105", "440300"]
    assert [c.code for c in found.context["cl"].result_list] == ["440300"]
    assert [c.code for c in by_code.context["cl"].result_list] == ["110105"]
    assert "440300 Shenzhen" in page(found)
    assert "Chaoyang" not in page(found)


def test_the_cities_old_admin_addresses_lead_to_the_same_pages(reviewer_client, city_a):
    pk = city_a.city.pk

    listed = reviewer_client.get("/admin/cities/city/?q=Shenzhen", follow=True)
    opened = reviewer_client.get(f"/admin/cities/city/{pk}/change/", follow=True)
    history = reviewer_client.get(f"/admin/cities/city/{pk}/history/")

    assert listed.redirect_chain == [("/admin/evaluation/city/?q=Shenzhen", 301)]
    assert [c.code for c in listed.context["cl"].result_list] == ["440300"]
    assert opened.redirect_chain == [(f"/admin/evaluation/city/{pk}/change/", 301)]
    assert "440300" in page(opened)
    assert history["Location"] == f"/admin/evaluation/city/{pk}/history/"


def test_a_city_code_must_have_six_digits(admin_client):
    response = admin_client.post(
        "/admin/evaluation/city/add/",
        {"code": "44030", "name_en": "Nowhere", "name_zh": "无", "province": "Guangdong"},
    )

    errors = errors_of(response)
    assert errors and set(errors) <= {"code", "__all__"}, errors
    assert not City.objects.filter(code="44030").exists()


def test_an_administrator_adds_a_city(admin_client):
    response = admin_client.post(
        "/admin/evaluation/city/add/",
        {"code": "330100", "name_en": "Hangzhou", "name_zh": "杭州市", "province": "Zhejiang"},
    )

    assert response.status_code == 302
    assert City.objects.get(code="330100").name_en == "Hangzhou"


def test_the_participations_list_shows_the_remaining_amount(reviewer_client, city_a):
    text = page(reviewer_client.get(PARTICIPATIONS))

    assert "440300 Shenzhen" in text
    assert "50,000,000.00" in text


def test_the_sums_are_listed_in_yuan_with_thousands_separators(reviewer_client, city_a):
    text = page(reviewer_client.get(PARTICIPATIONS))
    total, first = city_a.total_amount, city_a.first_tranche
    assert f"{total:,.2f}" in text and f"{first:,.2f}" in text, text
    assert f"{total:.2f}" not in text
