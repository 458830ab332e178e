"""Which address failed logins are counted against (never a header the client wrote)."""

import pytest
from django.test import RequestFactory

from accounts.client_address import address_group, client_address


def _request(**meta):
    return RequestFactory().post("/login", **meta)


def test_on_lambda_the_api_gateway_source_ip_wins_over_headers():
    request = _request(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.1")
    request.META["lambda.event"] = {"requestContext": {"identity": {"sourceIp": "203.0.113.5"}}}

    assert client_address(request) == "203.0.113.5"


def test_on_lambda_http_api_payload_v2():
    request = _request(REMOTE_ADDR="10.0.0.1")
    request.META["lambda.event"] = {"requestContext": {"http": {"sourceIp": "2001:db8::1"}}}

    assert client_address(request) == "2001:db8::1"


def test_on_lambda_without_a_source_ip_the_address_is_unknown_not_the_header():
    request = _request(REMOTE_ADDR="10.0.0.1")
    request.META["lambda.event"] = {"requestContext": {"identity": {"sourceIp": "junk"}}}

    assert client_address(request) is None


def test_off_lambda_the_socket_address_is_used_and_forwarded_for_ignored_by_default(settings):
    settings.CLIENT_ADDRESS_PROXY_HOPS = 0

    assert (
        client_address(_request(REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR="1.2.3.4"))
        == "192.0.2.8"
    )


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [
        ("1.2.3.4, 198.51.100.2", 1, "198.51.100.2"),
        ("1.2.3.4, 198.51.100.2, 10.0.0.3", 2, "198.51.100.2"),
        ("198.51.100.2", 2, "192.0.2.8"),  # fewer entries than proxies: fall back to the socket
        ("not-an-ip", 1, "192.0.2.8"),
    ],
)
def test_behind_trusted_proxies_the_entry_they_wrote_is_used(settings, forwarded, hops, expected):
    settings.CLIENT_ADDRESS_PROXY_HOPS = hops

    assert (
        client_address(_request(REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR=forwarded))
        == expected
    )


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("192.0.2.8", "192.0.2.8"),  # IPv4: the address itself
        (" 192.0.2.8 ", "192.0.2.8"),
        ("2001:db8:1:2::1", "2001:db8:1:2::"),  # IPv6: its /64
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"),
        ("2001:DB8:1:2:0:0:0:7", "2001:db8:1:2::"),  # any spelling
        ("2001:db8:1:3::1", "2001:db8:1:3::"),  # the next /64 is another client
        ("::ffff:192.0.2.8", "192.0.2.8"),  # IPv4-mapped: the IPv4 address
        ("::ffff:c000:208", "192.0.2.8"),
        ("::1", "::"),
        (None, None),
        ("", None),
        ("not-an-ip", None),
        ("2001:db8::/64", None),
    ],
)
def test_address_group_counts_ipv6_by_its_64_and_mapped_ipv4_as_ipv4(address, group):
    assert address_group(address) == group
