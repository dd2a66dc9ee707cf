from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.exceptions import Forbidden, WorkflowError
from evaluation.models import Participation, Programme
from evaluation.models.cities import City
from evaluation.services.panel import (
    expert_assign,
    expert_home_city_set,
    expert_unassign,
    own_city_ids,
)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "Put an expert on a programme's panel for the cities named (--city, repeated), or "
            "for every city but their own; --home-city records the city they belong to, which "
            "they never score; --revoke takes them off."
        )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--programme", required=True, help=_('programme code, e.g. "2020"'))
        parser.add_argument("--city", action="append", default=[], help=_("a city's code"))
        parser.add_argument("--home-city", help=_("the code of the city the expert belongs to"))
        parser.add_argument("--revoke", action="store_true", help=_("take the expert off"))
        parser.add_argument("--by", metavar="USERNAME", help=_("the administrator (default: none)"))

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(_("no user named %(name)r") % {"name": username}) from None

    def handle(self, *args: Any, **options: Any) -> None:
        expert = self._user(options["username"])
        by = self._user(options["by"]) if options["by"] else None
        try:
            programme = Programme.objects.get(code=options["programme"])
        except Programme.DoesNotExist:
            raise CommandError(
                _("unknown programme %(code)r") % {"code": options["programme"]}
            ) from None
        try:
            if options["home_city"]:
                city = City.objects.filter(code=options["home_city"]).first()
                if city is None:
                    raise CommandError(_("unknown city %(code)s") % {"code": options["home_city"]})
                expert_home_city_set(expert=expert, city=city, by=by)
            chosen = Participation.objects.filter(programme=programme).select_related("city")
            if options["city"]:
                chosen = chosen.filter(city__code__in=options["city"])
                missing = set(options["city"]) - {p.city.code for p in chosen}
                if missing:
                    raise CommandError(
                        _("not cities of programme %(programme)s: %(codes)s")
                        % {"programme": programme.code, "codes": ", ".join(sorted(missing))}
                    )
            elif not options["revoke"]:
                chosen = chosen.exclude(city_id__in=own_city_ids(expert))
            service = expert_unassign if options["revoke"] else expert_assign
            changed = [
                p.city.code
                for p in chosen.order_by("city__code")
                if service(expert=expert, participation=p, by=by)
            ]
        except WorkflowError as exc:
            raise CommandError("; ".join(e.reason for e in exc.errors)) from None
        except Forbidden as exc:
            raise CommandError(str(exc)) from None
        message = (
            _("%(expert)s taken off the panel of %(programme)s for: %(cities)s")
            if options["revoke"]
            else _("%(expert)s on the panel of %(programme)s for: %(cities)s")
        )
        self.stdout.write(
            message
            % {
                "expert": expert.username,
                "programme": programme.code,
                "cities": ", ".join(changed) or _("no change"),
            }
        )
