"""The people, ruleset and data of the spot checks, for the tests of every layer."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User

from evaluation.models import Participation, Programme, Ruleset
from evaluation.services.people import role_grant
from evaluation.services.ruleset_parts import ruleset_copy
from evaluation.services.rulesets import ruleset_freeze
from tests.factories import CityFactory, ParticipationFactory, UserFactory, add_value


def ruleset_with_checks(
    programme: Programme, *, tolerance: str = "0.05", deduction: str = "2"
) -> Ruleset:
    """The programme's next version with the verified-values part (its current ruleset)."""
    current = Ruleset.objects.filter(programme=programme).order_by("-version").first()
    assert current is not None
    ruleset_freeze(ruleset=current)
    made = ruleset_copy(ruleset=current, by=None)
    made.spot_checks, made.tolerance, made.deduction = True, Decimal(tolerance), Decimal(deduction)
    made.save()
    return made


def checker_named(username: str) -> User:
    user = UserFactory(username=username)
    role_grant(user=user, role="checker", by=None)
    return user


def hefei(programme: Programme) -> Participation:
    """Hefei with the worked example's figures: transfers 1,000 (2019) to 1,500 (2021), SME
    transformations 30 (2020) and 25 (2021)."""
    city = CityFactory(code="340100", name_en="Hefei", name_zh="合肥市", province="Anhui")
    participation = ParticipationFactory(programme=programme, city=city)
    add_value(city, "transfer_licence_count", "2019", "1000")
    add_value(city, "transfer_licence_count", "2021", "1500")
    add_value(city, "sme_transformations", "2020", "30")
    add_value(city, "sme_transformations", "2021", "25")
    return participation
