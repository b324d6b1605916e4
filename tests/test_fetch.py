"""HTTP behaviour of the fetch stage, against respx (no network, except one closed local port)."""

from __future__ import annotations

import asyncio
import functools
import gzip
import os
import socket
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from wirewatch import USER_AGENT
from wirewatch.ingest.fetch import MIB, Fetcher, FetchPolicy
from wirewatch.model import FetchStatus

FEED = "https://news.example/feed.xml"
MOVED = "https://news.example/new-feed.xml"
RSS = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title></channel></rss>"
NOW = datetime(2024, 12, 8, 6, 0, tzinfo=UTC)


class Chunked(httpx.AsyncByteStream):
    """A response body that arrives in pieces, like one from the network (respx won't pre-read)."""

    def __init__(self, data: bytes, size: int = 16 * 1024) -> None:
        self._data, self._size = data, size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._data), self._size):
            yield self._data[start : start + self._size]


@functools.cache
def gzip_bomb(inflated: int = 32 * MIB) -> bytes:
    """A small gzip body (about 32 KB) that inflates to `inflated` zero bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MIB)
    return b"".join(packer.compress(block) for _ in range(inflated // MIB)) + packer.flush()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock() as mocked:
        yield mocked


def make_fetcher(**policy: Any) -> Fetcher:
    return Fetcher(FetchPolicy(**policy), clock=lambda: NOW)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with make_fetcher() as made:
        yield made


async def test_ok_captures_body_and_validators(router: respx.MockRouter, fetcher: Fetcher) -> None:
    """A 200 gives the body, its content type, and the ETag and Last-Modified to store."""
    headers = {
        "content-type": "application/rss+xml",
        "etag": '"v1"',
        "last-modified": "Sun, 08 Dec 2024 05:00:00 GMT",
    }
    router.get(FEED).respond(200, content=RSS, headers=headers)

    result = await fetcher.fetch(FEED)

    assert FetchStatus.OK == result.status
    assert (RSS, 200, None) == (result.body, result.http_status, result.error)
    assert "application/rss+xml" == result.content_type
    assert ('"v1"', "Sun, 08 Dec 2024 05:00:00 GMT") == (result.etag, result.last_modified)
    assert FEED == result.url
    assert result.elapsed >= 0


async def test_not_modified_after_conditional_get(
    router: respx.MockRouter, fetcher: Fetcher
) -> None:
    """Stored validators are sent as If-None-Match / If-Modified-Since; a 304 keeps them."""
    route = router.get(FEED).respond(304)

    result = await fetcher.fetch(FEED, etag='"v1"', last_modified="Sun, 08 Dec 2024 05:00:00 GMT")

    sent = route.calls.last.request.headers
    assert ('"v1"', "Sun, 08 Dec 2024 05:00:00 GMT") == (
        sent["if-none-match"],
        sent["if-modified-since"],
    )
    assert (FetchStatus.NOT_MODIFIED, 304, b"") == (result.status, result.http_status, result.body)
    assert ('"v1"', "Sun, 08 Dec 2024 05:00:00 GMT") == (result.etag, result.last_modified)


async def test_no_conditional_headers_without_stored_validators(
    router: respx.MockRouter, fetcher: Fetcher
) -> None:
    """A first fetch sends neither If-None-Match nor If-Modified-Since."""
    route = router.get(FEED).respond(200, content=RSS)

    await fetcher.fetch(FEED)

    sent = route.calls.last.request.headers
    assert (None, None) == (sent.get("if-none-match"), sent.get("if-modified-since"))


async def test_honest_user_agent_and_accepted_encodings(
    router: respx.MockRouter, fetcher: Fetcher
) -> None:
    """Requests say who we are (not python-httpx) and accept only gzip and deflate."""
    route = router.get(FEED).respond(200, content=RSS)

    await fetcher.fetch(FEED, headers={"accept-encoding": "br", "X-Api-Key": "k"})

    sent = route.calls.last.request.headers
    assert USER_AGENT == sent["user-agent"]
    assert sent["user-agent"].startswith("wirewatch/")
    assert ("gzip, deflate", "k") == (sent["accept-encoding"], sent["x-api-key"])


@pytest.mark.parametrize("code", [301, 308])
async def test_permanent_redirect_is_followed_and_reported(
    router: respx.MockRouter, fetcher: Fetcher, code: int
) -> None:
    """A 301 or 308 is followed, and the new URL is reported so the caller can log it."""
    router.get(FEED).respond(code, headers={"location": "/new-feed.xml"})
    router.get(MOVED).respond(200, content=RSS)

    result = await fetcher.fetch(FEED)

    assert (FetchStatus.OK, RSS, MOVED) == (result.status, result.body, result.permanent_redirect)


@pytest.mark.parametrize("code", [302, 303, 307])
async def test_temporary_redirect_is_not_reported(
    router: respx.MockRouter, fetcher: Fetcher, code: int
) -> None:
    """A temporary redirect is followed but not reported as permanent."""
    router.get(FEED).respond(code, headers={"location": MOVED})
    router.get(MOVED).respond(200, content=RSS)

    result = await fetcher.fetch(FEED)

    assert (FetchStatus.OK, None) == (result.status, result.permanent_redirect)


async def test_permanent_chain_ends_at_first_temporary_hop(
    router: respx.MockRouter, fetcher: Fetcher
) -> None:
    """301 then 302: only the 301's target is the feed's new permanent address."""
    router.get(FEED).respond(301, headers={"location": MOVED})
    router.get(MOVED).respond(302, headers={"location": "https://cdn.example/x.xml"})
    router.get("https://cdn.example/x.xml").respond(200, content=RSS)

    result = await fetcher.fetch(FEED)

    assert MOVED == result.permanent_redirect


def redirect_chain(router: respx.MockRouter, hops: int) -> None:
    for hop in range(hops):
        router.get(f"https://news.example/r{hop}").respond(
            302, headers={"location": f"/r{hop + 1}"}
        )
    router.get(f"https://news.example/r{hops}").respond(200, content=RSS)


async def test_five_redirects_are_fine(router: respx.MockRouter, fetcher: Fetcher) -> None:
    """Up to five redirects are followed."""
    redirect_chain(router, 5)

    result = await fetcher.fetch("https://news.example/r0")

    assert (FetchStatus.OK, RSS) == (result.status, result.body)


async def test_more_than_five_redirects_fail() -> None:
    """A sixth redirect fails the fetch with one clear line."""
    with respx.mock(assert_all_called=False) as router:
        redirect_chain(router, 6)
        async with make_fetcher() as fetcher:
            result = await fetcher.fetch("https://news.example/r0")

    assert (FetchStatus.FAILED, "too many redirects (>5)") == (result.status, result.error)


async def test_redirect_to_a_local_file_is_refused(
    router: respx.MockRouter, fetcher: Fetcher
) -> None:
    """A remote feed cannot redirect us into the local file system."""
    router.get(FEED).respond(302, headers={"location": "file:///etc/passwd"})

    result = await fetcher.fetch(FEED)

    assert FetchStatus.FAILED == result.status
    assert "HTTP 302 redirect to unsupported scheme 'file'" == result.error


async def test_redirect_to_another_origin_keeps_only_our_own_headers(
    router: respx.MockRouter, fetcher: Fetcher
) -> None:
    """A feed's headers (Authorization, Cookie, X-Api-Key, any custom one) stay with its origin;
    what we send to every feed (User-Agent, Accept, validators) goes on."""
    router.get(FEED).respond(302, headers={"location": "https://elsewhere.example/feed"})
    route = router.get("https://elsewhere.example/feed").respond(200, content=RSS)
    secrets = {"Authorization": "Bearer s3cret", "Cookie": "s=1", "X-Api-Key": "k", "X-Trace": "1"}

    await fetcher.fetch(FEED, etag='"v1"', headers=secrets)

    sent = route.calls.last.request.headers
    assert [] == [name for name in secrets if name in sent]
    assert (USER_AGENT, '"v1"') == (sent["user-agent"], sent["if-none-match"])


async def test_redirect_within_the_origin_keeps_the_feeds_headers(
    router: respx.MockRouter, fetcher: Fetcher
) -> None:
    """A redirect to the same scheme, host and port is the same server: its headers go on."""
    router.get(FEED).respond(302, headers={"location": MOVED})
    route = router.get(MOVED).respond(200, content=RSS)

    await fetcher.fetch(FEED, headers={"X-Api-Key": "k", "Authorization": "Bearer s3cret"})

    sent = route.calls.last.request.headers
    assert ("k", "Bearer s3cret") == (sent.get("x-api-key"), sent.get("authorization"))


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (404, FetchStatus.FAILED, "HTTP 404 Not Found"),
        (500, FetchStatus.FAILED, "HTTP 500 Internal Server Error"),
        (410, FetchStatus.GONE, "HTTP 410 Gone"),
    ],
)
async def test_error_statuses(
    router: respx.MockRouter, fetcher: Fetcher, code: int, status: FetchStatus, error: str
) -> None:
    """404 and 500 fail (retried later); 410 says the feed is gone; Retry-After is ignored."""
    router.get(FEED).respond(code, headers={"retry-after": "60"}, content=b"oops")

    result = await fetcher.fetch(FEED)

    assert (status, code, error, None) == (
        result.status,
        result.http_status,
        result.error,
        result.retry_after,
    )


@pytest.mark.parametrize(
    ("code", "retry_after", "expected"),
    [
        (429, "120", 120.0),
        (429, "Sun, 08 Dec 2024 06:01:30 GMT", 90.0),
        (503, "30", 30.0),
        (503, "Sun, 08 Dec 2024 06:10:00 GMT", 600.0),
        (429, "whenever", None),
    ],
)
async def test_retry_after_is_read_on_429_and_503(
    router: respx.MockRouter, fetcher: Fetcher, code: int, retry_after: str, expected: float | None
) -> None:
    """429 and 503 report Retry-After in seconds, from either of its two forms."""
    router.get(FEED).respond(code, headers={"retry-after": retry_after})

    result = await fetcher.fetch(FEED)

    assert (FetchStatus.FAILED, code, expected) == (
        result.status,
        result.http_status,
        result.retry_after,
    )


async def test_oversize_body_is_aborted(router: respx.MockRouter) -> None:
    """A body past the cap fails the fetch, whether or not Content-Length announced it."""
    router.get(FEED).respond(200, content=bytes(2048))
    router.get(MOVED).respond(200, stream=Chunked(bytes(2048), size=100))

    async with make_fetcher(max_body_bytes=1024) as fetcher:
        announced = await fetcher.fetch(FEED)
        streamed = await fetcher.fetch(MOVED)

    assert (FetchStatus.FAILED, "body larger than 1 KiB") == (announced.status, announced.error)
    assert (FetchStatus.FAILED, "body larger than 1 KiB") == (streamed.status, streamed.error)


async def test_body_exactly_at_the_cap_is_fine(router: respx.MockRouter) -> None:
    """The cap is inclusive."""
    router.get(FEED).respond(200, stream=Chunked(bytes(1024), size=100))

    async with make_fetcher(max_body_bytes=1024) as fetcher:
        result = await fetcher.fetch(FEED)

    assert (FetchStatus.OK, 1024) == (result.status, len(result.body))


async def test_gzip_bomb_aborts_without_inflating_it_all(router: respx.MockRouter) -> None:
    """32 KB of gzip inflating to 32 MiB stops at the 1 MiB cap, using a few MiB at most."""
    bomb = gzip_bomb()
    router.get(FEED).respond(200, stream=Chunked(bomb), headers={"content-encoding": "gzip"})

    async with make_fetcher(max_body_bytes=MIB) as fetcher:
        tracemalloc.start()
        try:
            result = await fetcher.fetch(FEED)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert len(bomb) < 64 * 1024
    assert (FetchStatus.FAILED, "body larger than 1 MiB") == (result.status, result.error)
    assert peak < 4 * MIB


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(RSS)),
        ("deflate", zlib.compress(RSS)),
        ("deflate", zlib.compress(RSS, wbits=-zlib.MAX_WBITS)),
    ],
)
async def test_compressed_bodies_are_decoded(
    router: respx.MockRouter, fetcher: Fetcher, encoding: str, packed: bytes
) -> None:
    """gzip, zlib-wrapped deflate and raw deflate bodies come back decompressed."""
    router.get(FEED).respond(
        200, stream=Chunked(packed, size=7), headers={"content-encoding": encoding}
    )

    result = await fetcher.fetch(FEED)

    assert (FetchStatus.OK, RSS) == (result.status, result.body)


async def test_corrupt_gzip_fails_cleanly(router: respx.MockRouter, fetcher: Fetcher) -> None:
    """A body that claims gzip but is not fails with one line, not a traceback."""
    router.get(FEED).respond(
        200, stream=Chunked(b"not gzip at all"), headers={"content-encoding": "gzip"}
    )

    result = await fetcher.fetch(FEED)

    assert FetchStatus.FAILED == result.status
    assert (result.error or "").startswith("cannot decompress gzip body:")


async def test_slow_response_hits_the_total_timeout() -> None:
    """A fetch that takes longer than `total` fails, however the time is spent."""

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, content=RSS)

    with respx.mock(assert_all_called=False) as router:  # the cancelled call is not recorded
        router.get(FEED).mock(side_effect=slow)
        async with make_fetcher(total=0.05) as fetcher:
            result = await fetcher.fetch(FEED)

    assert (FetchStatus.FAILED, "timed out after 0.05 s") == (result.status, result.error)
    assert result.elapsed < 1


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectTimeout, "timed out connecting after 10 s"),
        (httpx.ReadTimeout, "timed out reading after 0.2 s"),
        (
            httpx.ConnectError("Name or service not known"),
            "cannot connect: Name or service not known",
        ),
        (httpx.RemoteProtocolError("peer closed"), "server broke the HTTP protocol: peer closed"),
    ],
)
async def test_transport_errors_become_one_line(
    router: respx.MockRouter, error: type[Exception] | Exception, expected: str
) -> None:
    """Per-operation timeouts and other transport errors are reported, never raised."""
    router.get(FEED).mock(side_effect=error)

    async with make_fetcher(read=0.2) as fetcher:
        result = await fetcher.fetch(FEED)

    assert (FetchStatus.FAILED, expected) == (result.status, result.error)


async def test_dns_failure_reads_as_host_not_found() -> None:
    """A failed name lookup under the ConnectError reads as "host not found"."""

    def unknown_host(request: httpx.Request) -> httpx.Response:
        lookup = socket.gaierror(-2, "Name or service not known")
        raise httpx.ConnectError("[Errno -2] Name or service not known") from lookup

    async with Fetcher(transport=httpx.MockTransport(unknown_host)) as fetcher:
        result = await fetcher.fetch(FEED)

    assert (FetchStatus.FAILED, "host not found") == (result.status, result.error)


async def test_connection_refused() -> None:
    """A closed port on this machine reads as "connection refused"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async with make_fetcher(total=5, allow_networks=(ip_network("127.0.0.0/8"),)) as fetcher:
        result = await fetcher.fetch(f"http://127.0.0.1:{port}/feed")

    assert (FetchStatus.FAILED, "connection refused") == (result.status, result.error)


