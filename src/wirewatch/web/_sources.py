"""What the desk reads, passed in by the daemon: the store, the feed list, the watchlists."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wirewatch.match.classifier import Matcher
from wirewatch.model import Clock
from wirewatch.storage import Store

FeedRows = Callable[[], Awaitable[Sequence[Mapping[str, Any]]]]


@dataclass
class DeskSources:
    store: Store
    feeds: FeedRows
    """The rows of /api/feeds (name, url, status, last_error, ...)."""
    matchers: Callable[[], Mapping[str, Matcher]]
    """The watchlists in force (a reload swaps them)."""
    clock: Clock
    notifiers: FeedRows | None = None
    """The rows of /api/notifiers (delivery health per destination), when the daemon has it;
    without it the desk counts the outbox rows itself."""
    token: str | None = None
    live_interval: float = 1.0
    """Seconds between two looks at the store for new alerts, per open page."""
    update_interval: float = 5.0
    """Seconds between two looks for new sources of the stories an open page shows."""
    muting: bool = False
    """Whether the daemon serves /api/silences (entity chips then offer "mute 6 h")."""
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the server stops, so that open event streams end at once."""

    async def labels(self) -> dict[str, str]:
        """Feed key (its URL) -> the name the config gives it."""
        return {row["url"]: row["name"] for row in await self.feeds()}
