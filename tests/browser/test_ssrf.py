"""The SSRF guard's address classification and URL checks, with no connection made: every
name is resolved by an injected resolver."""

import ipaddress

import pytest

from browser.ssrf import UrlGuard, UrlRefused, address_refusal, parse_host_address

NO_DNS = {}


def resolver_of(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        return table.get(host, [])

    return resolve


def guard(allowed=(), names=NO_DNS) -> UrlGuard:
    return UrlGuard(allowed=allowed, resolver=resolver_of(names))


@pytest.mark.parametrize(
    "written, means",
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0", "0.0.0.0"),  # noqa: S104 (an address to classify, not to bind)
        ("3232235777", "192.168.1.1"),
        ("0251.0376.0251.0376", "169.254.169.254"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("example.com", None),
        ("1.2.3.example", None),
    ],
)
def test_numeric_host_forms_are_read_as_the_address_browsers_mean(written, means):
    address = parse_host_address(written)

    assert (str(address) if address else None) == means


@pytest.mark.parametrize(
    "address, words",
    [
        ("127.0.0.1", "loopback"),
        ("127.53.0.9", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (classified, not bound)
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("169.254.170.2", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00:ec2::254", "unique-local"),
        ("fc00::1", "unique-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        # IPv6 addresses that carry an IPv4 address are judged by it
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 well-known prefix
        ("64:ff9b:1::a00:1", "private"),  # NAT64 local use, as a /96 inside the /48
        ("64:ff9b:1:7f00:1::", "loopback"),  # ... and as RFC 6052 lays out a /48 prefix
        ("64:ff9b:1:a9fe:a9:fe00::", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4
        ("2002:a9fe:a9fe::1", "link-local"),
        ("2002:c0a8:101:1::1", "private"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),  # Teredo, client 127.0.0.1
        ("2001:0:a00:1:8000:63bf:f7f7:f7f6", "private"),  # Teredo, server 10.0.0.1
        ("::ffff:0:7f00:1", "loopback"),  # SIIT (IPv4-translated)
        ("::ffff:0:a9fe:a9fe", "link-local"),
        ("::7f00:1", "loopback"),  # IPv4-compatible
        ("::a00:1", "private"),
        ("100.64.0.1", "not a public"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "private"),
    ],
)
def test_non_public_addresses_are_refused_with_their_kind(address, words):
    assert words in address_refusal(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
        "::ffff:0:808:808",
        "2001:0:808:808:8000:63bf:f7f7:f7f7",  # Teredo: server and client 8.8.8.8
    ],
)
def test_public_addresses_pass(address):
    assert address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001:8080/",
        "http://0177.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://0/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.1/",
        "https://192.168.1.1/",
    ],
)
def test_urls_to_non_public_addresses_are_refused(url):
    with pytest.raises(UrlRefused):
        guard().check(url)


@pytest.mark.parametrize(
    "url, words",
    [
        ("file:///etc/passwd", "file"),
        ("chrome://settings", "chrome"),
        ("view-source:http://127.0.0.1/", "view-source"),
        ("data:text/html,<h1>x</h1>", "data"),
        ("javascript:alert(1)", "javascript"),
        ("ftp://example.com/", "ftp"),
        ("//example.com/", "no scheme"),
    ],
)
def test_non_http_schemes_are_refused(url, words):
    with pytest.raises(UrlRefused) as refused:
        guard(names={"example.com": ["93.184.215.14"]}).check(url)

    assert words in refused.value.reason


def test_names_are_resolved_and_every_address_checked():
    names = {
        "public.test": ["93.184.215.14"],
        "rebound.test": ["93.184.215.14", "10.0.0.5"],
        "metadata.test": ["169.254.169.254"],
    }

    assert guard(names=names).check("https://public.test/x").addresses == ("93.184.215.14",)
    with pytest.raises(UrlRefused, match=r"rebound\.test resolves to 10\.0\.0\.5"):
        guard(names=names).check("https://rebound.test/")
    with pytest.raises(UrlRefused, match="link-local"):
        guard(names=names).check("http://metadata.test/")


@pytest.mark.parametrize(
    "resolves_to, words",
    [
        ("64:ff9b:1::a9fe:a9fe", "link-local"),
        ("2002:7f00:1::", "loopback"),
        ("::ffff:0:a00:5", "private"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback"),
    ],
)
def test_names_resolving_to_addresses_that_carry_a_refused_ipv4_are_refused(resolves_to, words):
    names = {"carrier.test": ["93.184.215.14", resolves_to]}

    with pytest.raises(UrlRefused, match=rf"carrier\.test resolves to .*{words}.*carried by IPv6"):
        guard(names=names).check("http://carrier.test/")


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(UrlRefused, match="could not be resolved"):
        guard().check("http://nowhere.test/")


def test_the_allow_list_admits_exactly_its_host_and_port():
    allowing = guard(allowed=["127.0.0.1:8123"], names={"alias.test": ["127.0.0.1"]})

    assert allowing.check("http://127.0.0.1:8123/page").port == 8123
    assert allowing.check("http://2130706433:8123/").host == "127.0.0.1"
    with pytest.raises(UrlRefused, match="loopback"):
        allowing.check("http://127.0.0.1:8124/")
    with pytest.raises(UrlRefused, match="loopback"):
        allowing.check("http://127.0.0.1/")


def test_the_settings_allow_nothing_by_default(settings):
    from browser.driver import default_guard

    assert settings.BROWSER_ALLOWED_DESTINATIONS == []
    assert default_guard().allowed == frozenset()


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/", "http://[::1/", "http:///path"])
def test_malformed_urls_are_refused_not_crashing(url):
    with pytest.raises(UrlRefused):
        guard().check(url)
