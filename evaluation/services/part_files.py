"""What the files of the optional parts (budget plan, expenditure, task choices, task scores)
check alike: each row's city is one of the programme's, required columns are filled, a row is
not given twice."""

from __future__ import annotations

from django.utils.translation import gettext

from evaluation.exceptions import RowError
from evaluation.models import Participation, Programme
from evaluation.models.cities import City
from evaluation.tabular import Row


def participations_of_rows(programme: Programme, rows: list[Row]) -> dict[str, Participation]:
    """The programme's participations of the cities the rows name, by city code (one query)."""
    codes = {row.values.get("city_code", "") for row in rows}
    return {
        p.city.code: p
        for p in Participation.objects.filter(
            programme=programme, city__code__in=codes
        ).select_related("city", "programme")
    }


def participation_of_row(
    row: Row,
    participations: dict[str, Participation],
    programme: Programme,
    errors: list[RowError],
) -> Participation | None:
    """The row's city's participation, or None with the reason added to ``errors``."""
    code = required(row, "city_code", errors)
    if not code:
        return None
    participation = participations.get(code)
    if participation is None:
        known = City.objects.filter(code=code).exists()
        errors.append(
            RowError(
                row.line,
                "city_code",
                gettext("city %(code)s is not in programme %(programme)s")
                % {"code": code, "programme": programme.code}
                if known
                else gettext("unknown city %(code)s") % {"code": code},
            )
        )
    return participation


def required(row: Row, column: str, errors: list[RowError]) -> str:
    value = row.values.get(column, "")
    if not value:
        errors.append(RowError(row.line, column, gettext("a value is required")))
    return value


def duplicate(row: Row, first: int, what: str) -> RowError:
    return RowError(
        row.line,
        None,
        gettext("duplicate of line %(line)s (%(row)s)") % {"line": first, "row": what},
    )
