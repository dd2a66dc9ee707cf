"""The optional parts of a ruleset (programme-rules.md, "Beyond the output indicators"): the
tasks the expert panel scores (``RulesetTask``), the optional tasks' one weight and the dual
monitoring's thresholds on the ruleset, the experts' scores a run read (``PanelMarkResult``),
the new target sources, and the catalogue's entry ``budget_execution`` (not reported by
cities: it is scored from the money spent). A city's score may pass 100 by a few hundredths
(the optional tasks' shares are each rounded). The shipped 2020 ruleset uses none of them."""

import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


BUDGET = {
    "code": "budget_execution",
    "name_zh": "预算执行率",
    "name_en": "budget execution rate",
    "unit": "yuan",
    "unit_zh": "元",
    "unit_en": "yuan",
    "position": 100,
    "reported": False,
}


def add_budget_indicator(apps, schema_editor):
    Indicator = apps.get_model("evaluation", "Indicator")
    code = BUDGET["code"]
    Indicator.objects.get_or_create(code=code, defaults={k: v for k, v in BUDGET.items() if k != "code"})


def remove_budget_indicator(apps, schema_editor):
    apps.get_model("evaluation", "Indicator").objects.filter(code=BUDGET["code"]).delete()
    if schema_editor.connection.vendor == "postgresql":
        # The deletion's key checks now: the steps reversed next alter the indicators' table,
        # which PostgreSQL refuses while checks on it are pending in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('evaluation', '0029_rectification_items'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalRulesetTask',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('compulsory', models.BooleanField(default=True)),
                ('weight', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
            ],
            options={
                'verbose_name': 'historical ruleset task',
                'verbose_name_plural': 'historical ruleset tasks',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='PanelMarkResult',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('score', models.DecimalField(decimal_places=2, max_digits=3)),
                ('counted', models.BooleanField()),
            ],
            options={
                'ordering': ['indicator_result', 'expert__username'],
            },
        ),
        migrations.CreateModel(
            name='RulesetTask',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('compulsory', models.BooleanField(default=True)),
                ('weight', models.DecimalField(blank=True, decimal_places=2, max_digits=6, null=True)),
                ('position', models.PositiveSmallIntegerField(default=0)),
            ],
            options={
                'ordering': ['ruleset', '-compulsory', 'position', 'indicator__code'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='cityresult',
            name='city_result_score_range',
        ),
        migrations.AddField(
            model_name='historicalindicator',
            name='reported',
            field=models.BooleanField(default=True, help_text="Cities report its figures period by period; not so the budget execution and the tasks, which are scored from the money spent and the experts' scores."),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='deviation_attainment',
            field=models.DecimalField(decimal_places=2, default=Decimal('0.50'), help_text='Dual monitoring: a city whose attainment so far is below this share of the path to its target is flagged.', max_digits=3),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='deviation_execution',
            field=models.DecimalField(decimal_places=2, default=Decimal('0.50'), help_text='Dual monitoring: a city whose spending so far is below this share of its plan is flagged.', max_digits=3),
        ),
        migrations.AddField(
            model_name='historicalruleset',
            name='optional_task_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('0'), help_text='Points the optional tasks a city chose share equally (0 when the ruleset has no optional task).', max_digits=6),
        ),
        migrations.AddField(
            model_name='indicator',
            name='reported',
            field=models.BooleanField(default=True, help_text="Cities report its figures period by period; not so the budget execution and the tasks, which are scored from the money spent and the experts' scores."),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='deviation_attainment',
            field=models.DecimalField(decimal_places=2, default=Decimal('0.50'), help_text='Dual monitoring: a city whose attainment so far is below this share of the path to its target is flagged.', max_digits=3),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='deviation_execution',
            field=models.DecimalField(decimal_places=2, default=Decimal('0.50'), help_text='Dual monitoring: a city whose spending so far is below this share of its plan is flagged.', max_digits=3),
        ),
        migrations.AddField(
            model_name='ruleset',
            name='optional_task_weight',
            field=models.DecimalField(decimal_places=2, default=Decimal('0'), help_text='Points the optional tasks a city chose share equally (0 when the ruleset has no optional task).', max_digits=6),
        ),
        migrations.AlterField(
            model_name='historicalindicator',
            name='unit',
            field=models.CharField(choices=[('count', 'count (whole number)'), ('amount', 'amount in 10,000 yuan (万元)'), ('yuan', 'amount in yuan (元)'), ('score', 'expert panel score (0 to 1)')], max_length=10),
        ),
        migrations.AlterField(
            model_name='indicator',
            name='unit',
            field=models.CharField(choices=[('count', 'count (whole number)'), ('amount', 'amount in 10,000 yuan (万元)'), ('yuan', 'amount in yuan (元)'), ('score', 'expert panel score (0 to 1)')], max_length=10),
        ),
        migrations.AlterField(
            model_name='indicatorresult',
            name='target_source',
            field=models.CharField(choices=[('committed', 'committed'), ('floor', 'national floor'), ('plan', 'spending plan'), ('tranche', 'first tranche, pro-rated'), ('panel', "expert panel's full marks")], max_length=10),
        ),
        migrations.AddConstraint(
            model_name='cityresult',
            constraint=models.CheckConstraint(condition=models.Q(('score__gte', 0), ('score__lte', 101)), name='city_result_score_range'),
        ),
        migrations.AddConstraint(
            model_name='ruleset',
            constraint=models.CheckConstraint(condition=models.Q(('optional_task_weight__gte', 0), ('optional_task_weight__lte', 100)), name='ruleset_optional_task_weight_range'),
        ),
        migrations.AddConstraint(
            model_name='ruleset',
            constraint=models.CheckConstraint(condition=models.Q(('deviation_attainment__gte', 0), ('deviation_attainment__lte', 1), ('deviation_execution__gte', 0), ('deviation_execution__lte', 1)), name='ruleset_deviation_thresholds_are_shares'),
        ),
        migrations.AddField(
            model_name='historicalrulesettask',
            name='history_user',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='historicalrulesettask',
            name='indicator',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluation.indicator'),
        ),
        migrations.AddField(
            model_name='historicalrulesettask',
            name='ruleset',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='evaluation.ruleset'),
        ),
        migrations.AddField(
            model_name='panelmarkresult',
            name='expert',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='panelmarkresult',
            name='indicator_result',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='panel_marks', to='evaluation.indicatorresult'),
        ),
        migrations.AddField(
            model_name='rulesettask',
            name='indicator',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluation.indicator'),
        ),
        migrations.AddField(
            model_name='rulesettask',
            name='ruleset',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='evaluation.ruleset'),
        ),
        migrations.AddConstraint(
            model_name='panelmarkresult',
            constraint=models.UniqueConstraint(fields=('indicator_result', 'expert'), name='panel_mark_result_once_per_expert'),
        ),
        migrations.AddConstraint(
            model_name='panelmarkresult',
            constraint=models.CheckConstraint(condition=models.Q(('score__gte', 0), ('score__lte', 1)), name='panel_mark_result_score_range'),
        ),
        migrations.AddConstraint(
            model_name='rulesettask',
            constraint=models.UniqueConstraint(fields=('ruleset', 'indicator'), name='ruleset_task_unique'),
        ),
        migrations.AddConstraint(
            model_name='rulesettask',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('compulsory', True), ('weight__gte', 0), ('weight__lte', 100)), models.Q(('compulsory', False), ('weight__isnull', True)), _connector='OR'), name='ruleset_task_compulsory_has_its_weight_optional_none'),
        ),
        migrations.RunPython(add_budget_indicator, remove_budget_indicator),
    ]
