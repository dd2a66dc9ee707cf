"""factory_boy factories for the people and things of the programme."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from evaluation.models import (
    GradeBand,
    Indicator,
    IndicatorRule,
    MetricValue,
    Participation,
    Programme,
    Ruleset,
    Target,
)
from evaluation.models.cities import City
from evaluation.scoring import Period


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{900000 + n:06d}")
    name_en = factory.Sequence(lambda n: f"Test City {n}")
    name_zh = factory.Sequence(lambda n: f"测试市{n}")
    province = "Test Province"


class ParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participation

    programme = factory.LazyFunction(lambda: Programme.objects.get(code="2020"))
    city = factory.SubFactory(CityFactory)
    total_amount = Decimal("150000000.00")
    first_tranche = Decimal("100000000.00")


def add_target(participation: Participation, indicator: str, value: str) -> Target:
    return Target.objects.create(
        participation=participation,
        indicator=Indicator.objects.get(code=indicator),
        value=Decimal(value),
    )


def add_value(
    city: City, indicator: str, period: str, value: str | Decimal, *, approved: bool = True
) -> MetricValue:
    parsed = Period.parse(period)
    now = timezone.now()
    return MetricValue.objects.create(
        city=city,
        indicator=Indicator.objects.get(code=indicator),
        year=parsed.year,
        granularity=str(parsed.granularity),
        number=parsed.number,
        value=Decimal(value),
        status=MetricValue.Status.APPROVED if approved else MetricValue.Status.SUBMITTED,
        submitted_at=now,
        approved_at=now if approved else None,
    )


def meet_every_target(city: City) -> None:
    """Approved values that give 100 points under the default 2020 ruleset (excellent,
    everything released): growth of exactly 40% a year or more, and cumulative counts at the
    pro-rated mid-term targets."""
    for indicator in ("transfer_licence_count", "pledge_amount", "pledge_projects"):
        add_value(city, indicator, "2019", "100")
        add_value(city, indicator, "2021", "200")
    add_value(city, "contract_turnover", "2019", "100")
    add_value(city, "contract_turnover", "2021", "196")  # 1.4 ** 2: exactly 40% a year
    for indicator, total in (
        ("sme_transformations", "67"),
        ("certified_entities", "134"),
        ("securitization_products", "1"),
        ("navigation_projects", "4"),
        ("trusteeship_smes", "667"),
        ("operation_centres", "2"),
    ):
        add_value(city, indicator, "2020", total)


INDICATORS_2020 = (
    "transfer_licence_count",
    "pledge_amount",
    "pledge_projects",
    "contract_turnover",
    "sme_transformations",
    "certified_entities",
    "securitization_products",
    "navigation_projects",
    "trusteeship_smes",
    "operation_centres",
)


def complete(values: dict[str, str], rest: str = "0") -> dict[str, str]:
    """``values`` with every other indicator of the 2020 ruleset at ``rest``: a report can be
    submitted only when it has a value for every indicator."""
    return {code: rest for code in INDICATORS_2020} | values


def with_the_2020_rules(programme: Programme) -> None:
    """The 2019 batch ships without a ruleset: give it the 2020 one's rules and bands."""
    source = Ruleset.objects.get(programme__code="2020", version=1)
    ruleset = Ruleset.objects.create(programme=programme, version=1)
    for rule in source.rules.all():
        IndicatorRule.objects.create(
            ruleset=ruleset,
            indicator_id=rule.indicator_id,
            kind=rule.kind,
            floor=rule.floor,
            weight=rule.weight,
        )
    for band in source.bands.all():
        GradeBand.objects.create(
            ruleset=ruleset,
            grade=band.grade,
            min_score=band.min_score,
            release_share=band.release_share,
        )
