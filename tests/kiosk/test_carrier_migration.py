"""The local carrier's tables moved from the kiosk app to the carrier app
(kiosk 0003-0004, carrier 0001): rows written before the move are read after
it, through the carrier's models and the gateway, and the tables keep working."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from kiosk.carrier.gateway import get_carrier
from kiosk.carrier.models import Bill, NumberHold, PhoneNumber, Plan, Redemption, Subscriber, Subscription
from kiosk.models import Order

BEFORE_THE_MOVE = [("kiosk", "0002_kiosk_printer_address")]
MSISDN = "13800138000"


def migrate(targets):
    """Migrate the test database to `targets`; returns the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move(transactional_db):
    """The database as it was before the move; brought back to the latest
    state afterwards, whatever the test did."""
    try:
        yield migrate(BEFORE_THE_MOVE)
    finally:
        migrate(latest())
        ContentType.objects.clear_cache()


def write_the_carriers_rows(apps) -> dict:
    """A subscriber with everything the local carrier keeps, in the kiosk's tables."""
    model = lambda name: apps.get_model("kiosk", name)  # noqa: E731
    now = timezone.now()
    plan = model("Plan").objects.create(code="QQT88", name="全球通88元套餐", monthly_fee_fen=8_800,
                                        data_kb=300 * 1024, wlan_minutes=600)
    person = model("Subscriber").objects.create(msisdn=MSISDN, name="张伟", plan=plan, balance_fen=12_880,
                                                points=12_680)
    bill = model("Bill").objects.create(subscriber=person, month="2026-10", total_fen=9_800)
    model("BillItem").objects.create(bill=bill, position=0, name="套餐及固定费", amount_fen=8_800)
    model("UsageMonth").objects.create(subscriber=person, month="2026-11", plan_data_used_kb=1024)
    model("PackPurchase").objects.create(subscriber=person, month="2026-11", code="G10", name="10元70M国内流量包",
                                         data_kb=70 * 1024, price_fen=1_000)
    vas = model("ValueAddedService").objects.create(code="CL", name="彩铃", monthly_fee_fen=500)
    model("Subscription").objects.create(subscriber=person, vas=vas, since=now)
    reward = model("Reward").objects.create(code="GIFT-CUP", name="保温杯", kind="gift", points=3_000, stock=10)
    model("Redemption").objects.create(subscriber=person, reward=reward, quantity=1, points_spent=3_000,
                                       idempotency_key="tap-1", created_at=now)
    number = model("PhoneNumber").objects.create(msisdn="13783718888", tier="gold", status="held")
    model("NumberHold").objects.create(number=number, holder="kiosk:1", token="t" * 43, created_at=now,
                                       expires_at=now + timedelta(minutes=15), order_no="N1")
    model("Order").objects.create(order_no="N1", kind="number", amount_fen=55_000, msisdn="13783718888",
                                  requester="kiosk:1", created_at=now)
    return {"plan": plan.pk, "subscriber": person.pk, "number": number.pk}


@pytest.mark.django_db(transaction=True)
def test_the_carriers_rows_written_before_the_move_are_read_after_it(before_the_move):
    ids = write_the_carriers_rows(before_the_move)

    migrate(latest())

    person = Subscriber.objects.select_related("plan").get(msisdn=MSISDN)
    assert (person.pk, person.plan.pk, person.plan.code) == (ids["subscriber"], ids["plan"], "QQT88")
    assert [item.name for item in Bill.objects.get(subscriber=person).items.all()] == ["套餐及固定费"]
    assert Subscription.objects.get(subscriber=person).vas.code == "CL"
    assert Redemption.objects.get(subscriber=person).reward.code == "GIFT-CUP"
    assert NumberHold.objects.select_related("number").get(order_no="N1").number.pk == ids["number"]
    assert Order.objects.get(order_no="N1").msisdn == "13783718888"
    account = get_carrier().account(MSISDN)
    assert (account.balance_fen, account.points, account.plan.code) == (12_880, 12_680, "QQT88")
    assert [a.source for a in get_carrier().usage(MSISDN, "2026-11").data] == ["plan", "G10"]


@pytest.mark.django_db(transaction=True)
def test_the_moved_tables_take_new_rows_after_the_ones_already_there(before_the_move):
    ids = write_the_carriers_rows(before_the_move)

    migrate(latest())
    plan = Plan.objects.create(code="QQT128", name="全球通128元套餐", monthly_fee_fen=12_800)
    number = PhoneNumber.objects.create(msisdn="13783710001")

    assert plan.pk > ids["plan"] and number.pk > ids["number"]
    assert get_carrier().topup_credit(MSISDN, 5_000, reference="T1") == 12_880 + 5_000


@pytest.mark.django_db(transaction=True)
def test_moving_back_keeps_the_rows_too(before_the_move):
    write_the_carriers_rows(before_the_move)
    migrate(latest())

    apps = migrate(BEFORE_THE_MOVE)

    assert apps.get_model("kiosk", "Subscriber").objects.get(msisdn=MSISDN).plan.code == "QQT88"
    assert apps.get_model("kiosk", "NumberHold").objects.get(order_no="N1").number.msisdn == "13783718888"


@pytest.mark.django_db(transaction=True)
def test_the_moved_models_content_types_keep_their_ids(before_the_move):
    kiosk_plan, _ = ContentType.objects.get_or_create(app_label="kiosk", model="plan")

    migrate(latest())

    assert ContentType.objects.get(pk=kiosk_plan.pk).app_label == "carrier"
