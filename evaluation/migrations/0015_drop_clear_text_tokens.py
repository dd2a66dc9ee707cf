"""DRF's tokens were stored in clear and never expired; API tokens are now django-rest-knox's
(hashed, expiring). Drop the old table, if an earlier install created it, so no usable token
is left in the database; their holders obtain a new token."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0010_run_history"),
    ]

    operations = [
        migrations.RunSQL(
            [
                "DROP TABLE IF EXISTS authtoken_token",
                "DELETE FROM django_migrations WHERE app = 'authtoken'",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
