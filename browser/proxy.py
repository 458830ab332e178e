"""A filtering HTTP proxy in front of Chromium: the SSRF guard for what CDP `Fetch` cannot
see, and the closing of DNS rebinding.

Chromium sends every connection here (`--proxy-server`, with `--proxy-bypass-list=<-loopback>`
so loopback is not exempt). For each one the proxy resolves the host with the guard, checks
every address and connects to an address it checked: a name that resolves to a public address
for the check and to 127.0.0.1 a moment later never reaches 127.0.0.1. WebSocket handshakes
(tunnelled with CONNECT) and preconnects pass here too. It runs on the driver's event loop.
"""

import asyncio
import logging
from urllib.parse import urlsplit

from browser.ssrf import UrlGuard, UrlRefused

logger = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024
HEAD_TIMEOUT_SECONDS = 30
# Marks the proxy's own refusal, so a refused top-level navigation is reported as such.
REFUSAL_HEADER = "X-Browser-Guard"
HOP_BY_HOP = {"proxy-connection", "connection", "keep-alive", "proxy-authorization"}


def split_authority(authority: str, default_port: int) -> tuple[str, int]:
    """`host:port`, `[v6]:port` or `host` as (host, port)."""
    if authority.startswith("["):
        host, _, rest = authority[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = authority.rpartition(":") if ":" in authority else (authority, "", "")
    if port and not port.isdigit():
        raise UrlRefused(f"Bad port in {authority!r}")
    return host, int(port) if port else default_port


def refusal_response(reason: str) -> bytes:
    body = f"{reason}\n".encode()
    return (
        b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + REFUSAL_HEADER.encode()
        + b": refused\r\nConnection: close\r\n"
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def with_connection_close(head: bytes) -> bytes:
    """A message head without hop-by-hop headers and with `Connection: close`: one request per
    proxied connection, so a reused connection never carries a request to another host."""
    lines = head.decode("latin-1").split("\r\n")
    kept = [
        line
        for line in lines[1:]
        if line and line.split(":", 1)[0].strip().lower() not in HOP_BY_HOP
    ]
    return "\r\n".join([lines[0], *kept, "Connection: close", "", ""]).encode("latin-1")


class FilteringProxy:
    def __init__(self, guard: UrlGuard):
        self.guard = guard
        self.port: int | None = None
        self.refused: list[str] = []
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=MAX_HEAD_BYTES)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _connect(self, host: str, port: int, scheme: str):
        """Check `host:port` and connect to an address the guard checked (pinned)."""
        loop = asyncio.get_running_loop()
        destination = await loop.run_in_executor(
            None, lambda: self.guard.check_host(host, port, scheme=scheme)
        )
        last_error: OSError | None = None
        for address in destination.addresses:
            try:
                return await asyncio.wait_for(asyncio.open_connection(address, port), 10)
            except (OSError, TimeoutError) as error:
                last_error = error if isinstance(error, OSError) else OSError(str(error))
        raise last_error or OSError(f"No address for {host}")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_writer = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_SECONDS)
            method, target, _version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            if method.upper() == "CONNECT":
                host, port = split_authority(target, 443)
                upstream_reader, upstream_writer = await self._connect(host, port, "https")
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                await writer.drain()
            else:
                # Absolute form: "GET http://host:port/path?query HTTP/1.1".
                parts = urlsplit(target)
                if parts.scheme.lower() != "http" or not parts.hostname:
                    raise UrlRefused(f"Only http URLs are proxied, not {target[:100]!r}")
                path = parts.path or "/"
                if parts.query:
                    path += "?" + parts.query
                upstream_reader, upstream_writer = await self._connect(
                    parts.hostname, parts.port or 80, "http"
                )
                request_line = f"{method} {path} HTTP/1.1".encode("latin-1")
                upstream_writer.write(
                    with_connection_close(request_line + b"\r\n" + head.split(b"\r\n", 1)[1])
                )
                response_head = await asyncio.wait_for(
                    upstream_reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT_SECONDS
                )
                writer.write(with_connection_close(response_head))
            await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        except UrlRefused as refused:
            self.refused.append(refused.reason)
            writer.write(refusal_response(refused.reason))
        except (
            OSError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
        ) as error:
            logger.debug("Proxy connection failed: %s", error)
            writer.write(
                b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
            )
        finally:
            for stream in (writer, upstream_writer):
                if stream is not None and not stream.is_closing():
                    stream.close()
