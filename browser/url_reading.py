"""A URL's scheme, host and port as the browser reads them (the WHATWG URL Standard, which
Chromium follows), so the SSRF guard judges the destination Chromium will connect to.

Python's urllib reads some URLs differently: `http://127.0.0.1:9252\\@public.test/` is host
`public.test` to urllib, but a backslash ends the authority for http(s) in a browser, which
goes to 127.0.0.1. Here: tabs and newlines are dropped, `\\` is `/` for special schemes, any run
of slashes after the scheme is skipped, the userinfo ends at the last `@`, the host is
percent-decoded and IDNA-mapped (fullwidth digits and dots included), and a host whose last
label is a number is an IPv4 address in any of its numeric forms (`2130706433`, `0x7f.1`,
`0177.0.0.1`), or the URL is refused as the browser would refuse it.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SPECIAL_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp", "file"})
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_C0_OR_SPACE = "".join(chr(code) for code in range(0x21))
_AUTHORITY_END = re.compile(r"[/\\?#]")
# WHATWG "forbidden domain code points": the host is refused if they remain after decoding.
_FORBIDDEN_DOMAIN = frozenset("\x00\t\n\r #/:<>?@[\\]^|%\x7f") | frozenset(
    chr(code) for code in range(0x20)
)


class UnreadableUrl(ValueError):
    """What the browser itself would refuse to parse."""


@dataclass(frozen=True)
class BrowserUrl:
    scheme: str
    host: str  # a lower-case ASCII name, or an address's canonical text ("" if not special)
    port: int | None  # None: the scheme's default


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
        return int(digits, base) if digits.isascii() and digits.isalnum() else None
    except ValueError:
        return None


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host string means to a browser (WHATWG URL "IPv4 parser"), or None
    when it is a name. `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` all mean 127.0.0.1.
    """
    numbers = _ipv4_numbers(host)
    if numbers is None:
        return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise UnreadableUrl(f"{host!r} is not a valid IPv4 address")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _ipv4_numbers(host: str) -> list[int] | None:
    """The numbers of the host's 1 to 4 dot-separated parts (one trailing dot allowed), or
    None when the host is a name."""
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts = parts[:-1]
    if not parts or len(parts) > 4 or not parts[-1]:
        return None
    numbers = [parse_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    return numbers


def parse_host_address(host: str) -> IPAddress | None:
    """The address a host is written as (IPv6 in brackets or not, any IPv4 form), or None for
    a name."""
    literal = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(literal)
    except ValueError:
        pass
    return parse_ipv4_host(literal)


def _ends_in_a_number(domain: str) -> bool:
    labels = domain.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if not last:
        return False
    return (last.isascii() and last.isdigit()) or parse_ipv4_number(last) is not None


def _domain_to_ascii(domain: str) -> str:
    if domain.isascii():
        return domain.lower()
    try:
        # IDNA mapping: fullwidth letters and digits, and the ideographic full stops, become
        # ASCII, as the browser's UTS #46 processing maps them.
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise UnreadableUrl(f"{domain!r} is not a valid host name") from None


def read_host(text: str) -> str:
    """A URL's host as the browser reads it: an address's canonical text or an ASCII name."""
    if text.startswith("["):
        if not text.endswith("]") or "%" in text:
            raise UnreadableUrl(f"{text!r} is not a valid IPv6 address")
        try:
            return str(ipaddress.IPv6Address(text[1:-1]))
        except ValueError:
            raise UnreadableUrl(f"{text!r} is not a valid IPv6 address") from None
    domain = _domain_to_ascii(unquote(text, errors="replace"))
    if not domain or _FORBIDDEN_DOMAIN.intersection(domain):
        raise UnreadableUrl(f"{text!r} is not a valid host")
    if _ends_in_a_number(domain):
        address = parse_ipv4_host(domain)
        if address is None:
            raise UnreadableUrl(f"{text!r} is not a valid IPv4 address")
        return str(address)
    return domain


def _cleaned(url: str) -> str:
    return re.sub(r"[\t\n\r]", "", url.strip(_C0_OR_SPACE))


def url_scheme(url: str) -> str:
    """The URL's scheme, lower-case ("" when it has none)."""
    match = _SCHEME.match(_cleaned(url))
    return match.group()[:-1].lower() if match else ""


def read_url(url: str) -> BrowserUrl:
    """Scheme, host and port of `url` as the browser reads them; UnreadableUrl for a URL the
    browser would not parse. Non-special schemes (`data:`, `javascript:`) get no host."""
    text = _cleaned(url)
    match = _SCHEME.match(text)
    if match is None:
        raise UnreadableUrl("The URL has no scheme")
    scheme = match.group()[:-1].lower()
    if scheme not in SPECIAL_SCHEMES:
        return BrowserUrl(scheme, "", None)
    rest = text[match.end() :].lstrip("/\\")
    end = _AUTHORITY_END.search(rest)
    authority = rest[: end.start()] if end else rest
    host_text, port_text = _host_and_port(authority.rpartition("@")[2])
    if not host_text:
        raise UnreadableUrl("The URL has no host")
    port = _port(port_text)
    return BrowserUrl(scheme, read_host(host_text), port)


def _host_and_port(host_and_port: str) -> tuple[str, str]:
    """The host's text (an IPv6 address with its brackets) and the port's, split at the
    colon that follows the host."""
    if not host_and_port.startswith("["):
        host_text, _, port_text = host_and_port.partition(":")
        return host_text, port_text
    close = host_and_port.find("]")
    host_text, after = host_and_port[: close + 1], host_and_port[close + 1 :]
    if close == -1 or (after and not after.startswith(":")):
        raise UnreadableUrl(f"{host_and_port!r} is not a valid IPv6 host")
    return host_text, after[1:]


def _port(port_text: str) -> int | None:
    if port_text and (not port_text.isascii() or not port_text.isdigit()):
        raise UnreadableUrl(f"Port {port_text!r} is not a number")
    port = int(port_text) if port_text else None
    if port is not None and port > 65535:
        raise UnreadableUrl(f"Port {port} is out of range")
    return port
