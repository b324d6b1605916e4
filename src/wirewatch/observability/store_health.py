"""Whether the daemon's writes to the store succeed: shown in `/readyz`, recovery logged once.

A locked database, a full disk or a read-only data directory makes every poll fail to store
its work. Each such poll logs its own `poll_not_stored` line; this keeps the state in between:
`/readyz` lists `store_writes` under `degraded`, with the first error and since when, and the
first write that succeeds again logs `store_writes_recovered`, once.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from wirewatch.model import Clock
from wirewatch.observability.readiness import Check

log = structlog.get_logger("wirewatch.daemon")


class WriteHealth:
    """The store's write health as the daemon's polls see it."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.error: str | None = None
        self.since: datetime | None = None
        self.failures = 0

    def failed(self, error: str) -> None:
        if self.error is None:
            self.error, self.since = error, self._clock()
        self.failures += 1

    def succeeded(self) -> None:
        if self.error is None:
            return
        log.info(
            "store_writes_recovered",
            failed_since=self.since.isoformat() if self.since else None,
            failed_polls=self.failures,
            error=self.error,
        )
        self.error, self.since, self.failures = None, None, 0

    def check(self) -> Check:
        if self.error is None:
            return Check(True)
        since = self.since.isoformat(timespec="seconds") if self.since else "?"
        detail = f"writes failing since {since} ({self.failures} poll(s)): {self.error}"
        return Check(False, detail, required=False)