class InFlight:
    """A respx side effect that answers RSS after 20 ms and counts the most requests at once."""

    def __init__(self) -> None:
        self.now = self.peak = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        await asyncio.sleep(0.02)
        self.now -= 1
        return httpx.Response(200, content=RSS)


async def test_per_host_limit_caps_requests_in_flight(router: respx.MockRouter) -> None:
    """At most `per_host` requests run at once against one host, and the rest wait their turn."""
    counting = InFlight()
    router.get(url__regex=r"https://news\.example/\d+").mock(side_effect=counting)

    async with make_fetcher(per_host=2) as fetcher:
        urls = [f"https://news.example/{n}" for n in range(8)]
        results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    assert 2 == counting.peak
    assert [FetchStatus.OK] * 8 == [r.status for r in results]


async def test_global_limit_caps_requests_across_hosts(router: respx.MockRouter) -> None:
    """At most `max_concurrency` requests run at once over all hosts."""
    counting = InFlight()
    router.get(url__regex=r"https://h\d+\.example/feed").mock(side_effect=counting)

    async with make_fetcher(per_host=2, max_concurrency=3) as fetcher:
        urls = [f"https://h{n}.example/feed" for n in range(10)]
        await asyncio.gather(*(fetcher.fetch(url) for url in urls))

    assert 3 == counting.peak


