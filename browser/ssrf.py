"""Which URLs the headless browser may fetch (docs/contract.md §2.6, docs/browser.md "SSRF guard").

Only http(s) (and ws(s) for sub-requests) to public addresses (browser/addresses.py). A URL is
read as the browser reads it (browser/url_reading.py), so numeric forms (`2130706433`,
`0x7f000001`, `0177.0.0.1`) and tricks urllib reads otherwise (`http://127.0.0.1\\@a.test/`)
mean the address the browser would connect to. A hostname is resolved by the guard and every
address it resolves to is checked. An explicit allow-list of `host:port` destinations lets the
test suite's loopback servers through; production has none.

Nothing here opens a connection; the resolver is a parameter so tests inject their own.
"""

import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from browser.addresses import address_refusal
from browser.url_reading import UnreadableUrl, parse_host_address, read_url, url_scheme

Resolver = Callable[[str, int], list[str]]

HTTP_SCHEMES = frozenset({"http", "https"})
SUB_REQUEST_SCHEMES = frozenset({"http", "https", "ws", "wss"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class UrlRefused(Exception):
    """The browser may not fetch this URL; `reason` is for the person who asked."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the machine's resolver gives for `host` (A and AAAA)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [info[4][0] for info in infos]


@dataclass(frozen=True)
class Destination:
    """Where a checked URL goes: the addresses the guard checked (pin these)."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]


def canonical_host(host: str) -> str:
    """Lower-case name, or the address's canonical text for any numeric form."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address = parse_host_address(host)
    except UnreadableUrl:
        return host
    return str(address) if address is not None else host


def parse_allowed(entries: Iterable[str]) -> frozenset[tuple[str, int]]:
    """`["127.0.0.1:8123", "[::1]:80", "example.test:443"]` as (host, port) pairs."""
    allowed = set()
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"Allow-list entry {entry!r} is not host:port")
        allowed.add((canonical_host(host), int(port)))
    return frozenset(allowed)


class UrlGuard:
    """Checks a URL before the browser fetches it. `allowed` host:port entries skip the address
    check (tests' loopback servers); `resolver(host, port)` lists a name's addresses."""

    def __init__(self, *, allowed: Iterable[str] = (), resolver: Resolver = system_resolver):
        self.allowed = parse_allowed(allowed)
        self.resolver = resolver

    def is_allowed(self, host: str, port: int) -> bool:
        return (canonical_host(host), port) in self.allowed

    def check_host(self, host: str, port: int, *, scheme: str = "http") -> Destination:
        """The addresses `host:port` may be reached at, or UrlRefused."""
        name = canonical_host(host)
        if not name:
            raise UrlRefused("The URL has no host")
        try:
            literal = parse_host_address(name)
        except UnreadableUrl as error:
            raise UrlRefused(f"Not a valid URL: {error}") from None
        if literal is not None:
            addresses = [str(literal)]
        else:
            addresses = list(dict.fromkeys(self.resolver(name, port)))
            if not addresses:
                raise UrlRefused(f"{name} could not be resolved")
        if self.is_allowed(name, port):
            return Destination(scheme, name, port, tuple(addresses))
        for text in addresses:
            address = parse_host_address(text)
            if address is None:
                raise UrlRefused(f"{name} resolved to {text!r}, which is not an address")
            if self.is_allowed(str(address), port):
                continue
            why = address_refusal(address)
            if why:
                via = "" if literal is not None else f"{name} resolves to "
                raise UrlRefused(f"URL refused: {via}{why}")
        return Destination(scheme, name, port, tuple(addresses))

    def check(self, url: str, *, schemes: frozenset[str] = HTTP_SCHEMES) -> Destination:
        """Where `url` goes, as the browser reads it (browser/url_reading.py), or UrlRefused
        with the reason."""
        scheme = url_scheme(url)
        if scheme not in schemes:
            allowed = " and ".join(sorted(schemes))
            raise UrlRefused(f"Only {allowed} URLs are allowed, not {scheme or 'no'} scheme")
        try:
            read = read_url(url)
        except UnreadableUrl as error:
            raise UrlRefused(f"Not a valid URL: {error}") from None
        return self.check_host(read.host, read.port or DEFAULT_PORTS[scheme], scheme=scheme)
