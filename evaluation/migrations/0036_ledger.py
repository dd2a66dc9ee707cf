"""The ledger (``LedgerEntry``), begun with one entry per report, value, run, decision and
ruleset already stored ("recorded when the ledger began"), and, on PostgreSQL, a trigger
that refuses every UPDATE and DELETE of an entry whoever asks. SQLite has no such refusal
that Django's own test flush (a DELETE of every row) would survive: there the ledger is
append-only by the services alone, and the chain shows any change (README, "The ledger")."""

from django.db import migrations, models
from django.utils import timezone

SUBJECTS = {
    "report": "Report",
    "metricvalue": "MetricValue",
    "run": "EvaluationRun",
    "decision": "TrancheDecision",
    "ruleset": "Ruleset",
}


def begin(apps, schema_editor):
    # The ledger's own rules (which fields an entry keeps, the digest), the ones the services
    # use, so that the first entries check like every later one.
    from evaluation.ledger import BEGAN, GENESIS, entry_digest, ledger_moment, state_of, state_text

    LedgerEntry = apps.get_model("evaluation", "LedgerEntry")
    at = ledger_moment(timezone.now())
    seq, previous = 0, GENESIS
    entries = []
    for subject, name in SUBJECTS.items():
        model = apps.get_model("evaluation", name)
        queryset = model.objects.order_by("pk")
        if subject == "ruleset":
            queryset = queryset.prefetch_related("rules", "bands", "tasks")
        for record in queryset.iterator(chunk_size=2000):
            extra = (
                {
                    "rules": record.rules.all(),
                    "bands": record.bands.all(),
                    "tasks": record.tasks.all(),
                }
                if subject == "ruleset"
                else {}
            )
            seq += 1
            entry = {
                "seq": seq,
                "at": at,
                "subject": subject,
                "object_id": record.pk,
                "action": BEGAN,
                "actor": None,
                "actor_name": "",
                "state": state_text(state_of(subject, record, **extra)),
                "previous": previous,
            }
            entry["digest"] = previous = entry_digest(**entry)
            entries.append(LedgerEntry(**entry))
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)


APPEND_ONLY = """
CREATE FUNCTION evaluation_ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Writing an entry back exactly as it is changes nothing (a fixture loaded again).
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the ledger only grows: % of entry #% refused', TG_OP, OLD.seq
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER evaluation_ledger_append_only
    BEFORE UPDATE OR DELETE ON evaluation_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION evaluation_ledger_refuse_change();
"""
NOT_APPEND_ONLY = """
DROP TRIGGER evaluation_ledger_append_only ON evaluation_ledgerentry;
DROP FUNCTION evaluation_ledger_refuse_change();
"""


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def not_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NOT_APPEND_ONLY, params=None)


class Migration(migrations.Migration):
    # The spot checks (0035) come before the ledger, which keeps their fields from the start.
    dependencies = [("evaluation", "0035_spot_checks_and_verified_values")]

    operations = [
        migrations.CreateModel(
            name="LedgerEntry",
            fields=[
                ("seq", models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ("at", models.DateTimeField()),
                (
                    "subject",
                    models.CharField(
                        choices=[
                            ("report", "report"),
                            ("metricvalue", "metric value"),
                            ("run", "evaluation run"),
                            ("decision", "tranche decision"),
                            ("ruleset", "ruleset"),
                        ],
                        max_length=12,
                    ),
                ),
                ("object_id", models.PositiveBigIntegerField()),
                (
                    "action",
                    models.CharField(
                        help_text="What the service did, as the history says it.", max_length=200
                    ),
                ),
                ("actor", models.PositiveIntegerField(blank=True, null=True)),
                ("actor_name", models.CharField(blank=True, max_length=150)),
                (
                    "state",
                    models.TextField(
                        help_text="The record's protected fields after the change (JSON)."
                    ),
                ),
                ("previous", models.CharField(max_length=64, unique=True)),
                ("digest", models.CharField(max_length=64, unique=True)),
            ],
            options={
                "ordering": ["seq"],
                "indexes": [
                    models.Index(
                        fields=["subject", "object_id", "seq"], name="ledger_subject_object"
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("seq__gte", 1)), name="ledger_numbered_from_one"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("previous__regex", "^[0-9a-f]{64}$"),
                            ("digest__regex", "^[0-9a-f]{64}$"),
                        ),
                        name="ledger_digests_are_sha256",
                    ),
                ],
            },
        ),
        migrations.RunPython(begin, migrations.RunPython.noop),
        migrations.RunPython(append_only, not_append_only),
    ]
