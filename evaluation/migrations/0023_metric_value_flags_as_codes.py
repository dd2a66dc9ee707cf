"""Data-quality flags stored as a code with their figures (``MetricValue.flags``) instead of an
English sentence read back with ``startswith``. Every stored sentence, current and in the
values' history, becomes its code and figures; the sentence is composed again when shown, in
the reader's language (``evaluation.quality``), so the English reads exactly as before."""

import re

from django.db import migrations, models

# The three sentences the reporting service wrote, one per line of the old ``flag`` text.
ABOVE = re.compile(
    r"^(?P<value>\S+) is more than (?P<factor>\S+) times the (?P<period>\S+) value "
    r"(?P<earlier>\S+)$"
)
BELOW = re.compile(
    r"^(?P<value>\S+) is less than 1/(?P<factor>\S+) of the (?P<period>\S+) value "
    r"(?P<earlier>\S+)$"
)
FELL = re.compile(
    r"^the running total would fall: (?P<period>\S+) lowered from (?P<old>\S+) to "
    r"(?P<new>\S+) after it had been submitted$"
)
PATTERNS = (
    ("above_a_year_earlier", ABOVE),
    ("below_a_year_earlier", BELOW),
    ("running_total_fell", FELL),
)


def as_codes(text: str) -> list[dict[str, str]]:
    flags = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for code, pattern in PATTERNS:
            found = pattern.match(line)
            if found:
                flags.append({"code": code, **found.groupdict()})
                break
        else:
            # Nothing else was ever written; kept as written should anything else be there.
            flags.append({"code": "note", "text": line})
    return flags


def as_text(flags: list[dict[str, str]]) -> str:
    lines = []
    for flag in flags:
        code = flag.get("code")
        if code == "above_a_year_earlier":
            lines.append(
                "{value} is more than {factor} times the {period} value {earlier}".format(**flag)
            )
        elif code == "below_a_year_earlier":
            lines.append(
                "{value} is less than 1/{factor} of the {period} value {earlier}".format(**flag)
            )
        elif code == "running_total_fell":
            lines.append(
                "the running total would fall: {period} lowered from {old} to {new} after it "
                "had been submitted".format(**flag)
            )
        else:
            lines.append(flag.get("text", ""))
    return "\n".join(lines)


def forwards(apps, schema_editor):
    for name in ("MetricValue", "HistoricalMetricValue"):
        model = apps.get_model("evaluation", name)
        changed = []
        for row in model.objects.exclude(flag="").only("pk", "flag"):
            row.flags = as_codes(row.flag)
            changed.append(row)
        model.objects.bulk_update(changed, ["flags"], batch_size=1000)


def backwards(apps, schema_editor):
    for name in ("MetricValue", "HistoricalMetricValue"):
        model = apps.get_model("evaluation", name)
        changed = []
        for row in model.objects.exclude(flags=[]).only("pk", "flags"):
            row.flag = as_text(row.flags)
            changed.append(row)
        model.objects.bulk_update(changed, ["flag"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0022_indicator_unit_for_one"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalmetricvalue",
            name="flags",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "Why a reviewer should look at this value (not a refusal): each a code "
                    "with its figures."
                ),
            ),
        ),
        migrations.AddField(
            model_name="metricvalue",
            name="flags",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "Why a reviewer should look at this value (not a refusal): each a code "
                    "with its figures."
                ),
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="historicalmetricvalue", name="flag"),
        migrations.RemoveField(model_name="metricvalue", name="flag"),
    ]
