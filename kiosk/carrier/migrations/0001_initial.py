"""The local carrier's tables move to the carrier app (from kiosk), step 2 of
3: the carrier app takes over the tables that kiosk 0003 renamed carrier_*.
State only for the tables, rows untouched; the content types (and with them
the admin permissions and history) are relabelled kiosk -> carrier.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ["plan", "subscriber", "bill", "billitem", "usagemonth", "packpurchase", "valueaddedservice",
         "subscription", "reward", "redemption", "phonenumber", "numberhold"]


def relabel(apps, from_label: str, to_label: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    # A model that already has a content type under the new label (made by an
    # earlier run) keeps that one.
    taken = set(ContentType.objects.filter(app_label=to_label, model__in=MOVED).values_list("model", flat=True))
    ContentType.objects.filter(app_label=from_label, model__in=set(MOVED) - taken).update(app_label=to_label)


def content_types_to_carrier(apps, schema_editor):
    relabel(apps, "kiosk", "carrier")


def content_types_to_kiosk(apps, schema_editor):
    relabel(apps, "carrier", "kiosk")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("kiosk", "0003_carrier_tables_renamed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Plan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, unique=True, verbose_name='代码')),
                        ('name', models.CharField(max_length=50, verbose_name='名称')),
                        ('monthly_fee_fen', models.PositiveIntegerField(verbose_name='月费(分)')),
                        ('data_kb', models.PositiveBigIntegerField(default=0, verbose_name='套餐流量(KB)')),
                        ('wlan_minutes', models.PositiveIntegerField(default=0, verbose_name='WLAN时长(分钟)')),
                    ],
                    options={
                        'verbose_name': '资费套餐',
                        'verbose_name_plural': '资费套餐',
                        'ordering': ['monthly_fee_fen', 'code'],
                    },
                ),
                migrations.CreateModel(
                    name='ValueAddedService',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, unique=True, verbose_name='代码')),
                        ('name', models.CharField(max_length=50, verbose_name='名称')),
                        ('monthly_fee_fen', models.PositiveIntegerField(verbose_name='月费(分)')),
                        ('is_active', models.BooleanField(default=True, verbose_name='可订购')),
                    ],
                    options={
                        'verbose_name': '增值业务',
                        'verbose_name_plural': '增值业务',
                        'ordering': ['code'],
                    },
                ),
                migrations.CreateModel(
                    name='PhoneNumber',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('msisdn', models.CharField(max_length=11, verbose_name='号码')),
                        ('tier', models.CharField(choices=[('normal', '普通号'), ('silver', '银号'), ('gold', '金号'), ('diamond', '钻石号')], default='normal', max_length=10, verbose_name='等级')),
                        ('deposit_fen', models.PositiveIntegerField(default=0, verbose_name='预存/押金(分)')),
                        ('min_monthly_fen', models.PositiveIntegerField(default=0, verbose_name='月最低消费(分)')),
                        ('patterns', models.CharField(blank=True, default=',', max_length=100, verbose_name='号型')),
                        ('status', models.CharField(choices=[('available', '可选'), ('held', '预占'), ('sold', '已售')], default='available', max_length=10, verbose_name='状态')),
                        ('sold_at', models.DateTimeField(blank=True, null=True, verbose_name='售出时间')),
                    ],
                    options={
                        'verbose_name': '号码库存',
                        'verbose_name_plural': '号码库存',
                        'ordering': ['msisdn'],
                        'indexes': [models.Index(fields=['status', 'tier', 'msisdn'], name='number_stock_browse')],
                        'constraints': [models.UniqueConstraint(fields=('msisdn',), name='phone_number_unique'), models.CheckConstraint(condition=models.Q(('status__in', ['available', 'held', 'sold'])), name='phone_number_status_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='Reward',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.CharField(max_length=20, unique=True, verbose_name='代码')),
                        ('name', models.CharField(max_length=50, verbose_name='名称')),
                        ('kind', models.CharField(choices=[('bill_credit', '话费'), ('data', '流量'), ('gift', '礼品')], max_length=12, verbose_name='类型')),
                        ('points', models.PositiveIntegerField(verbose_name='所需积分')),
                        ('stock', models.IntegerField(verbose_name='库存')),
                        ('credit_fen', models.PositiveIntegerField(default=0, verbose_name='话费(分)')),
                        ('data_kb', models.PositiveBigIntegerField(default=0, verbose_name='流量(KB)')),
                        ('is_active', models.BooleanField(default=True, verbose_name='上架')),
                    ],
                    options={
                        'verbose_name': '积分礼品',
                        'verbose_name_plural': '积分礼品',
                        'ordering': ['kind', 'points', 'code'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('stock__gte', 0)), name='reward_stock_not_negative'), models.CheckConstraint(condition=models.Q(('points__gt', 0)), name='reward_points_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='Subscriber',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('msisdn', models.CharField(max_length=11, verbose_name='手机号')),
                        ('name', models.CharField(blank=True, max_length=40, verbose_name='机主姓名')),
                        ('balance_fen', models.BigIntegerField(default=0, verbose_name='余额(分)')),
                        ('points', models.IntegerField(default=0, verbose_name='积分')),
                        ('status', models.CharField(choices=[('active', '正常'), ('suspended', '停机'), ('closed', '销户')], default='active', max_length=10, verbose_name='状态')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='入网时间')),
                        ('plan', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='carrier.plan', verbose_name='套餐')),
                    ],
                    options={
                        'verbose_name': '用户',
                        'verbose_name_plural': '用户',
                        'ordering': ['msisdn'],
                    },
                ),
                migrations.CreateModel(
                    name='Redemption',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quantity', models.PositiveSmallIntegerField(verbose_name='数量')),
                        ('points_spent', models.PositiveIntegerField(verbose_name='消耗积分')),
                        ('idempotency_key', models.CharField(blank=True, max_length=100, null=True)),
                        ('created_at', models.DateTimeField(verbose_name='兑换时间')),
                        ('reward', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='redemptions', to='carrier.reward', verbose_name='礼品')),
                        ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='redemptions', to='carrier.subscriber')),
                    ],
                    options={
                        'verbose_name': '积分兑换',
                        'verbose_name_plural': '积分兑换',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='PackPurchase',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.CharField(max_length=7, verbose_name='月份')),
                        ('code', models.CharField(max_length=20, verbose_name='代码')),
                        ('name', models.CharField(max_length=50, verbose_name='名称')),
                        ('source', models.CharField(choices=[('pack', '流量包'), ('reward', '积分兑换')], default='pack', max_length=10, verbose_name='来源')),
                        ('data_kb', models.PositiveBigIntegerField(verbose_name='流量(KB)')),
                        ('used_kb', models.PositiveBigIntegerField(default=0, verbose_name='已用(KB)')),
                        ('price_fen', models.PositiveIntegerField(default=0, verbose_name='价格(分)')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='订购时间')),
                        ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='packs', to='carrier.subscriber')),
                    ],
                    options={
                        'verbose_name': '流量包',
                        'verbose_name_plural': '流量包',
                        'ordering': ['subscriber', 'month', 'created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Bill',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.CharField(max_length=7, verbose_name='月份')),
                        ('total_fen', models.IntegerField(verbose_name='合计(分)')),
                        ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bills', to='carrier.subscriber')),
                    ],
                    options={
                        'verbose_name': '月账单',
                        'verbose_name_plural': '月账单',
                        'ordering': ['subscriber', '-month'],
                    },
                ),
                migrations.CreateModel(
                    name='UsageMonth',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('month', models.CharField(max_length=7, verbose_name='月份')),
                        ('plan_data_used_kb', models.PositiveBigIntegerField(default=0, verbose_name='套餐内已用(KB)')),
                        ('overage_kb', models.PositiveBigIntegerField(default=0, verbose_name='超出流量(KB)')),
                        ('wlan_minutes_used', models.PositiveIntegerField(default=0, verbose_name='WLAN已用(分钟)')),
                        ('first_data_at', models.DateTimeField(blank=True, null=True, verbose_name='首次上网')),
                        ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='usage_months', to='carrier.subscriber')),
                    ],
                    options={
                        'verbose_name': '月用量',
                        'verbose_name_plural': '月用量',
                        'ordering': ['subscriber', '-month'],
                    },
                ),
                migrations.CreateModel(
                    name='Subscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('since', models.DateTimeField(verbose_name='订购时间')),
                        ('cancelled_at', models.DateTimeField(blank=True, null=True, verbose_name='退订时间')),
                        ('subscriber', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='subscriptions', to='carrier.subscriber')),
                        ('vas', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='carrier.valueaddedservice', verbose_name='增值业务')),
                    ],
                    options={
                        'verbose_name': '增值业务订购',
                        'verbose_name_plural': '增值业务订购',
                        'ordering': ['subscriber', 'since'],
                    },
                ),
                migrations.CreateModel(
                    name='BillItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('position', models.PositiveSmallIntegerField(default=0)),
                        ('name', models.CharField(max_length=40, verbose_name='项目')),
                        ('amount_fen', models.IntegerField(verbose_name='金额(分)')),
                        ('bill', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='items', to='carrier.bill')),
                    ],
                    options={
                        'verbose_name': '账单明细',
                        'verbose_name_plural': '账单明细',
                        'ordering': ['bill', 'position'],
                        'constraints': [models.UniqueConstraint(fields=('bill', 'name'), name='bill_item_unique_name')],
                    },
                ),
                migrations.CreateModel(
                    name='NumberHold',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('holder', models.CharField(max_length=60, verbose_name='预占方')),
                        ('token', models.CharField(max_length=43)),
                        ('created_at', models.DateTimeField(verbose_name='预占时间')),
                        ('expires_at', models.DateTimeField(db_index=True, verbose_name='到期时间')),
                        ('order_no', models.CharField(blank=True, max_length=24, verbose_name='订单号')),
                        ('number', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='hold', to='carrier.phonenumber', verbose_name='号码')),
                    ],
                    options={
                        'verbose_name': '号码预占',
                        'verbose_name_plural': '号码预占',
                        'ordering': ['expires_at'],
                        'constraints': [models.UniqueConstraint(fields=('token',), name='number_hold_token_unique')],
                    },
                ),
                migrations.AddConstraint(
                    model_name='subscriber',
                    constraint=models.UniqueConstraint(fields=('msisdn',), name='subscriber_msisdn_unique'),
                ),
                migrations.AddConstraint(
                    model_name='subscriber',
                    constraint=models.CheckConstraint(condition=models.Q(('balance_fen__gte', 0)), name='subscriber_balance_not_negative'),
                ),
                migrations.AddConstraint(
                    model_name='subscriber',
                    constraint=models.CheckConstraint(condition=models.Q(('points__gte', 0)), name='subscriber_points_not_negative'),
                ),
                migrations.AddConstraint(
                    model_name='redemption',
                    constraint=models.UniqueConstraint(condition=models.Q(('idempotency_key__isnull', False)), fields=('subscriber', 'idempotency_key'), name='redemption_idempotency_key_unique'),
                ),
                migrations.AddConstraint(
                    model_name='redemption',
                    constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1)), name='redemption_quantity_positive'),
                ),
                migrations.AddIndex(
                    model_name='packpurchase',
                    index=models.Index(fields=['subscriber', 'month'], name='pack_subscriber_month'),
                ),
                migrations.AddConstraint(
                    model_name='packpurchase',
                    constraint=models.CheckConstraint(condition=models.Q(('used_kb__lte', models.F('data_kb'))), name='pack_used_within_data'),
                ),
                migrations.AddConstraint(
                    model_name='bill',
                    constraint=models.UniqueConstraint(fields=('subscriber', 'month'), name='bill_unique_month'),
                ),
                migrations.AddConstraint(
                    model_name='usagemonth',
                    constraint=models.UniqueConstraint(fields=('subscriber', 'month'), name='usage_unique_month'),
                ),
                migrations.AddConstraint(
                    model_name='subscription',
                    constraint=models.UniqueConstraint(condition=models.Q(('cancelled_at__isnull', True)), fields=('subscriber', 'vas'), name='subscription_one_active'),
                ),
            ],
        ),
        migrations.RunPython(content_types_to_carrier, content_types_to_kiosk),
    ]
