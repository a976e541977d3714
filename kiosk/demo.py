"""The demo's self-service data, a step of `seed_demo` (see halls.demo).

The local carrier's plans, value-added services, rewards, subscribers (with
six months of bills, this month's usage and subscriptions) and number stock;
the demo subscriber 13800138000; and the demo kiosk of the first hall, whose
device token is DEMO_KIOSK_TOKEN.

Like every step it owns its rows by natural keys (codes, numbers): it creates
the missing ones and brings their demo fields back, and leaves what the floor
changes alone (balances, points, stock, a number's status, cancelled
services). Drawn with fixed seeds: the small run is the start of the full one.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from halls.demo import DEMO_HALL_CODE, StepResult, demo_step
from halls.models import Outlet

from .carrier.models import (
    Bill,
    BillItem,
    PhoneNumber,
    Plan,
    Reward,
    RewardKind,
    Subscriber,
    Subscription,
    UsageMonth,
    ValueAddedService,
)
from .carrier.number_patterns import TIER_PRICES, number_tier, patterns_field
from .carrier.rules import KB_PER_MB, month_of, months_before
from .models import KioskDevice, token_digest

SEED = "zhengzhou-mobile-2012:kiosk"
DEMO_SUBSCRIBER = "13800138000"
DEMO_KIOSK_NAME = "1号自助终端"
SUBSCRIBERS = {False: 300, True: 20}
NUMBERS = {False: 3000, True: 300}
BILL_MONTHS = 6
BATCH_SIZE = 1000

# code, name, monthly fee (fen), data (MB), WLAN minutes
PLANS = (
    ("SZX", "神州行畅听卡", 0, 0, 0),
    ("DGDD18", "动感地带上网套餐18元", 1_800, 150, 0),
    ("QQT58", "全球通58元套餐", 5_800, 150, 300),
    ("QQT88", "全球通88元套餐", 8_800, 300, 600),
    ("QQT128", "全球通128元套餐", 12_800, 500, 1_200),
    ("QQT188", "全球通188元套餐", 18_800, 1_024, 1_800),
)

# code, name, monthly fee (fen)
VALUE_ADDED_SERVICES = (
    ("CL", "彩铃", 500),
    ("SJB", "手机报", 300),
    ("YX139", "139邮箱", 500),
    ("FXHY", "飞信会员", 1_000),
    ("WXYY", "无线音乐俱乐部", 600),
    ("QQLZ", "QQ蓝钻", 1_000),
    ("SJYD", "手机阅读", 500),
    ("SJSP", "手机视频", 1_000),
    ("YXB", "手机游戏包", 800),
    ("LDTX", "来电提醒", 200),
)


@dataclass(frozen=True)
class RewardPlan:
    code: str
    name: str
    kind: str
    points: int
    stock: int
    credit_fen: int = 0
    data_mb: int = 0


REWARDS = (
    RewardPlan("HF10", "10元话费", RewardKind.BILL_CREDIT, 1_000, 100_000, credit_fen=1_000),
    RewardPlan("HF30", "30元话费", RewardKind.BILL_CREDIT, 2_800, 100_000, credit_fen=3_000),
    RewardPlan("HF50", "50元话费", RewardKind.BILL_CREDIT, 4_500, 100_000, credit_fen=5_000),
    RewardPlan("LL100", "100M国内流量（当月有效）", RewardKind.DATA, 800, 100_000, data_mb=100),
    RewardPlan("LL500", "500M国内流量（当月有效）", RewardKind.DATA, 3_500, 100_000, data_mb=500),
    RewardPlan("GIFT-UMB", "中国移动晴雨伞", RewardKind.GIFT, 1_500, 200),
    RewardPlan("GIFT-CUP", "保温杯", RewardKind.GIFT, 3_000, 100),
    RewardPlan("GIFT-PB", "移动电源", RewardKind.GIFT, 6_000, 50),
    RewardPlan("GIFT-BT", "蓝牙耳机", RewardKind.GIFT, 12_000, 20),
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀英", "华", "慧", "建国", "志强", "晓燕", "海燕", "红梅", "丹", "鹏", "玉兰", "春梅", "国强")

# Prefixes of the number stock (Zhengzhou 0371 blocks); subscribers live in 1380371xxxx.
STOCK_PREFIXES = ("1378371", "1383710", "1393712", "1503719", "1823716", "1873711")


@dataclass(frozen=True)
class SubscriberPlan:
    msisdn: str
    name: str
    plan: str
    balance_fen: int
    points: int
    services: tuple[str, ...]
    data_used_kb: int
    wlan_minutes_used: int
    joined: int  # months ago


def subscriber_plan(*, small: bool) -> tuple[SubscriberPlan, ...]:
    """The demo subscriber first, then the others, the same on every run."""
    rng = random.Random(f"{SEED}:subscribers")
    people = [
        SubscriberPlan(DEMO_SUBSCRIBER, "张伟", "QQT88", 12_880, 12_680, ("CL", "SJB", "QQLZ"), 180 * KB_PER_MB,
                       200, 40)
    ]
    taken = {DEMO_SUBSCRIBER}
    plans = {code: (data_mb, wlan) for code, _, _, data_mb, wlan in PLANS}
    while len(people) < SUBSCRIBERS[False]:
        msisdn = f"1380371{rng.randrange(10_000):04d}"
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        plan = rng.choices([p[0] for p in PLANS], weights=(3, 3, 3, 4, 2, 1))[0]
        data_mb, wlan = plans[plan]
        used_kb = int(rng.uniform(0.0, 1.1) * data_mb * KB_PER_MB) if data_mb else rng.choice((0, 0, 512, 3_000))
        services = tuple(sorted(rng.sample([v[0] for v in VALUE_ADDED_SERVICES], k=rng.choice((0, 1, 1, 2, 3)))))
        person = SubscriberPlan(
            msisdn, name, plan, rng.randrange(0, 30_000), rng.randrange(0, 20_000), services, used_kb,
            rng.randrange(0, wlan + 1) if wlan else 0, rng.randrange(7, 120),
        )
        if msisdn not in taken:
            taken.add(msisdn)
            people.append(person)
    return tuple(people[: SUBSCRIBERS[small]])


def number_stock_plan(*, small: bool) -> tuple[str, ...]:
    """Stock numbers: mostly ordinary, one in eight built to a special pattern."""
    rng = random.Random(f"{SEED}:numbers")
    specials = (
        lambda a, b: f"{a}{a}{a}{a}",  # AAAA: gold
        lambda a, b: f"{b}{a}{a}{a}",  # tail AAA (888): silver
        lambda a, b: f"{a}{a}{b}{b}",  # AABB
        lambda a, b: f"{a}{b}{a}{b}",  # ABAB
        lambda a, b: "".join(str((int(a) % 6) + i) for i in range(4)),  # ABCD
    )
    numbers, seen = [], set()
    while len(numbers) < NUMBERS[False]:
        prefix = rng.choice(STOCK_PREFIXES)
        if len(numbers) % 250 == 249:
            msisdn = prefix[:6] + rng.choice("0123456789") * 5  # five alike: diamond
        elif len(numbers) % 8 == 7:
            a, b = rng.sample("0123456789", 2)
            msisdn = prefix + rng.choice(specials)(a, b)
        else:
            msisdn = prefix + f"{rng.randrange(10_000):04d}"
        if msisdn not in seen:
            seen.add(msisdn)
            numbers.append(msisdn)
    return tuple(numbers[: NUMBERS[small]])


def _sync(model, rows, *, key: tuple[str, ...], fields: tuple[str, ...], existing) -> tuple[int, int]:
    """Create the rows missing from `existing` (by `key`) and bring `fields`
    back where they differ. Returns (created, updated)."""
    current = {tuple(getattr(obj, name) for name in key): obj for obj in existing}
    new, changed = [], []
    for row in rows:
        obj = current.get(tuple(row[name] for name in key))
        if obj is None:
            new.append(model(**row))
        elif any(getattr(obj, name) != row[name] for name in fields):
            for name in fields:
                setattr(obj, name, row[name])
            changed.append(obj)
    model.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if changed:
        model.objects.bulk_update(changed, fields, batch_size=BATCH_SIZE)
    return len(new), len(changed)


def _catalogues(result: StepResult) -> None:
    result.count(_sync(
        Plan,
        ({"code": c, "name": n, "monthly_fee_fen": fee, "data_kb": mb * KB_PER_MB, "wlan_minutes": wlan}
         for c, n, fee, mb, wlan in PLANS),
        key=("code",), fields=("name", "monthly_fee_fen", "data_kb", "wlan_minutes"),
        existing=Plan.objects.filter(code__in=[p[0] for p in PLANS]),
    ))
    result.count(_sync(
        ValueAddedService,
        ({"code": c, "name": n, "monthly_fee_fen": fee, "is_active": True} for c, n, fee in VALUE_ADDED_SERVICES),
        key=("code",), fields=("name", "monthly_fee_fen", "is_active"),
        existing=ValueAddedService.objects.filter(code__in=[v[0] for v in VALUE_ADDED_SERVICES]),
    ))
    # Stock is the floor's once created: redemptions take from it.
    result.count(_sync(
        Reward,
        ({"code": r.code, "name": r.name, "kind": r.kind, "points": r.points, "stock": r.stock,
          "credit_fen": r.credit_fen, "data_kb": r.data_mb * KB_PER_MB, "is_active": True} for r in REWARDS),
        key=("code",), fields=("name", "kind", "points", "credit_fen", "data_kb", "is_active"),
        existing=Reward.objects.filter(code__in=[r.code for r in REWARDS]),
    ))


def _bill_items(rng: random.Random, plan_fee: int, vas_fee: int, plan_has_data: bool) -> list[tuple[str, int]]:
    items = [
        ("套餐及固定费", plan_fee),
        ("语音通信费", rng.randrange(0, 3_000)),
        ("短信彩信费", rng.randrange(0, 800)),
        ("上网费", rng.choice((0, 0, 0, 500, 1_200)) if plan_has_data else rng.randrange(0, 1_500)),
        ("增值业务费", vas_fee),
    ]
    return [(name, amount) for name, amount in items if amount or name == "套餐及固定费"]


def _subscribers(result: StepResult, *, small: bool, now: datetime) -> int:
    people = subscriber_plan(small=small)
    plans = {p.code: p for p in Plan.objects.filter(code__in=[p[0] for p in PLANS])}
    services = {v.code: v for v in ValueAddedService.objects.filter(code__in=[v[0] for v in VALUE_ADDED_SERVICES])}
    existing = Subscriber.objects.filter(msisdn__in=[p.msisdn for p in people])
    before = set(existing.values_list("msisdn", flat=True))
    # Name and plan are the demo's; balance and points move with use and stay as they are.
    result.count(_sync(
        Subscriber,
        ({"msisdn": p.msisdn, "name": p.name, "plan": plans[p.plan], "balance_fen": p.balance_fen,
          "points": p.points, "created_at": now - timedelta(days=30 * p.joined)} for p in people),
        key=("msisdn",), fields=("name", "plan"), existing=existing.select_related("plan"),
    ))
    subscriber_ids = dict(Subscriber.objects.filter(msisdn__in=[p.msisdn for p in people]).values_list("msisdn", "id"))

    # Subscriptions only for new subscribers: a service cancelled on the floor stays cancelled.
    new_subscriptions = [
        Subscription(subscriber_id=subscriber_ids[p.msisdn], vas=services[code],
                     since=now - timedelta(days=30 * p.joined - 3 * i))
        for p in people if p.msisdn not in before
        for i, code in enumerate(p.services)
    ]
    Subscription.objects.bulk_create(new_subscriptions, batch_size=BATCH_SIZE)
    result.created += len(new_subscriptions)

    months = months_before(now, BILL_MONTHS)
    have = set(Bill.objects.filter(subscriber_id__in=subscriber_ids.values(), month__in=months)
               .values_list("subscriber_id", "month"))
    bills, items = [], []
    for person in people:
        plan = plans[person.plan]
        vas_fee = sum(services[code].monthly_fee_fen for code in person.services)
        for month in months:
            if (subscriber_ids[person.msisdn], month) in have:
                continue
            lines = _bill_items(random.Random(f"{SEED}:bills:{person.msisdn}:{month}"), plan.monthly_fee_fen,
                                vas_fee, bool(plan.data_kb))
            bill = Bill(subscriber_id=subscriber_ids[person.msisdn], month=month,
                        total_fen=sum(amount for _, amount in lines))
            bills.append(bill)
            items.append(lines)
    Bill.objects.bulk_create(bills, batch_size=BATCH_SIZE)
    if bills and bills[0].pk is None:  # backends that do not return ids from a bulk insert
        ids = dict(((b.subscriber_id, b.month), b.pk) for b in Bill.objects.filter(
            subscriber_id__in=subscriber_ids.values(), month__in=months))
        for bill in bills:
            bill.pk = ids[bill.subscriber_id, bill.month]
    BillItem.objects.bulk_create(
        [BillItem(bill_id=bill.pk, position=i, name=name, amount_fen=amount)
         for bill, lines in zip(bills, items, strict=True) for i, (name, amount) in enumerate(lines)],
        batch_size=BATCH_SIZE,
    )
    result.created += len(bills) + sum(len(lines) for lines in items)

    month = month_of(now)
    have_usage = set(UsageMonth.objects.filter(subscriber_id__in=subscriber_ids.values(), month=month)
                     .values_list("subscriber_id", flat=True))
    usage = []
    for person in people:
        if subscriber_ids[person.msisdn] in have_usage:
            continue
        plan_kb = plans[person.plan].data_kb
        usage.append(UsageMonth(
            subscriber_id=subscriber_ids[person.msisdn], month=month,
            plan_data_used_kb=min(person.data_used_kb, plan_kb), overage_kb=max(0, person.data_used_kb - plan_kb),
            wlan_minutes_used=person.wlan_minutes_used,
            first_data_at=timezone.localtime(now).replace(day=1, hour=8, minute=0, second=0, microsecond=0)
            if person.data_used_kb else None,
        ))
    UsageMonth.objects.bulk_create(usage, batch_size=BATCH_SIZE)
    result.created += len(usage)
    return len(people)


def _number_stock(result: StepResult, *, small: bool) -> int:
    numbers = number_stock_plan(small=small)
    rows = []
    for msisdn in numbers:
        tier = number_tier(msisdn)
        price = TIER_PRICES[tier]
        rows.append({"msisdn": msisdn, "tier": tier, "deposit_fen": price.deposit_fen,
                     "min_monthly_fen": price.min_monthly_fen, "patterns": patterns_field(msisdn)})
    # Status (held, sold) belongs to the floor.
    result.count(_sync(
        PhoneNumber, rows, key=("msisdn",), fields=("tier", "deposit_fen", "min_monthly_fen", "patterns"),
        existing=PhoneNumber.objects.filter(msisdn__in=numbers),
    ))
    return len(numbers)


def _demo_kiosk(result: StepResult) -> KioskDevice:
    hall = Outlet.objects.get(code=DEMO_HALL_CODE)
    digest = token_digest(settings.DEMO_KIOSK_TOKEN)
    kiosk = KioskDevice.objects.filter(outlet=hall, name=DEMO_KIOSK_NAME).first()
    if kiosk is None:
        # Another device holding the demo token (renamed, moved) becomes the demo kiosk again.
        kiosk = KioskDevice.objects.filter(token_hash=digest).first() or KioskDevice(token_hash=digest)
    wanted = {"outlet_id": hall.pk, "name": DEMO_KIOSK_NAME, "token_hash": digest, "is_active": True}
    changed = [name for name, value in wanted.items() if getattr(kiosk, name) != value]
    for name in changed:
        setattr(kiosk, name, wanted[name])
    if "token_hash" in changed:
        # The demo token is the demo kiosk's: any other device holding it gets a new one.
        KioskDevice.objects.filter(token_hash=digest).exclude(pk=kiosk.pk).update(
            token_hash=token_digest(secrets.token_urlsafe(32))
        )
    if kiosk.pk is None:
        kiosk.save()
        result.created += 1
    elif changed:
        kiosk.save(update_fields=changed)
        result.updated += 1
    return kiosk


@demo_step
def seed_kiosk(*, small: bool) -> StepResult:
    """Plans, services, rewards, subscribers with bills and usage, number stock, the demo kiosk."""
    result = StepResult()
    now = timezone.now()
    _catalogues(result)
    people = _subscribers(result, small=small, now=now)
    numbers = _number_stock(result, small=small)
    kiosk = _demo_kiosk(result)
    result.lines["self-service"] = (
        f"{people} subscribers (demo {DEMO_SUBSCRIBER}, six months of bills), {numbers} numbers in stock, "
        f"{len(REWARDS)} rewards, {len(VALUE_ADDED_SERVICES)} value-added services, {len(PLANS)} plans"
    )
    result.lines["demo kiosk"] = f"{kiosk.name} at {DEMO_HALL_CODE}, device token {settings.DEMO_KIOSK_TOKEN}"
    return result
