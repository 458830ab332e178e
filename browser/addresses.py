"""Which addresses the browser may connect to (docs/browser.md "SSRF guard"): public ones only.

An IPv6 address that carries an IPv4 address is judged by the IPv4 address, where a packet
to it ends up: IPv4-mapped `::ffff:0:0/96`, SIIT `::ffff:0:0:0/96`, IPv4-compatible `::/96`,
NAT64 `64:ff9b::/96` and the local-use `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`
(its server and its client). Nothing here opens a connection.
"""

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Prefixes whose last 32 bits are an IPv4 address a translator sends the packet to.
LAST_32_BITS_CARRIERS = (
    ipaddress.ip_network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.ip_network("::ffff:0:0:0/96"),  # SIIT, IPv4-translated (RFC 2765)
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64, well-known prefix (RFC 6052)
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated)
)
# NAT64's local-use /48 (RFC 8215) carries the IPv4 address in its last 32 bits (a /96 inside)
# or as RFC 6052 lays it out for a /48 prefix, in bits 48-63 and 72-87: both readings are judged.
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def embedded_ipv4s(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address carries (empty for a plain one)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    value = int(address)
    carried = []
    if address in NAT64_LOCAL_USE:
        last_32 = value & 0xFFFFFFFF
        rfc_6052_48 = ((value >> 64) & 0xFFFF) << 16 | (value >> 40) & 0xFFFF
        # A layout that reads 0.0.0.0 is not the one in use, unless both do.
        readings = [reading for reading in (last_32, rfc_6052_48) if reading] or [0]
        carried.extend(ipaddress.IPv4Address(reading) for reading in readings)
    elif value > 1 and any(address in prefix for prefix in LAST_32_BITS_CARRIERS):
        # `::` and `::1` are themselves (unspecified, loopback), not IPv4-compatible forms.
        carried.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if address.sixtofour is not None:
        carried.append(address.sixtofour)
    if address.teredo is not None:
        carried.extend(address.teredo)  # (server, client)
    return list(dict.fromkeys(carried))


def address_refusal(address: IPAddress) -> str | None:
    """Why the browser may not connect to `address`, or None for a public address."""
    carried = embedded_ipv4s(address)
    if carried:
        for inner in carried:
            why = address_refusal(inner)
            if why:
                return f"{why} (carried by IPv6 {address})"
        return None
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_loopback:
        return f"{address} is a loopback address"
    if address.is_link_local:
        return f"{address} is a link-local address (cloud metadata lives there)"
    if isinstance(address, ipaddress.IPv6Address) and address in UNIQUE_LOCAL:
        return f"{address} is a unique-local address"
    if address.is_private:
        return f"{address} is a private address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None
