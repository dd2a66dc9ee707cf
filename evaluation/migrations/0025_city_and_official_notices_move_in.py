"""The city, the officials' profile and the notices to officials move from the portal's app
(``cities``) into the domain. Nothing in the database changes: the tables keep their names
(``cities_city``, ``cities_historicalcity``, ``cities_officialprofile``,
``cities_officialnotice``), their rows and their history; only Django's picture of which app
owns them moves (``cities`` 0003 lets go of them). Besides that picture:

- the content types of the four models are relabelled ``evaluation``, so the permissions the
  roles hold on cities, and the admin's log entries, follow them;
- the officials' notices waiting in the outbox are renamed to the domain's task, and those sent
  in the last day are sent again under the new name: a message still queued under the old name
  at the upgrade is refused by the new workers, and a notice already sent is recorded
  (``OfficialNotice``), so sending it again sends nothing."""

import datetime as dt

import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

MODELS = ("city", "historicalcity", "officialprofile", "officialnotice")
OLD_TASK, NEW_TASK = "cities.tasks.notify_officials", "evaluation.tasks.notify_officials"


def relabel(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        old = ContentType.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        # A fresh content type made for the target has no grants yet: the old one carries them.
        ContentType.objects.filter(app_label=target, model=model).delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def move_in(apps, schema_editor):
    relabel(apps, "cities", "evaluation")
    OutboxTask = apps.get_model("evaluation", "OutboxTask")
    recent = timezone.now() - dt.timedelta(days=1)
    OutboxTask.objects.filter(task=OLD_TASK, dispatched_at__gte=recent).update(dispatched_at=None)
    OutboxTask.objects.filter(task=OLD_TASK).update(task=NEW_TASK)


def move_out(apps, schema_editor):
    relabel(apps, "evaluation", "cities")
    OutboxTask = apps.get_model("evaluation", "OutboxTask")
    OutboxTask.objects.filter(task=NEW_TASK).update(task=OLD_TASK)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0024_rule_kinds_from_the_scoring_core"),
        ("cities", "0002_official_profile_and_notices"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="City",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("code", models.CharField(help_text="6-digit division code", max_length=6, unique=True)),
                        ("name_en", models.CharField(max_length=100, verbose_name="English name")),
                        ("name_zh", models.CharField(max_length=50, verbose_name="Chinese name")),
                        ("province", models.CharField(max_length=50)),
                    ],
                    options={
                        "verbose_name_plural": "cities",
                        "db_table": "cities_city",
                        "ordering": ["code"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("code__regex", "^[0-9]{6}$")), name="city_code_six_digits")],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalCity",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        ("code", models.CharField(db_index=True, help_text="6-digit division code", max_length=6)),
                        ("name_en", models.CharField(max_length=100, verbose_name="English name")),
                        ("name_zh", models.CharField(max_length=50, verbose_name="Chinese name")),
                        ("province", models.CharField(max_length=50)),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        ("history_type", models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1)),
                        ("history_user", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "historical city",
                        "verbose_name_plural": "historical cities",
                        "db_table": "cities_historicalcity",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.AlterField(
                    model_name="participation",
                    name="city",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="participations", to="evaluation.city"),
                ),
                migrations.AlterField(
                    model_name="historicalparticipation",
                    name="city",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="evaluation.city"),
                ),
                migrations.AlterField(
                    model_name="metricvalue",
                    name="city",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="metric_values", to="evaluation.city"),
                ),
                migrations.AlterField(
                    model_name="historicalmetricvalue",
                    name="city",
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name="+", to="evaluation.city"),
                ),
                migrations.CreateModel(
                    name="OfficialProfile",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("language", models.CharField(default="zh-hans", max_length=10)),
                        ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="portal_profile", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"db_table": "cities_officialprofile"},
                ),
                migrations.CreateModel(
                    name="OfficialNotice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("version", models.PositiveIntegerField()),
                        ("kind", models.CharField(choices=[("returned", "returned"), ("approved", "approved")], max_length=10)),
                        ("sent_at", models.DateTimeField(auto_now_add=True)),
                        ("report", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="official_notices", to="evaluation.report")),
                    ],
                    options={
                        "db_table": "cities_officialnotice",
                        "constraints": [models.UniqueConstraint(fields=("report", "version", "kind"), name="official_notice_once_per_version")],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_in, move_out),
    ]
