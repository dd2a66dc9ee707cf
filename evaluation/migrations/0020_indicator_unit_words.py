from django.db import migrations, models

# The unit word of each shipped indicator, as Chinese IP statistics write it, and in English.
UNITS = {
    "transfer_licence_count": ("件", "transfers and licences"),
    "pledge_amount": ("万元", "10k yuan"),
    "pledge_projects": ("项", "projects"),
    "contract_turnover": ("万元", "10k yuan"),
    "sme_transformations": ("家", "SMEs"),
    "certified_entities": ("家", "entities"),
    "securitization_products": ("个", "products"),
    "navigation_projects": ("项", "projects"),
    "trusteeship_smes": ("家", "SMEs"),
    "operation_centres": ("个", "centres"),
}


def add_units(apps, schema_editor):
    Indicator = apps.get_model("evaluation", "Indicator")
    for indicator in Indicator.objects.all():
        zh, en = UNITS.get(
            indicator.code, ("万元", "10k yuan") if indicator.unit == "amount" else ("个", "")
        )
        indicator.unit_zh, indicator.unit_en = zh, en
        indicator.save(update_fields=["unit_zh", "unit_en"])


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0019_start_last_error")]

    operations = [
        migrations.AddField(
            model_name="indicator",
            name="unit_zh",
            field=models.CharField(
                blank=True,
                help_text="e.g. 万元, 件, 项, 家, 个",
                max_length=10,
                verbose_name="unit word (Chinese)",
            ),
        ),
        migrations.AddField(
            model_name="indicator",
            name="unit_en",
            field=models.CharField(
                blank=True,
                help_text="e.g. 10k yuan, SMEs",
                max_length=30,
                verbose_name="unit word (English)",
            ),
        ),
        migrations.RunPython(add_units, migrations.RunPython.noop),
    ]
