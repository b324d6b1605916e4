"""SIGTERM and SIGINT for `wirewatch run`, from its first instant to its last.

- `Stops.catch()` installs plain handlers at once, before the parser imports every command and
  long before the event loop runs: a signal then is remembered, not a traceback or a 143.
- `attach(loop, stop)` moves them onto the event loop; a signal remembered from before is
  acted on at that moment.
- The first signal is a graceful stop. The same stop delivered twice within half a second (to
  the process and to its group) counts once; a later signal exits at once, code 0: whatever
  was not delivered stays in the outbox.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    import asyncio

log = structlog.get_logger("wirewatch.daemon")
SAME_SIGNAL = 0.5
"""Seconds within which a second signal is the first one delivered twice."""
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stops:
    """The stop signals one `wirewatch run` receives (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.first: str | None = None
        self._at = 0.0
        self._clock = clock
        self._stop: Callable[[str], None] | None = None

    @classmethod
    def catch(cls) -> Stops:
        """Catch SIGINT and SIGTERM from now on, with plain signal handlers."""
        stops = cls()
        for number in SIGNALS:
            signal.signal(number, stops._caught)
        return stops

    def attach(self, loop: asyncio.AbstractEventLoop, stop: Callable[[str], None]) -> None:
        """Handle the signals on `loop`; `stop(name)` is called once, for the first."""
        self._stop = stop
        for number in SIGNALS:
            loop.add_signal_handler(number, self.received, number.name)
        if self.first is not None:
            stop(self.first)

    def received(self, name: str) -> None:
        now = self._clock()
        if self.first is None:
            self.first, self._at = name, now
            if self._stop is not None:
                self._stop(name)
        elif now - self._at >= SAME_SIGNAL:
            log.warning("stopping_now", signal=name, note="undelivered alerts stay in the outbox")
            os._exit(0)

    def _caught(self, number: int, _frame: FrameType | None) -> None:
        self.received(signal.Signals(number).name)
