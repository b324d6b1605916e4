"""The guarded transport's connection pool against a real server on 127.0.0.1: a connection
is reused while the server keeps it open, and one the server closed is not reused (httpcore
asks the stream whether its socket is readable, which `_guarded_transport` answers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from ipaddress import ip_network

import pytest

from wirewatch.ingest.fetch import Fetcher, FetchPolicy
from wirewatch.model import FetchStatus

pytestmark = pytest.mark.integration
BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n\r\n%s"


class Server:
    """Answers every request on a connection with BODY; `close_after` closes it after one."""

    def __init__(self, close_after: bool) -> None:
        self.close_after = close_after
        self.connections = 0
        self.closed = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while await reader.readuntil(b"\r\n\r\n"):
            writer.write(ANSWER % (len(BODY), BODY))
            await writer.drain()
            if self.close_after:
                break
        writer.close()
        await writer.wait_closed()
        self.closed.set()


@pytest.fixture(params=[False, True], ids=["kept-open", "closed-by-server"])
async def server(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Server, str]]:
    found = Server(close_after=request.param)

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


async def test_a_connection_is_reused_until_the_server_closes_it(
    server: tuple[Server, str],
) -> None:
    """Two fetches in a row: one connection if the server kept it open, two if it closed it
    after the first answer, and both fetches succeed either way."""
    found, url = server
    policy = FetchPolicy(allow_networks=(ip_network("127.0.0.1/32"),))
    async with Fetcher(policy) as fetcher:
        first = await fetcher.fetch(url)
        if found.close_after:
            await found.closed.wait()  # the server's side is closed before the second fetch
        second = await fetcher.fetch(url)
    assert ([FetchStatus.OK] * 2, 2 if found.close_after else 1) == (
        [first.status, second.status],
        found.connections,
    )
