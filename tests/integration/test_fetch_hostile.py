"""Hostile servers against the fetcher over both of its transports (httpx's, and the lean
aiohttp one the pipeline uses): caps, timeouts, broken answers and redirects give the same
one-line results either way, over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterator
from ipaddress import ip_network
from typing import Any

import pytest

from tests.sites import RSS_HAMA, Site, closed_port, endless, feed, gzip_bomb, redirect, trickle
from wirewatch.ingest.fetch import MIB, Fetcher, FetchPolicy
from wirewatch.model import FetchResult, FetchStatus

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("lean", [False, True], ids=["httpx", "aiohttp"]),
]
LOOPBACK = (ip_network("127.0.0.1/32"),)


@pytest.fixture
def site() -> Iterator[Site]:
    with Site("127.0.0.1") as found:
        yield found


async def fetch(lean: bool, url: str, headers: Any = None, **policy: Any) -> FetchResult:
    async with Fetcher(FetchPolicy(allow_networks=LOOPBACK, **policy), lean=lean) as fetcher:
        return await fetcher.fetch(url, headers=headers)


async def test_a_gzip_bomb_stops_at_the_cap(lean: bool, site: Site) -> None:
    """64 MiB of zeros in 64 KB of gzip: the fetch fails at the 1 MiB cap."""
    url = site.route("/bomb.xml", gzip_bomb())

    result = await fetch(lean, url, max_body_bytes=MIB)

    assert (FetchStatus.FAILED, "body larger than 1 MiB") == (result.status, result.error)


async def test_an_endless_chunked_body_stops_at_the_cap(lean: bool, site: Site) -> None:
    """A body that never ends is cut at the cap, not read for ever."""
    url = site.route("/endless.xml", endless())

    result = await fetch(lean, url, max_body_bytes=MIB)

    assert (FetchStatus.FAILED, "body larger than 1 MiB") == (result.status, result.error)
    assert site.sent < 64 * MIB


async def test_a_declared_oversize_body_is_refused_before_reading_it(
    lean: bool, site: Site
) -> None:
    url = site.route("/big.xml", feed(b"x" * (MIB + 1)))

    result = await fetch(lean, url, max_body_bytes=MIB)

    assert (FetchStatus.FAILED, "body larger than 1 MiB") == (result.status, result.error)


async def test_a_gzip_body_is_inflated_and_a_body_at_the_cap_is_kept(
    lean: bool, site: Site
) -> None:
    packed = gzip.compress(RSS_HAMA)
    headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
    url = site.route("/packed.xml", lambda h, s: _send(h, packed, headers))

    result = await fetch(lean, url, max_body_bytes=len(RSS_HAMA))

    assert (FetchStatus.OK, RSS_HAMA) == (result.status, result.body)


def _send(handler: Any, body: bytes, headers: dict[str, str]) -> None:
    handler.send_response(200)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


async def test_slowloris_hits_the_read_timeout(lean: bool, site: Site) -> None:
    """One byte every half second: the read timeout (0.2 s) ends it."""
    url = site.route("/slow.xml", trickle(every=0.5))

    result = await fetch(lean, url, read=0.2)

    assert (FetchStatus.FAILED, "timed out reading after 0.2 s") == (result.status, result.error)


async def test_a_trickle_faster_than_the_read_timeout_hits_the_total_one(
    lean: bool, site: Site
) -> None:
    url = site.route("/slow.xml", trickle(every=0.05))

    result = await fetch(lean, url, total=0.5)

    assert (FetchStatus.FAILED, "timed out after 0.5 s") == (result.status, result.error)


async def test_a_closed_port_is_connection_refused(lean: bool) -> None:
    result = await fetch(lean, f"http://127.0.0.1:{closed_port()}/feed.xml")

    assert (FetchStatus.FAILED, "connection refused") == (result.status, result.error)


@pytest.fixture
async def garbage() -> AsyncIterator[str]:
    """A server that answers every request with something that is not HTTP."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SPAM SPAM SPAM\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/feed.xml"
    server.close()
    await server.wait_closed()


async def test_an_answer_that_is_not_http_is_a_protocol_error(lean: bool, garbage: str) -> None:
    result = await fetch(lean, garbage)

    assert FetchStatus.FAILED == result.status
    assert (result.error or "").startswith("server broke the HTTP protocol: "), result.error


async def test_a_redirect_to_another_origin_drops_the_feeds_own_headers(
    lean: bool, site: Site
) -> None:
    """The feed's Authorization and X-Api-Key stay with its origin; ours go on."""
    with Site("127.0.0.1") as other:
        target = other.route("/feed.xml", feed())
        site.route("/moved.xml", redirect(target))
        secrets = {"Authorization": "Bearer s3cret", "X-Api-Key": "k3y"}

        result = await fetch(lean, site.url("/moved.xml"), headers=secrets)

    [(_, _, first)], [(_, _, second)] = site.requests, other.requests
    assert (FetchStatus.OK, RSS_HAMA) == (result.status, result.body)
    assert ("Bearer s3cret", "k3y") == (first["authorization"], first["x-api-key"])
    assert {"authorization", "x-api-key"}.isdisjoint(second)
    assert ("gzip, deflate", first["user-agent"]) == (
        second["accept-encoding"],
        second["user-agent"],
    )


async def test_more_than_the_allowed_redirects_fail(lean: bool, site: Site) -> None:
    site.route("/loop.xml", redirect("/loop.xml"))

    result = await fetch(lean, site.url("/loop.xml"), max_redirects=2)

    assert (FetchStatus.FAILED, "too many redirects (>2)") == (result.status, result.error)
    assert 3 == len(site.requests)


async def test_a_long_header_is_read_as_by_httpx(lean: bool, site: Site) -> None:
    """A 12 KiB header (a long Link or Set-Cookie line) within h11's 16 KiB head: read."""
    headers = {"Content-Type": "application/rss+xml", "Link": "<x>; " + "a" * 12 * 1024}
    url = site.route("/long.xml", lambda h, s: _send(h, RSS_HAMA, headers))

    result = await fetch(lean, url)

    assert (FetchStatus.OK, RSS_HAMA) == (result.status, result.body)
