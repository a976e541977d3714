import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Arrival forecasts, the manager's forecast events, and the generated history days."""

    dependencies = [
        ('halls', '0002_role_groups'),
        ('planning', '0003_rosters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ArrivalForecast',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slot_start', models.DateTimeField(verbose_name='时段开始')),
                ('arrivals', models.FloatField(verbose_name='预计取号')),
                ('base_arrivals', models.FloatField(verbose_name='夜间预测')),
                ('made_at', models.DateTimeField(verbose_name='预测时间')),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='halls.outlet')),
                ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='halls.service')),
            ],
            options={
                'verbose_name': '客流预测',
                'verbose_name_plural': '客流预测',
                'ordering': ['outlet', 'slot_start', 'service'],
                'indexes': [models.Index(fields=['outlet', 'slot_start'], name='arrival_forecast_hall_slot')],
                'constraints': [models.UniqueConstraint(fields=('outlet', 'service', 'slot_start'), name='arrival_forecast_unique_slot')],
            },
        ),
        migrations.CreateModel(
            name='ForecastEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('starts_on', models.DateField(verbose_name='开始日期')),
                ('ends_on', models.DateField(help_text='含当天 / Inclusive', verbose_name='结束日期')),
                ('multiplier', models.DecimalField(decimal_places=2, help_text='1.50 = 客流增加50%；0.50 = 减少一半 / 1.50: half as many again; 0.50: half as many', max_digits=4, verbose_name='客流倍数')),
                ('note', models.CharField(max_length=200, verbose_name='说明')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='录入时间')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='录入人')),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='forecast_events', to='halls.outlet', verbose_name='网点')),
                ('service', models.ForeignKey(blank=True, help_text='留空：全部业务 / Empty: every service', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='halls.service', verbose_name='业务')),
            ],
            options={
                'verbose_name': '客流事件',
                'verbose_name_plural': '客流事件',
                'ordering': ['-starts_on', 'outlet'],
                'indexes': [models.Index(fields=['outlet', 'starts_on'], name='forecast_event_hall_start')],
                'constraints': [models.CheckConstraint(condition=models.Q(('ends_on__gte', models.F('starts_on'))), name='forecast_event_dates_in_order'), models.CheckConstraint(condition=models.Q(('multiplier__gt', 0), ('multiplier__lte', 20)), name='forecast_event_multiplier_range')],
            },
        ),
        migrations.CreateModel(
            name='HistoryDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('business_date', models.DateField(verbose_name='营业日')),
                ('seed', models.BigIntegerField()),
                ('tickets', models.PositiveIntegerField()),
                ('generated_at', models.DateTimeField(auto_now_add=True)),
                ('outlet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='halls.outlet')),
            ],
            options={
                'verbose_name': '生成的历史营业日',
                'verbose_name_plural': '生成的历史营业日',
                'ordering': ['outlet', 'business_date'],
                'constraints': [models.UniqueConstraint(fields=('outlet', 'business_date'), name='history_day_unique')],
            },
        ),
    ]
