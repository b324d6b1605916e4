"""Fakes for code that drives notifiers (the dispatcher's tests), shipped with the code."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Message


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
