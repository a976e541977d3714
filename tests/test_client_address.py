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


# --- X-Forwarded-For, through a known number of proxies -----------------------------------


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(request("10.0.0.1", forwarded="203.0.113.5")) == "10.0.0.1"


def test_behind_one_proxy_the_address_it_saw_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    # The client wrote its own first entry; the proxy appended what it saw.
    address = client_address(request("10.0.0.1", forwarded="198.51.100.99, 203.0.113.5"))

    assert address == "203.0.113.5"


def test_behind_two_proxies_the_second_address_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    address = client_address(request("10.0.0.1", forwarded="198.51.100.99, 203.0.113.5, 10.0.0.2"))

    assert address == "203.0.113.5"


def test_a_forged_entry_that_is_not_an_address_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request("10.0.0.1", forwarded="not-an-address")) == "10.0.0.1"


def test_fewer_entries_than_proxies_take_the_outermost_one(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_address(request("10.0.0.1", forwarded="203.0.113.5")) == "203.0.113.5"


def test_a_spoofed_header_cannot_dodge_a_limit_behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    first = client_address(request("10.0.0.1", forwarded="1.1.1.1, 203.0.113.5"))
    second = client_address(request("10.0.0.1", forwarded="2.2.2.2, 203.0.113.5"))

    assert first == second
