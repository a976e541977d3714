from datetime import time

import factory
from django.contrib.auth import get_user_model

from halls.models import (
    Counter,
    CounterService,
    HallService,
    OpeningHours,
    Outlet,
    OutletKind,
    Service,
    StaffMembership,
    StaffRole,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests-1")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"service{n}")
    name_zh = factory.Sequence(lambda n: f"业务{n}")
    name_en = factory.Sequence(lambda n: f"Service {n}")
    prefix = "A"
    default_handle_seconds = 300


class OutletFactory(factory.django.DjangoModelFactory):
    """An owned hall with a queue, open all day every day unless told otherwise."""

    class Meta:
        model = Outlet
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T-H{n:03d}")
    name = factory.Sequence(lambda n: f"测试营业厅{n}")
    kind = OutletKind.OWNED_HALL
    district = "金水区"
    address = "花园路1号"
    lat = 34.78
    lng = 113.68
    has_queue = True

    @factory.post_generation
    def always_open(self, create, extracted, **kwargs):
        if create and extracted is not False:
            OpeningHours.objects.bulk_create(
                [OpeningHours(outlet=self, weekday=d, opens=time(0), closes=time(0)) for d in range(7)]
            )


def offer(outlet, service, prefix=None, **kwargs) -> HallService:
    return HallService.objects.create(outlet=outlet, service=service, prefix=prefix or service.prefix, **kwargs)


def add_counter(outlet, number, services, **kwargs) -> Counter:
    counter = Counter.objects.create(outlet=outlet, number=number, **kwargs)
    for position, service in enumerate(services):
        CounterService.objects.create(counter=counter, service=service, position=position)
    return counter


def member(user, outlet, role=StaffRole.AGENT) -> StaffMembership:
    return StaffMembership.objects.create(user=user, outlet=outlet, role=role)
