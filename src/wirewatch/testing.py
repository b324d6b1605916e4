"""Fakes for testing code built on wirewatch, shipped with it: a clock and a notifier.

    clock = FixedClock()                       # 2024-12-07 18:30 UTC until told otherwise
    notifier = RecordingNotifier("hook")       # records what it is sent
    app = wirewatch.app.build(loaded, clock=clock, transport=httpx.MockTransport(handler))

A test builds an App (or a Pipeline, a Dispatcher) with these instead of patching internals.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Message

__all__ = ["FixedClock", "RecordingNotifier"]

EPOCH = datetime(2024, 12, 7, 18, 30, tzinfo=UTC)
"""Where a `FixedClock` starts unless told otherwise."""


class FixedClock:
    """A `Clock` that says what it is told: set `now`, or `advance` it."""

    def __init__(self, now: datetime = EPOCH) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class RecordingNotifier:
    """Records every message it is sent; raises the queued errors first, one per send."""

    def __init__(self, name: str = "recording", failures: Iterable[DeliveryError] = ()) -> None:
        self.name = name
        self.sent: list[Message] = []
        self.attempts: list[Message] = []
        self._failures = deque(failures)

    def fail_next(self, error: DeliveryError) -> None:
        self._failures.append(error)

    async def send(self, message: Message) -> None:
        self.attempts.append(message)
        if self._failures:
            raise self._failures.popleft()
        self.sent.append(message)
