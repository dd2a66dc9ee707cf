"""The city, the officials' profile and the notices to officials now belong to the domain
(``evaluation`` 0023, which takes them over with their tables, rows and history): the portal
lets go of them in Django's picture only; the database is left as it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0002_official_profile_and_notices"),
        ("evaluation", "0025_city_and_official_notices_move_in"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="OfficialNotice"),
                migrations.DeleteModel(name="OfficialProfile"),
                migrations.DeleteModel(name="HistoricalCity"),
                migrations.DeleteModel(name="City"),
            ],
        ),
    ]
