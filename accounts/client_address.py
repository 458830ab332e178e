"""The address a request really comes from, for counting failed logins per client.

On Lambda, API Gateway writes the caller's address into the event's requestContext from
the connection itself. Zappa instead fills REMOTE_ADDR from X-Forwarded-For (the
second-to-last entry when there are several, else the whole header), which the client
controls: `X-Forwarded-For: 1.2.3.4` alone, or `1.2.3.4, <anything>` on a regional endpoint,
becomes REMOTE_ADDR. So on Lambda we read the event Zappa keeps in the WSGI environ.
"""

import ipaddress

from django.conf import settings


def _valid_address(value) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _lambda_source_ip(request) -> str | None:
    event = request.META.get("lambda.event")
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext") or {}
    # REST API (payload v1): identity.sourceIp; HTTP API (payload v2): http.sourceIp.
    identity = context.get("identity") or {}
    http = context.get("http") or {}
    return _valid_address(identity.get("sourceIp")) or _valid_address(http.get("sourceIp"))


def _forwarded_address(request, hops: int) -> str | None:
    """The entry `hops` places from the right of X-Forwarded-For: what the first trusted
    proxy saw. Entries further left were written by the client."""
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < hops:
        return None
    return _valid_address(forwarded[-hops])


def client_address(request) -> str | None:
    """The client's IP address, or None when it cannot be known."""
    if "lambda.event" in request.META:
        # Never fall back to REMOTE_ADDR here: on Lambda it is a client-written header.
        return _lambda_source_ip(request)
    hops = settings.CLIENT_ADDRESS_PROXY_HOPS
    if hops > 0:
        forwarded = _forwarded_address(request, hops)
        if forwarded:
            return forwarded
    return _valid_address(request.META.get("REMOTE_ADDR"))


# One IPv6 customer usually gets a whole /64 (often far more): counting each IPv6 address
# alone would give one client 2^64 fresh per-address budgets.
IPV6_CLIENT_PREFIX_LENGTH = 64


def address_group(address: str | None) -> str | None:
    """What per-address limits count against: an IPv4 address as it is; an IPv6 address as
    the first address of its /64 (`2001:db8:1:2::`); an IPv4-mapped IPv6 address
    (`::ffff:192.0.2.1`) as the IPv4 address it maps. None when unknown or not an address."""
    if address is None:
        return None
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    network = ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX_LENGTH), strict=False)
    return str(network.network_address)
