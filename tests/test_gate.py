"""The ingest gate of one poll cycle: feeds ingest one at a time, in an order fixed by their
items, whatever order they arrive in."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from wirewatch.ingest.gate import IngestGate

T0 = datetime(2024, 12, 7, tzinfo=UTC)


async def run_cycle(
    arrivals: list[tuple[str, int, float]], skipped: tuple[str, ...] = ()
) -> list[str]:
    """Feeds (key, minutes of their earliest item, seconds before they reach the gate) and
    feeds that finish without ingesting; returns the order in which they ingested."""
    gate = IngestGate([key for key, _, _ in arrivals] + list(skipped))
    order: list[str] = []

    async def feed(key: str, minutes: int, delay: float) -> None:
        await asyncio.sleep(delay)
        async with gate.turn(key, (T0 + timedelta(minutes=minutes), key)):
            order.append(key)
            await asyncio.sleep(0)
        gate.finished(key)

    async def skip(key: str) -> None:
        await asyncio.sleep(0.02)
        gate.finished(key)

    await asyncio.wait_for(
        asyncio.gather(*(feed(*a) for a in arrivals), *(skip(k) for k in skipped)), 5
    )
    return order


async def test_feeds_ingest_by_earliest_item_whatever_order_they_arrive_in() -> None:
    """The feed whose earliest item is oldest ingests first, even when it answers last."""
    first = await run_cycle([("a", 30, 0.0), ("b", 10, 0.03), ("c", 20, 0.01)])
    second = await run_cycle([("a", 30, 0.03), ("b", 10, 0.0), ("c", 20, 0.02)])
    assert (["b", "c", "a"], ["b", "c", "a"]) == (first, second)


async def test_ties_go_by_feed_key() -> None:
    """Two feeds with the same earliest time ingest in key order."""
    assert ["a", "b"] == await run_cycle([("b", 5, 0.0), ("a", 5, 0.01)])


async def test_a_feed_that_never_ingests_does_not_hold_the_others() -> None:
    """A failed or unchanged feed that only finishes lets the cycle go on."""
    assert ["x", "y"] == await run_cycle([("y", 9, 0.0), ("x", 1, 0.0)], skipped=("gone",))


async def test_a_failing_ingest_lets_the_next_feed_through() -> None:
    """An ingest that raises still ends its turn."""
    gate = IngestGate(["a", "b"])
    done: list[str] = []

    async def broken() -> None:
        with pytest.raises(OSError):
            async with gate.turn("a", (T0, "a")):
                raise OSError("disk full")
        gate.finished("a")

    async def healthy() -> None:
        async with gate.turn("b", (T0 + timedelta(hours=1), "b")):
            done.append("b")
        gate.finished("b")

    await asyncio.wait_for(asyncio.gather(broken(), healthy()), 5)
    assert ["b"] == done


async def test_a_feed_cancelled_while_it_waits_gives_up_its_turn() -> None:
    """A feed whose poll is cancelled before its turn (the cycle stopping, a timeout) leaves
    the queue: the feeds after it still ingest, in order."""
    gate = IngestGate(["a", "b", "c"])
    done: list[str] = []

    async def feed(key: str, minutes: int) -> None:
        async with gate.turn(key, (T0 + timedelta(minutes=minutes), key)):
            done.append(key)
        gate.finished(key)

    first = asyncio.create_task(feed("a", 1))
    await asyncio.sleep(0)  # "a" waits: "b" and "c" have not reached the gate yet
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    gate.finished("a")
    await asyncio.wait_for(asyncio.gather(feed("c", 3), feed("b", 2)), 5)
    assert ["b", "c"] == done
