"""The order in which feeds polled together ingest: fixed by their items, not by the network.

`poll --once` fetches every feed at once, and the order their answers arrive in varies from run
to run. Story grouping is decided item by item, so that order would change the stories. An
`IngestGate` lets fetching and parsing run concurrently but holds each feed at the ingest step
until every feed of the cycle has either reached it or finished without it, then lets them
through one at a time: the feed with the earliest published item first, ties by feed key.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime

Order = tuple[datetime, str]


class IngestGate:
    """Serialises the ingest step of one cycle's feeds in a fixed order (see the module).

    The feeds waiting for their turn are a heap, so a cycle of n feeds costs n log n."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._pending = set(keys)
        self._waiting: list[tuple[Order, int, asyncio.Future[None]]] = []
        self._arrived = itertools.count()  # never compares two futures: order, then arrival
        self._busy = False

    @asynccontextmanager
    async def turn(self, key: str, order: Order) -> AsyncIterator[None]:
        """Wait for `key`'s turn to ingest; the next feed waits until this one leaves."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.discard(key)
        heapq.heappush(self._waiting, (order, next(self._arrived), ready))
        self._release()
        try:
            await ready
            yield
        finally:
            if ready.done() and not ready.cancelled():
                self._busy = False
            self._release()

    def finished(self, key: str) -> None:
        """`key` is done for this cycle, whether it ingested or not (failed, not modified)."""
        self._pending.discard(key)
        self._release()

    def _release(self) -> None:
        if self._busy or self._pending:
            return
        while self._waiting:
            *_, ready = heapq.heappop(self._waiting)
            if not ready.done():  # a feed cancelled while it waited has left the queue
                self._busy = True
                ready.set_result(None)
                return
