"""The fetcher's lean HTTP transport: aiohttp's client under httpx's transport interface.

A conditional GET through httpx's `AsyncClient` and httpcore's pool costs about 1 ms of CPU;
through aiohttp's client (its C HTTP parser, its pool) about 0.15 ms (docs/benchmarks.md). The
fetcher sends through this transport's `handle_async_request` directly, without an AsyncClient
(it follows redirects, sets headers and caps bodies itself), and reads `httpx.Response`s as
from any other transport, so the fetcher's rules are written once for both.

The guard is `_guarded_transport`'s (`netguard.resolve_checked`), at the same moment: aiohttp
opens every connection after `_resolve_host(host, port)`, which ours replaces: it resolves
every host (IP literals and numeric spellings too) and has `NetworkGuard` check every address,
and aiohttp then connects to a checked address; the Host header and the TLS server name still
name the host (TLS with httpx's trust settings, loaded at the first https URL). No DNS cache:
a new connection is a new lookup, checked again (DNS rebinding). aiohttp's errors become
httpx's, with the OS error as the cause, so the fetcher words them as it does httpx's own.
Should a new aiohttp stop calling `_resolve_host`, the guard tests
(tests/integration/test_fetch_guard.py, run over both transports) fail: nothing is refused.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
from yarl import URL

from wirewatch.ingest.netguard import NetworkGuard, Resolver, resolve_checked, system_resolver

_HEADERS = 16 * 1024
"""The longest status or header line read: h11's limit for the whole head, so that no answer
the httpx transport reads is refused here for one long header (aiohttp's default is 8 KiB)."""


class _GuardedConnector(aiohttp.TCPConnector):
    def __init__(self, guard: NetworkGuard, resolver: Resolver, connect: float, **kw: Any):
        super().__init__(use_dns_cache=False, **kw)
        self._guard, self._resolve, self._connect = guard, resolver, connect

    async def _resolve_host(  # type: ignore[override]
        self, host: str, port: int, traces: object = None
    ) -> list[dict[str, Any]]:
        try:
            found = await resolve_checked(self._guard, self._resolve, host, port, self._connect)
        except TimeoutError:  # aiohttp would pass it on as a bare TimeoutError
            raise httpx.ConnectTimeout(f"resolving {host!r} timed out") from None
        return [_result(host, address, port) for address in found]


def _result(host: str, address: str, port: int) -> dict[str, Any]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
    return {"hostname": host, "host": address, "port": port, "family": family, "proto": 0,
            "flags": flags}  # fmt: skip


class LeanTransport(httpx.AsyncBaseTransport):
    """aiohttp under the guard (see the module docstring). `max_connections` bounds the pool;
    the session is opened on first use, in the running loop."""

    def __init__(
        self,
        guard: NetworkGuard,
        *,
        timeout: httpx.Timeout,
        max_connections: int,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._guard, self._resolver, self._limit = guard, resolver, max_connections
        self._connect = timeout.connect or 10.0
        self._timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=timeout.connect, sock_read=timeout.read
        )
        self._session: aiohttp.ClientSession | None = None
        self._tls: ssl.SSLContext | None = None

    def _tls_context(self) -> ssl.SSLContext:
        """httpx's trust settings (certifi, or SSL_CERT_FILE), loaded at the first https URL."""
        self._tls = self._tls or httpx.create_ssl_context()
        return self._tls

    def _open(self) -> aiohttp.ClientSession:
        connector = _GuardedConnector(
            self._guard, self._resolver, self._connect, limit=self._limit, keepalive_timeout=5.0
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            auto_decompress=False,  # the fetcher inflates under its cap
            trust_env=False,  # no proxy from the environment, as for the httpx transport
            max_line_size=_HEADERS,
            max_field_size=_HEADERS,
        )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        with _as_httpx(request):
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=request.headers.multi_items(),
                allow_redirects=False,
                ssl=self._tls_context() if request.url.scheme == "https" else True,
            )
        reason = (response.reason or "").encode("ascii", "replace")
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response, self._request = response, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.release()  # keeps the connection only if the body was read to its end


_CAUSES: Sequence[tuple[type[BaseException], type[httpx.TransportError]]] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientOSError, httpx.ReadError),
    (aiohttp.ClientError, httpx.TransportError),
)


@contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    """aiohttp's errors as httpx's: a connect error caused by its OS error (refused, not found,
    TLS), a timeout by the phase it hit, a malformed answer as a protocol error."""
    try:
        yield
    except aiohttp.ClientError as e:
        kind = next(wanted for found, wanted in _CAUSES if isinstance(e, found))
        cause = getattr(e, "os_error", None) if isinstance(e, aiohttp.ClientConnectorError) else e
        if isinstance(e, aiohttp.ClientConnectorCertificateError):
            cause = e.certificate_error
        message = getattr(e, "message", None) or str(e)
        raise kind(str(message), request=request) from cause
