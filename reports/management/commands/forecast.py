"""``manage.py forecast --programme 2020 [--city CODE] [--today DATE]``: where each city is
heading at the next evaluation date, at its current pace (a forecast, never stored)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext

from evaluation.exceptions import NoRuleset
from evaluation.forecasts import ORDERS, city_forecast, programme_forecast
from evaluation.models import Participation, Programme
from evaluation.scoring import Rate
from evaluation.selectors import programme_get
from evaluation.vocabulary import indicator_name, say
from reports import figures


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            gettext("--today %(text)r is not a date like 2021-06-30") % {"text": text}
        ) from None


class Command(BaseCommand):
    help = (
        "Forecast every city of a programme to the next evaluation date from its approved "
        "figures so far (most at risk of falling a tier first), or one city in detail."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--programme", required=True, help='programme code, e.g. "2020"')
        parser.add_argument("--city", help="one city's division code: its forecast in detail")
        parser.add_argument("--today", type=_date, help="forecast as on this day (default: today)")
        parser.add_argument("--order", choices=ORDERS, default="risk", help="order of the cities")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            programme = programme_get(code=options["programme"])
        except Programme.DoesNotExist:
            raise CommandError(
                gettext("unknown programme %(code)r") % {"code": options["programme"]}
            ) from None
        today = options["today"] or timezone.localdate()
        try:
            if options["city"]:
                self._city(programme, options["city"], today)
            else:
                self._programme(programme, today, options["order"])
        except NoRuleset as exc:
            raise CommandError(str(exc)) from None

    def _programme(self, programme: Programme, today: dt.date, order: str) -> None:
        found = programme_forecast(programme=programme, fetched_by=None, today=today, order=order)
        self.stdout.write(
            gettext(
                "Forecast of programme %(programme)s to %(date)s (ruleset %(ruleset)s), "
                "as on %(today)s: at the current pace; never stored as a result."
            )
            % {
                "programme": programme.code,
                "date": found.by.isoformat(),
                "ruleset": found.ruleset,
                "today": today.isoformat(),
            }
        )
        for view in found.cities:
            city = f"{view.participation.city.code} {indicator_name(view.participation.city)}"
            if view.likely is None or view.low is None or view.high is None:
                self.stdout.write(
                    gettext("  %(city)s: cannot be forecast: %(why)s")
                    % {"city": city, "why": view.problem}
                )
                continue
            self.stdout.write(
                gettext(
                    "  %(city)s: %(score)s, %(grade)s, %(amount)s yuan (range %(low)s "
                    "%(low_grade)s to %(high)s %(high_grade)s); risk of falling a tier %(risk)s"
                )
                % {
                    "city": city,
                    "score": figures.number(view.likely.score),
                    "grade": view.likely.grade_label,
                    "amount": figures.money(view.likely.amount),
                    "low": figures.number(view.low.score),
                    "low_grade": view.low.grade_label,
                    "high": figures.number(view.high.score),
                    "high_grade": view.high.grade_label,
                    "risk": figures.percent(view.risk.quantize(Decimal("0.0001"))),
                }
            )
        self.stdout.write(
            gettext("Likely release in all: %(total)s yuan.")
            % {"total": figures.money(found.likely_total)}
        )

    def _city(self, programme: Programme, code: str, today: dt.date) -> None:
        participation = (
            Participation.objects.select_related("programme", "city")
            .filter(programme=programme, city__code=code)
            .first()
        )
        if participation is None:
            raise CommandError(
                gettext("city %(city)s is not in programme %(programme)s")
                % {"city": code, "programme": programme.code}
            )
        view = city_forecast(participation=participation, fetched_by=None, today=today)
        if view.problem or view.likely is None or view.low is None or view.high is None:
            raise CommandError(gettext("cannot be forecast: %(why)s") % {"why": view.problem})
        self.stdout.write(
            gettext(
                "%(city)s at the current pace, by %(date)s: %(grade)s, %(amount)s yuan "
                "(score %(score)s, range %(low)s to %(high)s)."
            )
            % {
                "city": indicator_name(participation.city),
                "date": view.by.isoformat(),
                "grade": view.likely.grade_label,
                "amount": figures.money(view.likely.amount),
                "score": figures.number(view.likely.score),
                "low": figures.number(view.low.score),
                "high": figures.number(view.high.score),
            }
        )
        for line in view.indicators:

            def figure(value: object, places: int = line.places) -> str:
                if isinstance(value, Rate):
                    return figures.percent(value.value.quantize(Decimal("0.0001")))
                if isinstance(value, Decimal):
                    return f"{value:,.{places}f}"
                if isinstance(value, dt.date):
                    return value.isoformat()
                return "—" if value is None else str(value)

            self.stdout.write(
                gettext("  %(name)s: %(points)s of %(weight)s points. %(basis)s")
                % {
                    "name": line.name,
                    "points": figures.number(line.points),
                    "weight": figures.number(line.weight),
                    "basis": say(line.basis, figure),
                }
            )
        if view.need is not None:
            if view.need.options:
                self.stdout.write(
                    gettext("To reach %(grade)s by %(date)s, any one of these, beyond the pace:")
                    % {"grade": view.need.grade_label, "date": view.by.isoformat()}
                )
                for option in view.need.options:
                    self.stdout.write(
                        gettext("  %(extra)s %(unit)s more: %(name)s")
                        % {
                            "extra": f"{option.extra:,.{option.places}f}",
                            "unit": option.unit,
                            "name": option.name,
                        }
                    )
            else:
                self.stdout.write(
                    gettext(
                        "To reach %(grade)s: %(points)s more points; no single indicator can "
                        "close the gap alone."
                    )
                    % {
                        "grade": view.need.grade_label,
                        "points": figures.number(view.need.shortfall),
                    }
                )
