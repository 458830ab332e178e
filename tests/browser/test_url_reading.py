"""URLs read as the browser reads them (browser/url_reading.py): the table, the guard judging
the host the browser would connect to, and Chromium's own parser (`new URL()` in a blank
page, no request made) agreeing on every row."""

import ipaddress

import pytest

from browser.ssrf import UrlGuard, UrlRefused
from browser.url_reading import UnreadableUrl, read_url

PUBLIC = "93.184.215.14"

# (url, host, port the browser connects to); None: the browser refuses to parse it.
READINGS = [
    ("http://127.0.0.1:9252\\@public.test/", "127.0.0.1", 9252),
    ("http://public.test\\@127.0.0.1/", "public.test", 80),
    ("http:\\\\127.0.0.1\\path", "127.0.0.1", 80),
    ("http:/127.0.0.1/", "127.0.0.1", 80),
    ("http:127.0.0.1", "127.0.0.1", 80),
    ("http:///127.0.0.1/", "127.0.0.1", 80),
    ("https://user:pass@public.test@127.0.0.1/", "127.0.0.1", 443),
    ("http://public.test#@127.0.0.1/", "public.test", 80),
    ("http://public.test?@127.0.0.1/", "public.test", 80),
    ("http://%31%32%37.0.0.1/", "127.0.0.1", 80),
    ("http://ex%41mple.test/", "example.test", 80),
    ("http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/", "127.0.0.1", 80),
    ("http://127.0.0.1\u3002/", "127.0.0.1", 80),
    ("http://0x7f.1/", "127.0.0.1", 80),
    ("http://2130706433/", "127.0.0.1", 80),
    ("http://0177.0.0.01:8080/", "127.0.0.1", 8080),
    ("http://127.0.0.1./", "127.0.0.1", 80),
    ("http://\t127.0.\n0.1/", "127.0.0.1", 80),
    ("  http://127.0.0.1/  ", "127.0.0.1", 80),
    ("HTTP://EXAMPLE.test:0080/", "example.test", 80),
    ("ws://public.test:8000/", "public.test", 8000),
    ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1", 80),
    ("http://[0:0:0:0:0:0:0:1]:81/", "::1", 81),
    ("http://[64:ff9b::127.0.0.1]/", "64:ff9b::7f00:1", 80),
    ("http://a.test:65536/", None, None),
    ("http://a.test:8o/", None, None),
    ("http://[::1/", None, None),
    ("http://[::1]x/", None, None),
    ("http://1.2.3.4.5/", None, None),
    ("http://256.256.256.256/", None, None),
    ("http://foo.09/", None, None),
    ("http://a<b.test/", None, None),
    ("http:///", None, None),
]


# Refused here although Chromium reads them: Chromium keeps a space in a host as `%20` (the
# standard forbids it); no resolver answers such a name, and a URL that means two things is
# not one a client needs.
STRICTER_THAN_CHROMIUM = ["http://a b.test/", "http://a%20b.test/"]


@pytest.mark.parametrize("url", STRICTER_THAN_CHROMIUM)
def test_hosts_chromium_bends_the_standard_for_are_refused(url):
    with pytest.raises(UnreadableUrl):
        read_url(url)


def browser_port(scheme: str, port: int | None) -> int:
    return port or {"http": 80, "https": 443, "ws": 80, "wss": 443}[scheme]


@pytest.mark.parametrize("url, host, port", READINGS)
def test_urls_are_read_as_the_browser_reads_them(url, host, port):
    if host is None:
        with pytest.raises(UnreadableUrl):
            read_url(url)
        return

    read = read_url(url)

    assert (read.host, browser_port(read.scheme, read.port)) == (host, port)


def test_the_guard_judges_the_host_the_browser_connects_to():
    # Given a public name that urllib would take for the host
    guard = UrlGuard(resolver=lambda host, port: [PUBLIC] if host == "public.test" else [])

    # Then the URL Chromium sends to 127.0.0.1 is refused for it, and the reverse passes
    with pytest.raises(UrlRefused, match=r"127\.0\.0\.1 is a loopback address"):
        guard.check("http://127.0.0.1:9252\\@public.test/")
    assert guard.check("http://public.test\\@127.0.0.1/").addresses == (PUBLIC,)


CHROMIUM_READS = """(urls) => urls.map((url) => {
  try { const read = new URL(url); return [read.protocol, read.hostname, read.port]; }
  catch (error) { return null; }
})"""


def test_chromium_reads_every_row_the_same(driver):
    # Given a blank page: new URL() parses, nothing is fetched
    async def work(guarded):
        return await guarded.page.evaluate(CHROMIUM_READS, [url for url, _, _ in READINGS])

    chromium = driver.run_page(work, deadline=20)

    for (url, host, port), read in zip(READINGS, chromium, strict=True):
        if host is None:
            assert read is None, url
            continue
        scheme, chromium_host, chromium_port = read
        address = chromium_host.strip("[]")
        try:
            chromium_host = str(ipaddress.ip_address(address))
        except ValueError:
            pass
        assert (chromium_host, browser_port(scheme[:-1], int(chromium_port or 0))) == (
            host,
            port,
        ), url
