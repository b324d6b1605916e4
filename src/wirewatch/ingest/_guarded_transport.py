"""The fetcher's HTTP transport: httpx's own, over a network backend that applies the guard.

httpcore opens every connection through its network backend's `connect_tcp(host, port)`. Ours
resolves `host` once, has `NetworkGuard` check every address, and connects to a checked address;
the request's Host header and the TLS server name (SNI, certificate check) still name the host,
because httpcore takes them from the URL, not from the socket. A redirect to another origin, or
a new connection to the same name after its DNS answer changed, opens a new connection and is
checked again, so DNS rebinding finds nothing to slip through. This is the only httpcore import.

Its streams answer httpcore's "is the socket readable?" (asked of every pooled connection on
every request, to drop those the server closed) from the socket they keep, rather than through
AnyIO's attributes, which are looked up anew on every call (7 us against 1 us).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable

import httpcore
import httpx
from httpcore._utils import is_socket_readable

from wirewatch.ingest.netguard import NetworkGuard, Resolver, resolve_checked, system_resolver


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then connects to the checked address (see the module docstring)."""

    def __init__(self, guard: NetworkGuard, resolver: Resolver = system_resolver) -> None:
        self._guard = guard
        self._resolve = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve_checked(self._guard, self._resolve, host, port, timeout)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host!r} timed out") from None
        except OSError as e:  # socket.gaierror among them: "host not found" for the user
            raise httpcore.ConnectError(str(e)) from e
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # every one was checked: try them in turn
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
                return _Stream(stream, stream.get_extra_info("socket"))
            except httpcore.ConnectError as e:
                failure = e
        raise failure or httpcore.ConnectError(f"no address for {host!r}")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the fetcher does not use Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Stream(httpcore.AsyncNetworkStream):
    """An AnyIO stream of httpcore's that knows its socket (see the module docstring)."""

    def __init__(self, inner: httpcore.AsyncNetworkStream, sock: socket.socket | None) -> None:
        self._inner, self._socket = inner, sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _Stream(tls, self._socket)  # TLS over the same socket

    def get_extra_info(self, info: str) -> object:
        if info == "is_readable":
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


def guarded_transport(
    guard: NetworkGuard, *, limits: httpx.Limits, resolver: Resolver = system_resolver
) -> httpx.AsyncHTTPTransport:
    """httpx's transport with `GuardedBackend` underneath; TLS as httpx sets it up."""
    tls = httpx.create_ssl_context()  # loading the CA certificates once, not twice
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits)
    # httpx offers no argument for the network backend, so its pool is rebuilt with ours from
    # the settings httpx itself would use. Should a new httpx stop reading `_pool`, the guard
    # tests (tests/integration/test_fetch_guard.py) fail: nothing would be refused.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=tls,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(guard, resolver),
    )
    return transport
