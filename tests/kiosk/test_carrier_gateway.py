"""Choosing the carrier: CARRIER_GATEWAY names the class, read when first asked for."""

from kiosk.carrier.gateway import CarrierGateway, get_carrier
from kiosk.carrier.local import LocalCarrier


def test_the_default_carrier_is_the_local_one():
    assert type(get_carrier()) is LocalCarrier


def test_the_former_path_of_the_local_carrier_still_works(settings):
    settings.CARRIER_GATEWAY = "kiosk.carrier.LocalCarrier"

    carrier = get_carrier()

    assert isinstance(carrier, CarrierGateway) and type(carrier) is LocalCarrier
