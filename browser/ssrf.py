"""Which URLs the headless browser may fetch (docs/contract.md §2.6, docs/browser.md "SSRF guard").

Only http(s) (and ws(s) for sub-requests) to public addresses. A hostname is resolved by the
guard and every address it resolves to is checked; numeric forms browsers accept
(`2130706433`, `0x7f000001`, `0177.0.0.1`, `[::ffff:127.0.0.1]`) are read as the address they
mean. An explicit allow-list of `host:port` destinations lets the test suite's loopback servers
through; production has none.

Nothing here opens a connection; the resolver is a parameter so tests inject their own.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

HTTP_SCHEMES = frozenset({"http", "https"})
SUB_REQUEST_SCHEMES = frozenset({"http", "https", "ws", "wss"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# Prefixes whose last 32 bits are an IPv4 address a packet ends up at.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE_PREFIX = ipaddress.ip_network("::/96")


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


def parse_ipv4_number(part: str) -> int | None:
    """One dotted part as browsers read it: 0x.. hex, 0.. octal, else decimal."""
    if part.lower().startswith("0x"):
        digits, base = part[2:], 16
        if digits == "":
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    try:
        return int(digits, base) if digits.isalnum() else None
    except ValueError:
        return None


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host string means to a browser (WHATWG URL "IPv4 parser"), or None
    when it is a name. `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` all mean 127.0.0.1.
    """
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]
    if not parts or len(parts) > 4 or not parts[-1]:
        return None
    numbers = [parse_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise UrlRefused(f"{host!r} is not a valid IPv4 address")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def parse_host_address(host: str) -> IPAddress | None:
    """The address a URL's host is written as (IPv6 in brackets or not, any IPv4 form), or
    None for a name."""
    literal = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(literal)
    except ValueError:
        pass
    return parse_ipv4_host(literal)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries to (mapped, NAT64, IPv4-compatible)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_PREFIX or (address in IPV4_COMPATIBLE_PREFIX and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why the browser may not connect to `address`, or None for a public address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        why = address_refusal(inner)
        return f"{why} (written as IPv6 {address})" if why else None
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address (cloud metadata lives there)"
    if isinstance(address, ipaddress.IPv6Address) and address in ipaddress.ip_network("fc00::/7"):
        return f"{address} is a unique-local address"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


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
    except UrlRefused:
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
        literal = parse_host_address(name)
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
        """Where `url` goes, or UrlRefused with the reason."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as error:
            raise UrlRefused(f"Not a valid URL: {error}") from None
        scheme = parts.scheme.lower()
        if scheme not in schemes:
            allowed = " and ".join(sorted(schemes))
            raise UrlRefused(f"Only {allowed} URLs are allowed, not {scheme or 'no'} scheme")
        if not parts.hostname:
            raise UrlRefused("The URL has no host")
        return self.check_host(parts.hostname, port or DEFAULT_PORTS[scheme], scheme=scheme)
