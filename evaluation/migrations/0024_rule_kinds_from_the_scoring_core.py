# The rule kinds are the scoring core's (a callable of their names): a new kind needs no migration.

import evaluation.vocabulary
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('evaluation', '0023_metric_value_flags_as_codes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='historicalindicatorrule',
            name='kind',
            field=models.CharField(choices=evaluation.vocabulary.rule_kind_choices, max_length=20),
        ),
        migrations.AlterField(
            model_name='indicatorresult',
            name='kind',
            field=models.CharField(choices=evaluation.vocabulary.rule_kind_choices, max_length=20),
        ),
        migrations.AlterField(
            model_name='indicatorrule',
            name='kind',
            field=models.CharField(choices=evaluation.vocabulary.rule_kind_choices, max_length=20),
        ),
    ]
