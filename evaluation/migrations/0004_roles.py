"""The ministry's roles as groups: reviewers review and decide; administrators also manage
programmes, rulesets and people. City officials are users bound to participations."""

from django.db import migrations

GROUPS = ("reviewers", "administrators")


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0003_submission_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
