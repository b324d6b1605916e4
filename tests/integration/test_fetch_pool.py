"""The fetcher's connection pool (httpx's guarded transport and the lean aiohttp one) against a
real server on 127.0.0.1: a connection is reused while the server keeps it open, and one the
server closed is not reused (httpcore asks the stream whether its socket is readable, which
`_guarded_transport` answers; aiohttp watches its connections itself)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from ipaddress import ip_network

import pytest

from wirewatch.ingest.fetch import Fetcher, FetchPolicy
from wirewatch.model import FetchStatus

pytestmark = [
    pytest.mark.integration,
    pytest.mark.parametrize("lean", [False, True], ids=["httpx", "aiohttp"]),
]
BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n%s"
NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "1"\r\n\r\n'


class Server:
    """Answers every request on a connection with BODY (or 304); `close_after` closes the
    connection after one answer."""

    def __init__(self, close_after: bool, answer: bytes = ANSWER % (len(BODY), BODY)) -> None:
        self.close_after, self.answer = close_after, answer
        self.connections = 0
        self.closed = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(self.answer)
            await writer.drain()
            if self.close_after:
                break
        writer.close()
        await writer.wait_closed()
        self.closed.set()


async def serve(found: Server) -> AsyncIterator[tuple[Server, str]]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await found.handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    yield found, f"http://127.0.0.1:{port}/feed.xml"
    listening.close()
    await listening.wait_closed()


@pytest.fixture(params=[False, True], ids=["kept-open", "closed-by-server"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Server, str]]:
    async for serving in serve(Server(close_after=request.param)):
        yield serving


@pytest.fixture
async def unchanged() -> AsyncIterator[tuple[Server, str]]:
    async for serving in serve(Server(close_after=False, answer=NOT_MODIFIED)):
        yield serving


async def test_a_connection_is_reused_until_the_server_closes_it(
    lean: bool,
    server: tuple[Server, str],
) -> None:
    """Two fetches in a row: one connection if the server kept it open, two if it closed it
    after the first answer, and both fetches succeed either way."""
    found, url = server
    policy = FetchPolicy(allow_networks=(ip_network("127.0.0.1/32"),))
    async with Fetcher(policy, lean=lean) as fetcher:
        first = await fetcher.fetch(url)
        if found.close_after:
            await found.closed.wait()  # the server's side is closed before the second fetch
        second = await fetcher.fetch(url)
    assert ([FetchStatus.OK] * 2, 2 if found.close_after else 1) == (
        [first.status, second.status],
        found.connections,
    )


async def test_a_connection_that_answered_304_is_reused(
    lean: bool, unchanged: tuple[Server, str]
) -> None:
    """A 304 has no body: the next fetch goes over the same connection (an all-304 cycle
    opens one connection per pooled slot, not one per feed)."""
    found, url = unchanged
    policy = FetchPolicy(allow_networks=(ip_network("127.0.0.1/32"),))
    async with Fetcher(policy, lean=lean) as fetcher:
        statuses = [(await fetcher.fetch(url, etag='"1"')).status for _ in range(3)]
    assert ([FetchStatus.NOT_MODIFIED] * 3, 1) == (statuses, found.connections)
