"""The fetcher's lean HTTP transport: aiohttp's client, answering as the fetcher reads httpx's.

A conditional GET through httpx's `AsyncClient` and httpcore's pool costs about 1 ms of CPU;
through aiohttp's client (its C HTTP parser, its pool) about 0.15 ms (docs/benchmarks.md). The
fetcher sends through `LeanTransport.send` directly, without an AsyncClient or httpx request
and response objects (it follows redirects, sets headers and caps bodies itself), and reads the
`LeanResponse` it gets as it reads an `httpx.Response` (the same status, reason, headers as
httpx decodes them, raw body chunks), so the fetcher's rules are written once for both.

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

import re
import socket
import ssl
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import aiohttp
import httpx
from yarl import URL

from wirewatch.ingest.netguard import NetworkGuard, Resolver, resolve_checked, system_resolver

_HEADERS = 16 * 1024
"""The longest status or header line read: h11's limit for the whole head, so that no answer
the httpx transport reads is refused here for one long header (aiohttp's default is 8 KiB)."""


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_PCHAR = r"[A-Za-z0-9\-._~!$&'()*+,;=:@]"
_PLAIN = re.compile(
    rf"https?://(?P<host>{_LABEL}(?:\.{_LABEL})*)(?::(?P<port>[1-9][0-9]{{0,4}}))?"
    rf"(?P<path>/(?:{_PCHAR}|/)*)(?:\?(?:{_PCHAR}|[/?])+)?"
)
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")  # httpx checks these as IPv4
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_DEFAULT_PORTS = {"80": "http:", "443": "https:"}


def plain_url(url: str) -> bool:
    """Whether httpx would read `url` as exactly itself, and accept it: lowercase scheme and
    host (a valid dotted quad if it looks like one), no default port, user, percent sign,
    fragment, dot segment or character httpx would encode. Such a URL is sent as it is,
    without building an `httpx.URL` (the fetcher builds one for any other, and on a redirect)."""
    found = _PLAIN.fullmatch(url) if len(url) <= 2048 else None
    if found is None or "/." in found["path"]:
        return False
    host, port = found["host"], found["port"]
    if _IPV4_STYLE.fullmatch(host) and not _IPV4.fullmatch(host):
        return False
    return port is None or not url.startswith(_DEFAULT_PORTS.get(port, "-"))


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


class LeanTransport:
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

    async def send(self, url: httpx.URL | str, headers: httpx.Headers) -> LeanResponse:
        """GET `url` (an `httpx.URL`, or a `plain_url`) with exactly `headers` (names as httpx
        sends them), no redirect followed."""
        session, text = self._session or self._open(), str(url)
        with _as_httpx():
            response = await session.request(
                "GET",
                URL(text, encoded=True),
                headers=headers.multi_items(),
                allow_redirects=False,
                ssl=self._tls_context() if text.startswith("https:") else True,
            )
        return LeanResponse(response, url)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class LeanResponse:
    """An aiohttp answer as the fetcher reads an `httpx.Response`; its body streams raw."""

    is_stream_consumed: ClassVar[bool] = False

    def __init__(self, response: aiohttp.ClientResponse, url: httpx.URL | str) -> None:
        self._response, self._url = response, url
        self.status_code = response.status
        self.headers = RawHeaders(response.raw_headers)

    @property
    def url(self) -> httpx.URL:
        return self._url if isinstance(self._url, httpx.URL) else httpx.URL(self._url)

    @property
    def reason_phrase(self) -> str:
        return (self._response.reason or "").encode("ascii", "replace").decode("ascii")

    @property
    def content(self) -> bytes:
        raise RuntimeError("a lean response is streamed (is_stream_consumed is False)")

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        with _as_httpx():
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_raw()])

    async def aclose(self) -> None:
        self._response.release()  # keeps the connection only if the body was read to its end


class RawHeaders:
    """Header lookups as `httpx.Headers.get` answers them: names without case, repeated ones
    joined with ", ", values decoded as ASCII, else UTF-8, else ISO-8859-1 (for all at once)."""

    def __init__(self, raw: Sequence[tuple[bytes, bytes]]) -> None:
        self._raw, self._encoding = raw, ""

    def get(self, key: str, default: Any = None) -> Any:
        wanted = key.lower().encode(self.encoding)
        found = [value for name, value in self._raw if name.lower() == wanted]
        return ", ".join(v.decode(self.encoding) for v in found) if found else default

    @property
    def encoding(self) -> str:
        self._encoding = self._encoding or next(
            (e for e in ("ascii", "utf-8") if all(_decodes(pair, e) for pair in self._raw)),
            "iso-8859-1",
        )
        return self._encoding


def _decodes(pair: tuple[bytes, bytes], encoding: str) -> bool:
    try:
        pair[0].decode(encoding), pair[1].decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


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
def _as_httpx() -> Iterator[None]:
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
        raise kind(str(message)) from cause
