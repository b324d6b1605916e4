"""Stop signals: one stop however often it is delivered at once, the first remembered early."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from wirewatch.stops import SAME_SIGNAL, SIGNALS, Stops


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def attached(stops: Stops, stopped: list[str]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    stops.attach(loop, stopped.append)
    try:
        yield
    finally:
        for number in SIGNALS:
            loop.remove_signal_handler(number)


async def test_a_signal_caught_before_the_loop_is_acted_on_when_attached() -> None:
    """A SIGTERM received while starting is remembered and stops the daemon once it can."""
    stops = Stops(Clock())
    stops.received("SIGTERM")
    stopped: list[str] = []

    with attached(stops, stopped):
        assert ["SIGTERM"] == stopped


async def test_the_same_stop_delivered_twice_at_once_counts_once() -> None:
    """A signal to the process and to its group arrives twice: one stop, no exit."""
    clock = Clock()
    stops = Stops(clock)
    stopped: list[str] = []

    with attached(stops, stopped):
        stops.received("SIGINT")
        clock.now += SAME_SIGNAL / 2
        stops.received("SIGINT")

    assert (["SIGINT"], "SIGINT") == (stopped, stops.first)
