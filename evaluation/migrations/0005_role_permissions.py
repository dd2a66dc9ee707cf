"""What each ministry role may do in the admin.

Reviewers see everything, and act on reports (approve, return, reopen), on tranche decisions
(confirm, override) and on runs (trigger); they cannot change programmes, money, targets or
rulesets. Administrators may do everything, including managing people."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

APPS = ("evaluation", "cities")
REVIEWER_CHANGES = {
    "evaluation": {"change_report", "change_tranchedecision", "add_evaluationrun"},
}


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label__in=APPS)
    reviewers = Group.objects.get(name="reviewers")
    reviewers.permissions.set(
        list(ours.filter(codename__startswith="view_"))
        + list(ours.filter(codename__in=REVIEWER_CHANGES["evaluation"]))
    )
    administrators = Group.objects.get(name="administrators")
    administrators.permissions.set(
        list(ours) + list(Permission.objects.filter(content_type__app_label="auth"))
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=["reviewers", "administrators"]):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0004_roles"), ("cities", "0001_initial")]

    operations = [migrations.RunPython(grant, revoke)]
