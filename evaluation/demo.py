"""SYNTHETIC demo data for the 11 real cities of the 2020 batch.

The cities and their division codes are real; every figure is made up. Each city is given a
level of attainment so that every grade appears in the mid-term evaluation. The data goes
through the same import services (and checks) as any file.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import User

from evaluation.models import Programme
from evaluation.services.imports import (
    ImportSummary,
    cities_import,
    metrics_import,
    targets_import,
)
from evaluation.writers import csv_bytes

PROGRAMME = "2020"

# code, English name, Chinese name, province, attainment level (1 = exactly on target)
CITIES = [
    ("110105", "Beijing Chaoyang District", "北京市朝阳区", "Beijing", Decimal("1.30")),
    ("120116", "Tianjin Binhai New Area", "天津市滨海新区", "Tianjin", Decimal("1.02")),
    ("140100", "Taiyuan", "太原市", "Shanxi", Decimal("0.86")),
    ("210100", "Shenyang", "沈阳市", "Liaoning", Decimal("0.72")),
    ("220100", "Changchun", "长春市", "Jilin", Decimal("0.84")),
    ("340100", "Hefei", "合肥市", "Anhui", Decimal("1.10")),
    ("370600", "Yantai", "烟台市", "Shandong", Decimal("0.97")),
    ("410300", "Luoyang", "洛阳市", "Henan", Decimal("0.66")),
    ("420500", "Yichang", "宜昌市", "Hubei", Decimal("0.78")),
    ("530100", "Kunming", "昆明市", "Yunnan", Decimal("0.52")),
    ("650100", "Urumqi", "乌鲁木齐市", "Xinjiang", Decimal("0.38")),
]

CENT = Decimal("0.01")
Yearly = dict[int, Decimal]


def _growing(
    target: Decimal, attainment: Decimal, typical: int, step: Decimal, rng: random.Random
) -> tuple[Decimal, Yearly]:
    """A baseline near ``typical`` growing each year at ``attainment`` of the target rate; the
    first quarter of 2022 at a quarter of that year's figure."""
    base = (Decimal(typical) * Decimal(rng.randint(60, 160)) / 100).quantize(step)
    growth = target * attainment
    return base, {
        2020: (base * (1 + growth)).quantize(step, rounding=ROUND_HALF_UP),
        2021: (base * (1 + growth) ** 2).quantize(step, rounding=ROUND_HALF_UP),
        2022: (base * (1 + growth) ** 3 / 4).quantize(step, rounding=ROUND_HALF_UP),
    }


def _adding_up(
    target: Decimal, attainment: Decimal, typical: int, step: Decimal, rng: random.Random
) -> tuple[Decimal, Yearly]:
    """A total by the mid-term of ``attainment`` of two thirds of the target (40% of it in
    2020), a sixth more in the first quarter of 2022. The baseline year does not count
    towards such a total; it is reported anyway, as cities do, to show that it is left out."""
    mid_term = target * 2 / 3 * attainment
    total = mid_term.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    first = (total * Decimal("0.4")).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    yearly = {2020: first, 2021: total - first, 2022: (total / 6).quantize(Decimal(1))}
    return (total / 3).quantize(Decimal(1)), yearly


# indicator, how its figures are made up (for a rate of growth or a total), national floor,
# typical baseline (growing figures) and whether it is an amount
INDICATORS = [
    ("transfer_licence_count", _growing, Decimal("0.20"), 1500, False),
    ("pledge_amount", _growing, Decimal("0.30"), 120000, True),
    ("pledge_projects", _growing, Decimal("0.30"), 160, False),
    ("contract_turnover", _growing, Decimal("0.40"), 400000, True),
    ("sme_transformations", _adding_up, Decimal("100"), 0, False),
    ("certified_entities", _adding_up, Decimal("200"), 0, False),
    ("securitization_products", _adding_up, Decimal("1"), 0, False),
    ("navigation_projects", _adding_up, Decimal("5"), 0, False),
    ("trusteeship_smes", _adding_up, Decimal("1000"), 0, False),
    ("operation_centres", _adding_up, Decimal("3"), 0, False),
]

# Targets some cities committed to above the national floor.
COMMITTED = {
    ("110105", "transfer_licence_count"): Decimal("0.25"),
    ("110105", "sme_transformations"): Decimal("150"),
    ("340100", "contract_turnover"): Decimal("0.45"),
    ("340100", "certified_entities"): Decimal("240"),
    ("120116", "trusteeship_smes"): Decimal("1200"),
}

# Left out on purpose, to show a not-assessable indicator flagged for the reviewer.
MISSING = {("370600", "pledge_projects", "2021-12")}


def _split(total: Decimal, parts: int, rng: random.Random, *, amount: bool) -> list[Decimal]:
    """``total`` spread over ``parts`` periods with some seasonality; exact sum."""
    weights = [Decimal(rng.randint(70, 130)) for _ in range(parts)]
    scale = total / sum(weights)
    step = CENT if amount else Decimal(1)
    shares = [(w * scale).quantize(step, rounding="ROUND_DOWN") for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def demo_rows() -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    cities = [["code", "name_en", "name_zh", "province"]]
    targets = [["city_code", "indicator", "target"]]
    metrics = [["city_code", "period", "indicator", "value"]]
    for code, name_en, name_zh, province, level in CITIES:
        cities.append([code, name_en, name_zh, province])
        rng = random.Random(int(code))
        for indicator, made_up, floor, typical, amount in INDICATORS:
            target = COMMITTED.get((code, indicator))
            if target is not None:
                targets.append([code, indicator, f"{target}"])
            target = target or floor
            # Each indicator strays a little from the city's level.
            attainment = max(Decimal(0), level + Decimal(rng.randint(-8, 8)) / 100)
            step = CENT if amount else Decimal(1)
            baseline, yearly = made_up(target, attainment, typical, step, rng)
            metrics.append([code, "2019", indicator, f"{baseline}"])
            for year, months in ((2020, 12), (2021, 12), (2022, 3)):
                for month, value in enumerate(_split(yearly[year], months, rng, amount=amount), 1):
                    period = f"{year}-{month:02d}"
                    if (code, indicator, period) not in MISSING:
                        metrics.append([code, period, indicator, f"{value}"])
    return cities, targets, metrics


def _csv(rows: list[list[str]]) -> bytes:
    return csv_bytes(rows)


def demo_files() -> dict[str, bytes]:
    cities, targets, metrics = demo_rows()
    return {
        "synthetic-cities.csv": _csv(cities),
        "synthetic-targets.csv": _csv(targets),
        "synthetic-metrics.csv": _csv(metrics),
    }


def demo_load(*, by: User | None = None) -> dict[str, ImportSummary]:
    """Load the demo cities, targets and (approved) metrics into the 2020 programme."""
    programme = Programme.objects.get(code=PROGRAMME)
    files = demo_files()
    return {
        "synthetic-cities.csv": cities_import(
            name="synthetic-cities.csv",
            data=files["synthetic-cities.csv"],
            programme=programme,
            by=by,
        ),
        "synthetic-targets.csv": targets_import(
            name="synthetic-targets.csv",
            data=files["synthetic-targets.csv"],
            programme=programme,
            by=by,
        ),
        "synthetic-metrics.csv": metrics_import(
            name="synthetic-metrics.csv", data=files["synthetic-metrics.csv"], approve=True, by=by
        ),
    }