async def test_file_url_is_read_and_then_not_modified(tmp_path: Path, fetcher: Fetcher) -> None:
    """A file:// feed is read from disk; its mtime serves as Last-Modified for the next poll."""
    feed = tmp_path / "local feed.xml"
    feed.write_bytes(RSS)

    first = await fetcher.fetch(feed.as_uri())
    second = await fetcher.fetch(feed.as_uri(), last_modified=first.last_modified)

    assert (FetchStatus.OK, RSS, "application/xml") == (
        first.status,
        first.body,
        first.content_type,
    )
    assert (FetchStatus.NOT_MODIFIED, first.last_modified) == (
        second.status,
        second.last_modified,
    )


async def test_file_url_is_capped_too(tmp_path: Path) -> None:
    """Local files obey the same size cap."""
    feed = tmp_path / "big.xml"
    feed.write_bytes(bytes(2048))

    async with make_fetcher(max_body_bytes=1024) as fetcher:
        result = await fetcher.fetch(feed.as_uri())

    assert (FetchStatus.FAILED, "file larger than 1 KiB") == (result.status, result.error)


async def test_missing_file_fails_cleanly(tmp_path: Path, fetcher: Fetcher) -> None:
    """A missing local file is a failed fetch naming the path."""
    missing = tmp_path / "nope.xml"

    result = await fetcher.fetch(missing.as_uri())

    assert (FetchStatus.FAILED, f"cannot read {missing}: No such file or directory") == (
        result.status,
        result.error,
    )


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://news.example/feed", "unsupported URL scheme 'ftp' (use http, https or file)"),
        ("file://server/share/feed.xml", "file URL on another host 'server' (only local files)"),
        ("http://[::1/feed", "invalid request: Invalid IPv6 URL"),
    ],
)
async def test_unusable_urls_fail_cleanly(fetcher: Fetcher, url: str, error: str) -> None:
    """URLs we cannot fetch give a failed result, not an exception."""
    result = await fetcher.fetch(url)

    assert (FetchStatus.FAILED, error) == (result.status, result.error)


