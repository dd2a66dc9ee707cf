"""A report names its city, and the database holds one report per city and period.

A city's values are one set per period whatever the batch (``MetricValue`` has a city, not a
participation), so two reports of the same city and period in two batches would silently
share, and take from each other, the same values. Existing reports get their
participation's city; should two reports of one city and period exist already, the migration
stops and names them (which to keep is a reviewer's call, never the migration's)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count


def city_of_participation(apps, schema_editor):
    Report = apps.get_model("evaluation", "Report")
    HistoricalReport = apps.get_model("evaluation", "HistoricalReport")
    Participation = apps.get_model("evaluation", "Participation")
    cities = dict(Participation.objects.values_list("pk", "city_id"))
    for participation_id, city_id in cities.items():
        Report.objects.filter(participation_id=participation_id).update(city_id=city_id)
        HistoricalReport.objects.filter(participation_id=participation_id).update(city_id=city_id)
    twice = (
        Report.objects.values("city_id", "year", "granularity", "number")
        .annotate(reports=Count("id"))
        .filter(reports__gt=1)
    )
    clashes = [
        "city {city}, {year} {granularity} {number}: reports {ids}".format(
            city=row["city_id"],
            year=row["year"],
            granularity=row["granularity"],
            number=row["number"],
            ids=", ".join(
                f"#{pk}"
                for pk in Report.objects.filter(
                    city_id=row["city_id"],
                    year=row["year"],
                    granularity=row["granularity"],
                    number=row["number"],
                ).values_list("pk", flat=True)
            ),
        )
        for row in twice
    ]
    if clashes:
        raise RuntimeError(
            "A city has two reports of the same period in two batches; they share one set of "
            "values. Keep one of each (reopen and correct it, then delete the other in a "
            "shell, recording why) and migrate again:\n" + "\n".join(clashes)
        )
    if schema_editor.connection.vendor == "postgresql":
        # The new foreign key is checked at commit; check it now, so the column can change.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0026_outbox_given_up_and_undelivered_emails"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalreport",
            name="city",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="evaluation.city",
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="city",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reports",
                to="evaluation.city",
            ),
        ),
        migrations.RunPython(city_of_participation, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="report",
            name="city",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reports",
                to="evaluation.city",
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.UniqueConstraint(
                fields=("city", "year", "granularity", "number"),
                name="report_one_per_city_and_period",
            ),
        ),
    ]
