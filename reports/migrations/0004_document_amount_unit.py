"""Documents in yuan or in 10,000 yuan, a reviewer's choice: the unit is part of the kept
document's key (a document already built is in yuan)."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0003_draft_comparisons'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='document',
            name='document_built_once_per_run_kind_language_city_and_comparison',
        ),
        migrations.AddField(
            model_name='document',
            name='unit',
            field=models.CharField(choices=[('yuan', 'yuan'), ('wan', '10,000 yuan')], default='yuan', max_length=4),
        ),
        migrations.AddConstraint(
            model_name='document',
            constraint=models.UniqueConstraint(models.F('run'), models.F('kind'), models.F('language'), models.F('unit'), django.db.models.functions.comparison.Coalesce(models.F('participation'), models.Value(0)), django.db.models.functions.comparison.Coalesce(models.F('compared_with'), models.Value(0)), name='document_built_once_per_run_kind_language_unit_city_and_comparison'),
        ),
    ]
