"""The city (and the officials' profile and notices) moved from the portal's app into the
domain: a database holding a city, its history, its participation, values, an official's
profile, a notice and a pending notice in the outbox comes through the migrations, both ways,
with every row, every history entry and every permission the roles held. Runs on whichever
database the suite runs on (SQLite, or PostgreSQL with ``DATABASE_URL``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from evaluation.models import (
    City,
    MetricValue,
    OfficialNotice,
    OfficialProfile,
    OutboxTask,
    Participation,
    Report,
)
from tests.factories import UserFactory, add_value

# Schema changes need autocommit on SQLite; the shipped data is restored afterwards.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [
    ("evaluation", "0022_indicator_unit_for_one"),
    ("cities", "0002_official_profile_and_notices"),
]
AFTER = [
    ("evaluation", "0025_city_and_official_notices_move_in"),
    ("cities", "0003_city_and_official_notices_move_to_evaluation"),
]
OLD_TASK, NEW_TASK = "cities.tasks.notify_officials", "evaluation.tasks.notify_officials"


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def back_to_the_end():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_a_city_keeps_its_rows_history_and_permissions_through_the_move(programme, back_to_the_end):
    editor = UserFactory(username="editor")
    # Written by today's code: a city with two history entries, its participation and a value.
    shenyang = City.objects.create(
        code="210100", name_en="Shenyang", name_zh="沈阳市", province="Liaoning"
    )
    shenyang.name_en, shenyang._history_user = "Shenyang City", editor
    shenyang.save()
    joined = Participation.objects.create(
        programme=programme,
        city=shenyang,
        total_amount=Decimal("150000000.00"),
        first_tranche=Decimal("100000000.00"),
    )
    add_value(shenyang, "transfer_licence_count", "2021-03", "12")
    history_before = list(
        City.history.filter(id=shenyang.pk)
        .order_by("history_id")
        .values_list("history_id", "history_type", "name_en", "history_user_id")
    )
    assert len(history_before) == 2

    old = migrate(BEFORE)

    # The portal's app owns them again, with the same rows, and so do its permissions.
    OldCity = old.get_model("cities", "City")
    assert OldCity.objects.get(pk=shenyang.pk).name_en == "Shenyang City"
    assert old.get_model("cities", "HistoricalCity").objects.filter(id=shenyang.pk).count() == 2
    assert Permission.objects.filter(
        content_type__app_label="cities", codename="change_city"
    ).exists()
    # Written by the code of before the move: another city, its own history row by hand (the
    # migration state has no history hooks), a report, an official's profile, a notice, and a
    # notice still in the outbox under the portal's task name.
    hefei = OldCity.objects.create(
        code="340100", name_en="Hefei", name_zh="合肥市", province="Anhui"
    )
    old.get_model("cities", "HistoricalCity").objects.create(
        id=hefei.pk,
        code="340100",
        name_en="Hefei",
        name_zh="合肥市",
        province="Anhui",
        history_date=timezone.now(),
        history_type="+",
        history_user_id=editor.pk,
        history_change_reason="import_cities cities.csv --programme 2020",
    )
    report = old.get_model("evaluation", "Report").objects.create(
        participation_id=joined.pk,
        year=2021,
        granularity="month",
        number=3,
        status="returned",
        review_comment="March's figures are missing the second district.",
        due_date=dt.date(2021, 4, 15),
    )
    old.get_model("cities", "OfficialProfile").objects.create(user_id=editor.pk, language="en")
    old.get_model("cities", "OfficialNotice").objects.create(
        report_id=report.pk, version=1, kind="returned"
    )
    outbox = old.get_model("evaluation", "OutboxTask")
    waiting = outbox.objects.create(task=OLD_TASK, kwargs={"report_id": report.pk})
    just_sent = outbox.objects.create(
        task=OLD_TASK, kwargs={"report_id": report.pk}, dispatched_at=timezone.now()
    )
    long_sent = outbox.objects.create(
        task=OLD_TASK,
        kwargs={"report_id": report.pk},
        dispatched_at=timezone.now() - dt.timedelta(days=30),
    )
    others = outbox.objects.create(task="evaluation.tasks.notify_reviewers", kwargs={})

    migrate(AFTER)
    # And on to today's schema (later migrations), which the models below are written for.
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert City.objects.get(pk=shenyang.pk).name_en == "Shenyang City"
    assert City.objects.get(code="340100").pk == hefei.pk
    assert (
        list(
            City.history.filter(id=shenyang.pk)
            .order_by("history_id")
            .values_list("history_id", "history_type", "name_en", "history_user_id")
        )
        == history_before
    )
    (entry,) = City.history.filter(id=hefei.pk)
    assert (entry.history_user, entry.history_change_reason) == (
        editor,
        "import_cities cities.csv --programme 2020",
    )
    assert Participation.objects.get(pk=joined.pk).city == City.objects.get(pk=shenyang.pk)
    assert MetricValue.objects.get(city__code="210100").value == Decimal("12")
    assert OfficialProfile.objects.get(user=editor).language == "en"
    assert OfficialNotice.objects.get().report == Report.objects.get(pk=report.pk)
    # The permissions the roles held on cities follow the city.
    change_city = Permission.objects.get(codename="change_city")
    assert change_city.content_type == ContentType.objects.get_for_model(City)
    assert change_city.content_type.app_label == "evaluation"
    assert change_city in Group.objects.get(name="administrators").permissions.all()
    view_city = Permission.objects.get(codename="view_city")
    assert view_city in Group.objects.get(name="reviewers").permissions.all()
    assert not ContentType.objects.filter(app_label="cities").exists()
    # The outbox names the domain's task; what may have been lost in the broker goes again.
    rows = {row.pk: row for row in OutboxTask.objects.all()}
    assert {rows[r.pk].task for r in (waiting, just_sent, long_sent)} == {NEW_TASK}
    assert rows[others.pk].task == "evaluation.tasks.notify_reviewers"
    assert rows[waiting.pk].dispatched_at is None
    assert rows[just_sent.pk].dispatched_at is None
    assert rows[long_sent.pk].dispatched_at is not None


def test_the_edited_city_keeps_writing_its_history_after_the_move(programme):
    city = City.objects.create(code="210100", name_en="Shenyang", name_zh="沈阳市", province="L")
    city.province = "Liaoning"
    city.save()

    assert [h.province for h in city.history.order_by("history_id")] == ["L", "Liaoning"]
    assert City._meta.db_table == "cities_city"
    assert City.history.model._meta.db_table == "cities_historicalcity"
