"""Where a request comes from, for the limits: an IPv6 client is its /64 (one
household or phone has a whole /64 to pick addresses from), and
X-Forwarded-For is believed only through the configured number of proxies."""

from django.test import RequestFactory

from config.ratelimit import client_address


def request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_an_ipv4_client_is_its_address():
    assert client_address(request("10.0.0.1")) == "10.0.0.1"


def test_every_address_of_an_ipv6_64_is_one_client():
    first = client_address(request("2001:db8:1:2::1"))
    other = client_address(request("2001:db8:1:2:aaaa:bbbb:cccc:dddd"))

    assert first == other == "2001:db8:1:2::/64"


def test_another_ipv6_64_is_another_client():
    assert client_address(request("2001:db8:1:3::1")) != client_address(request("2001:db8:1:2::1"))


def test_an_ipv4_mapped_ipv6_address_is_the_ipv4_client():
    assert client_address(request("::ffff:10.0.0.7")) == "10.0.0.7"
