"""The indicator catalogue, the 2018, 2019 and 2020 batches, and the 2020 default ruleset, as
docs/../shared/spec/programme-rules.md gives them. Their cities come later, by import."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

INDICATORS = [
    # code, English name, Chinese name, unit, rule kind, national floor, default weight
    ("transfer_licence_count", "Number of IP transfers and licences", "知识产权转让许可次数",
     "count", "growth", "0.20", "20"),
    ("pledge_amount", "IP pledge-financing amount (10,000 yuan)", "知识产权质押融资金额（万元）",
     "amount", "growth", "0.30", "10"),
    ("pledge_projects", "Number of IP pledge-financing projects", "知识产权质押融资项目数",
     "count", "growth", "0.30", "10"),
    ("contract_turnover", "Patented-technology contract turnover (10,000 yuan)",
     "专利技术合同成交额（万元）", "amount", "growth", "0.40", "20"),
    ("sme_transformations", "SMEs that took up university/institute patent technology",
     "承接高校院所专利技术的中小企业数", "count", "cumulative", "100", "15"),
    ("certified_entities", "Entities certified to IP-management standards",
     "知识产权管理规范贯标认证的企业、高校、科研院所数", "count", "cumulative", "200", "15"),
    ("securitization_products", "IP securitization products issued", "知识产权证券化产品发行数",
     "count", "cumulative", "1", "3"),
    ("navigation_projects", "Industrial patent-navigation demonstration projects",
     "产业专利导航示范项目数", "count", "cumulative", "5", "3"),
    ("trusteeship_smes", "SMEs covered by IP trusteeship services", "知识产权托管服务覆盖中小企业数",
     "count", "cumulative", "1000", "2"),
    ("operation_centres", "Industrial IP operation centres built", "产业知识产权运营中心建成数",
     "count", "cumulative", "3", "2"),
]

BANDS = [
    # grade, lowest total, share of the remaining amount released (an assumption: see the spec)
    ("excellent", "90", "1"),
    ("good", "80", "0.8"),
    ("fair", "60", "0.6"),
    ("poor", "0", "0"),
]

PROGRAMMES = [
    dict(
        code="2018",
        name="2018 batch of key cities for IP operation services",
        baseline_year=2017,
        construction_years=3,
        midterm_as_of=dt.date(2018, 12, 31),
        total_amount_min=Decimal("200000000.00"),
        total_amount_max=Decimal("200000000.00"),
        first_tranche_min=Decimal("150000000.00"),
        first_tranche_max=Decimal("150000000.00"),
        release_basis="200 million yuan a city, 150 million first; the rest after passing an "
        "annual review.",
    ),
    dict(
        code="2019",
        name="2019 batch of key cities for IP operation services",
        baseline_year=2018,
        construction_years=3,
        midterm_as_of=dt.date(2020, 12, 31),
        total_amount_min=Decimal("150000000.00"),
        total_amount_max=Decimal("200000000.00"),
        first_tranche_min=Decimal("100000000.00"),
        first_tranche_max=Decimal("150000000.00"),
        release_basis="150-200 million yuan a city, 100-150 million first; each city's own sums "
        "are imported with its row.",
    ),
    dict(
        code="2020",
        name="2020 batch of key cities for IP operation services",
        baseline_year=2019,
        construction_years=3,
        midterm_as_of=dt.date(2021, 12, 31),
        total_amount_min=Decimal("150000000.00"),
        total_amount_max=Decimal("150000000.00"),
        first_tranche_min=Decimal("100000000.00"),
        first_tranche_max=Decimal("100000000.00"),
        release_basis="150 million yuan a city: 100 million in 2020, the remaining 50 million "
        "in tiers set by the mid-term performance evaluation (分档拨付).",
    ),
]


def ship(apps, schema_editor):
    Indicator = apps.get_model("evaluation", "Indicator")
    Programme = apps.get_model("evaluation", "Programme")
    Ruleset = apps.get_model("evaluation", "Ruleset")
    IndicatorRule = apps.get_model("evaluation", "IndicatorRule")
    GradeBand = apps.get_model("evaluation", "GradeBand")

    indicators = {}
    for position, (code, name_en, name_zh, unit, *_rest) in enumerate(INDICATORS, start=1):
        indicators[code] = Indicator.objects.create(
            code=code, name_en=name_en, name_zh=name_zh, unit=unit, position=position
        )
    programmes = {spec["code"]: Programme.objects.create(**spec) for spec in PROGRAMMES}

    ruleset = Ruleset.objects.create(
        programme=programmes["2020"],
        version=1,
        notes="Default ruleset shipped for the 2020 programme: the national reference indicators "
        "as floors, the default weights, the Ministry of Finance grade bands and the default "
        "release tiers.",
    )
    for code, _en, _zh, _unit, kind, floor, weight in INDICATORS:
        IndicatorRule.objects.create(
            ruleset=ruleset,
            indicator=indicators[code],
            kind=kind,
            floor=Decimal(floor),
            weight=Decimal(weight),
        )
    for grade, min_score, share in BANDS:
        GradeBand.objects.create(
            ruleset=ruleset, grade=grade, min_score=Decimal(min_score), release_share=Decimal(share)
        )


def unship(apps, schema_editor):
    for model in ("GradeBand", "IndicatorRule", "Ruleset", "Programme", "Indicator"):
        apps.get_model("evaluation", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(ship, unship)]