async def test_injected_client_is_used_and_left_open() -> None:
    """An injected AsyncClient carries the requests, and its owner closes it."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=RSS)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        fetcher = Fetcher(client=client)
        result = await fetcher.fetch(FEED)
        await fetcher.aclose()

        assert (FetchStatus.OK, RSS, 1) == (result.status, result.body, len(seen))
        assert not client.is_closed


async def test_transport_that_pre_reads_bodies_still_works() -> None:
    """respx's router used as a transport pre-reads responses; the fetcher copes, capped."""
    router = respx.MockRouter()
    router.get(FEED).respond(200, content=RSS)
    transport = httpx.MockTransport(router.async_handler)

    async with Fetcher(FetchPolicy(max_body_bytes=10), transport=transport) as small:
        too_big = await small.fetch(FEED)
    async with Fetcher(transport=transport) as fetcher:
        result = await fetcher.fetch(FEED)

    assert (FetchStatus.FAILED, "body larger than 10 bytes") == (too_big.status, too_big.error)
    assert (FetchStatus.OK, RSS) == (result.status, result.body)


async def test_a_fifo_or_directory_fails_at_once_instead_of_blocking(
    tmp_path: Path, fetcher: Fetcher
) -> None:
    """Reading a FIFO waits for a writer forever: a file feed must be a regular file."""
    fifo = tmp_path / "feed.fifo"
    os.mkfifo(fifo)

    async with asyncio.timeout(10):
        from_fifo = await fetcher.fetch(fifo.as_uri())
        from_dir = await fetcher.fetch(tmp_path.as_uri())

    assert (FetchStatus.FAILED, f"cannot read {fifo}: it is a FIFO, not a regular file") == (
        from_fifo.status,
        from_fifo.error,
    )
    assert f"cannot read {tmp_path}: it is a directory, not a regular file" == from_dir.error
