"""Fetching feeds (`_fetch_body`: bodies, files; `_guarded_transport`, `_lean_transport`).

`Fetcher.fetch` does one conditional GET and never raises for feed or network problems: it
returns a `FetchResult` (OK, NOT_MODIFIED, GONE or FAILED with a one-line `error`). It enforces

- timeouts per operation (connect, read, write, pool) and in total (`asyncio.timeout`),
- a cap on the *decompressed* body, checked while streaming so that a gzip bomb stops early,
- at most `max_redirects` redirects, followed by hand so that only http(s) targets are allowed,
  a chain of 301/308 is reported as permanent, and across origins only the headers we set for
  every feed go on (the feed's own headers, such as Authorization, Cookie or X-Api-Key, do not),
- the network guard (`netguard`): every connection, first request and redirect hops alike, goes
  to a resolved address that is public or in `allow_networks`, checked at connect time,
- a global and a per-host concurrency limit.

`file://` URLs are read from disk under the same cap (regular files only). Tests inject an
`httpx.AsyncClient` or a transport (respx, `httpx.MockTransport`), or a `resolver` for the
guard. `lean=True` (the pipeline's) sends through aiohttp's client (about a seventh of the CPU
per request) under the same guard, limits and rules; an injected seam wins. Proxy variables
(HTTP_PROXY...) are not used: a proxy would resolve names where the guard cannot see.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from wirewatch import USER_AGENT
from wirewatch.config.sections import FetchConfig
from wirewatch.errors import AddressRefused
from wirewatch.ingest._fetch_body import MIB as MIB
from wirewatch.ingest._fetch_body import Answer, FetchFailure, one_line, read_body, read_file_url
from wirewatch.ingest._lean_transport import LeanTransport, plain_url
from wirewatch.ingest.backoff import parse_retry_after
from wirewatch.ingest.netguard import IPNetwork, NetworkGuard, Resolver, system_resolver
from wirewatch.model import Clock, FetchResult, FetchStatus, utc_now

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
ACCEPT_ENCODING = "gzip, deflate"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_SAFE_ACROSS_ORIGINS = frozenset(
    {
        "user-agent",
        "accept",
        "accept-encoding",
        "accept-language",
        "if-none-match",
        "if-modified-since",
    }
)
"""Headers that go on to another origin; every other one (credentials, a feed's custom
headers such as X-Api-Key) stays with the origin it was configured for."""
_TIMEOUTS: tuple[tuple[type[httpx.TimeoutException], str, str], ...] = (
    (httpx.ConnectTimeout, "connect", "connecting"),
    (httpx.ReadTimeout, "read", "reading"),
    (httpx.WriteTimeout, "write", "sending"),
    (httpx.PoolTimeout, "pool", "waiting for a free connection"),
)
_CONNECT_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (socket.gaierror, "host not found"),
    (ssl.SSLCertVerificationError, "TLS certificate not trusted"),
    (ssl.SSLError, "TLS handshake failed"),
)


_CONFIG = FetchConfig()  # `fetch:` with nothing set: the policy's defaults are the config's


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """How politely and how defensively to fetch. Times are seconds."""

    connect: float = _CONFIG.connect_timeout
    read: float = _CONFIG.read_timeout
    write: float = 10.0
    pool: float = 10.0
    total: float = _CONFIG.timeout
    max_body_bytes: int = _CONFIG.max_body
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    max_concurrency: int = _CONFIG.concurrency
    per_host: int = _CONFIG.per_host
    allow_networks: tuple[IPNetwork, ...] = ()
    """Networks the guard lets through although they are not public (`fetch.allow_networks`)."""

    def __post_init__(self) -> None:
        numbers = (self.connect, self.read, self.write, self.pool, self.total)
        counts = (self.max_body_bytes, self.max_concurrency, self.per_host)
        if min(numbers) <= 0 or min(counts) < 1 or self.max_redirects < 0:
            raise ValueError(f"fetch policy needs positive timeouts and limits: {self}")

    @property
    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


class Fetcher:
    """Fetches feeds through one shared client (httpx's, or `lean` aiohttp's); `aclose()` it."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver = system_resolver,
        clock: Clock = utc_now,
        lean: bool = False,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self._owns_client, limit = client is None, self.policy.max_concurrency
        self._guard = NetworkGuard(self.policy.allow_networks)
        self._lean: LeanTransport | None = None  # see `lean` in the module docstring
        self._client: httpx.AsyncClient | None = client
        if lean and client is None and transport is None:
            self._lean = LeanTransport(self._guard, timeout=self.policy.timeout,
                                       max_connections=limit, resolver=resolver)  # fmt: skip
        elif client is None:  # httpcore is imported only for this transport
            from wirewatch.ingest._guarded_transport import guarded_transport

            limits = httpx.Limits(max_connections=limit)
            guarded = transport or guarded_transport(self._guard, limits=limits, resolver=resolver)
            self._client = httpx.AsyncClient(  # no proxy from the environment (module docstring)
                transport=guarded, timeout=self.policy.timeout, trust_env=False
            )
        self._clock = clock
        self._global = asyncio.Semaphore(self.policy.max_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def allow_networks(self, networks: tuple[IPNetwork, ...]) -> None:
        """From now on, let the guard through to these networks (instead of the policy's)."""
        self.policy = dataclasses.replace(self.policy, allow_networks=networks)
        self._guard.allow = networks

    async def aclose(self) -> None:
        """Close the HTTP client, unless it was injected (its owner closes it)."""
        if self._owns_client and self._client is not None:
            await self._client.aclose()
        if self._lean is not None:
            await self._lean.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """GET `url`, conditionally on the stored `etag` and `last_modified`; never raises."""
        async with self._host_slot(url), self._global:
            started = time.monotonic()
            try:
                async with asyncio.timeout(self.policy.total):
                    result = await self._fetch(url, etag, last_modified, headers or {})
            except TimeoutError:
                result = _failed(url, f"timed out after {self.policy.total:g} s")
            return dataclasses.replace(result, elapsed=time.monotonic() - started)

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:  # reported by _fetch
            host = ""
        return self._hosts.setdefault(host, asyncio.Semaphore(self.policy.per_host))

    async def _fetch(
        self, url: str, etag: str | None, last_modified: str | None, extra: Mapping[str, str]
    ) -> FetchResult:
        try:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "file":
                return await read_file_url(url, last_modified, self.policy.max_body_bytes)
            if scheme not in ("http", "https"):
                raise FetchFailure(f"unsupported URL scheme '{scheme}' (use http, https or file)")
            result = await self._follow(url, self._headers(etag, last_modified, extra))
        except FetchFailure as failure:
            return _failed(url, failure.error, failure.http_status)
        except httpx.HTTPError as exc:
            return _failed(url, _describe(exc, self.policy))
        except (httpx.InvalidURL, ValueError) as exc:  # a bad URL or header value in the config
            return _failed(url, one_line(f"invalid request: {exc}"))
        if result.status is FetchStatus.NOT_MODIFIED:
            etag, last_modified = result.etag or etag, result.last_modified or last_modified
            return dataclasses.replace(result, etag=etag, last_modified=last_modified)
        return result

    def _headers(
        self, etag: str | None, last_modified: str | None, extra: Mapping[str, str]
    ) -> httpx.Headers:
        headers = httpx.Headers({"User-Agent": self.policy.user_agent, "Accept": ACCEPT})
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        headers.update(extra)
        headers["Accept-Encoding"] = ACCEPT_ENCODING  # the only encodings we can decode
        return headers

    async def _follow(self, url: str, headers: httpx.Headers) -> FetchResult:
        current: httpx.URL | str = url if self._lean and plain_url(url) else httpx.URL(url)
        permanent, all_permanent = None, True
        redirected: int | None = None  # the status of the last redirect followed
        for _ in range(self.policy.max_redirects + 1):
            response = await self._send(current, headers, redirected)
            try:
                if response.status_code not in _REDIRECTS:
                    return await self._result(url, response, permanent)
                target = _redirect_target(response)
            finally:
                await response.aclose()
            all_permanent = all_permanent and response.status_code in _PERMANENT
            permanent = str(target) if all_permanent else permanent
            same = _same_origin(httpx.URL(current), target)
            headers = headers if same else _across_origins(headers)
            current, redirected = target, response.status_code
        raise FetchFailure(f"too many redirects (>{self.policy.max_redirects})")

    async def _send(
        self, url: httpx.URL | str, headers: httpx.Headers, redirected: int | None
    ) -> Answer:
        try:
            if self._lean is not None:
                return await self._lean.send(url, headers)
            assert self._client is not None
            timeout = self.policy.timeout
            request = self._client.build_request("GET", url, headers=headers, timeout=timeout)
            return await self._client.send(request, stream=True)
        except AddressRefused as refused:
            where = f"HTTP {redirected} redirect: " if redirected else ""
            raise FetchFailure(f"{where}{refused}", redirected) from None

    async def _result(self, url: str, response: Answer, permanent: str | None) -> FetchResult:
        code, found = response.status_code, response.headers
        if code == 304 or 200 <= code < 300:
            ok = code != 304  # a 304 is read to its end (no body) to keep its connection
            body = read_body(response, self.policy.max_body_bytes) if ok else response.aread()
            return FetchResult(
                status=FetchStatus.OK if ok else FetchStatus.NOT_MODIFIED,
                url=url,
                http_status=code,
                body=await body,
                content_type=found.get("content-type"),
                etag=found.get("etag"),
                last_modified=found.get("last-modified"),
                permanent_redirect=permanent,
            )
        retry_after = None
        if code in _RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(found.get("retry-after"), self._clock())
        return FetchResult(
            status=FetchStatus.GONE if code == 410 else FetchStatus.FAILED,
            url=url,
            http_status=code,
            permanent_redirect=permanent,
            retry_after=retry_after,
            error=one_line(f"HTTP {code} {response.reason_phrase}"),
        )


def _failed(url: str, error: str, http_status: int | None = None) -> FetchResult:
    return FetchResult(FetchStatus.FAILED, url, http_status=http_status, error=error)


def _redirect_target(response: Answer) -> httpx.URL:
    code = response.status_code
    location = response.headers.get("location")
    if not location:
        raise FetchFailure(f"HTTP {code} redirect without a Location header", code)
    target = response.url.join(location)
    if target.scheme not in ("http", "https"):
        raise FetchFailure(f"HTTP {code} redirect to unsupported scheme '{target.scheme}'", code)
    return target


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _across_origins(headers: httpx.Headers) -> httpx.Headers:
    kept = [(k, v) for k, v in headers.multi_items() if k.lower() in _SAFE_ACROSS_ORIGINS]
    return httpx.Headers(kept)


def _describe(exc: httpx.HTTPError, policy: FetchPolicy) -> str:
    """One line for a transport error: what happened, without a traceback."""
    for kind, setting, doing in _TIMEOUTS:
        if isinstance(exc, kind):
            return f"timed out {doing} after {getattr(policy, setting):g} s"
    text = one_line(str(exc))
    if isinstance(exc, httpx.ConnectError):
        return _connect_error(exc) or f"cannot connect: {text}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"invalid URL: {text}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"server broke the HTTP protocol: {text}"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _connect_error(exc: BaseException) -> str | None:
    """What lies under a ConnectError (httpcore and anyio wrap the OS error twice)."""
    cause: BaseException | None = exc
    for _ in range(8):  # the chain is short; a bound guards against cycles
        if cause is None:
            return None
        found = next((say for kind, say in _CONNECT_CAUSES if isinstance(cause, kind)), None)
        if found:
            return found
        cause = cause.__cause__ or cause.__context__
    return None
