"""Retention: every `retention.every` seconds, prune what is older than the config keeps.

Items, stories, alerts and settled deliveries older than `retention.max_age`, and the seen ids
older than `retention.seen_max_age`, leave the store; stories past the grouping window leave
the in-memory index. A pass the store cannot take is one `retention_failed` line; the next pass
tries again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog

from wirewatch.config.settings import Config
from wirewatch.errors import StoreError
from wirewatch.model import Clock
from wirewatch.storage import Store
from wirewatch.stories.index import StoryIndex

log = structlog.get_logger("wirewatch.daemon")
PRUNED = ("items", "stories", "alerts", "deliveries", "seen")


async def keep_pruning(config: Config, store: Store, stories: StoryIndex, clock: Clock) -> None:
    """Prune once per `retention.every` seconds, forever (cancel it to stop)."""
    retention = config.retention
    while True:
        await asyncio.sleep(retention.every)
        try:
            pruned = await store.prune(
                clock(),
                max_age=timedelta(seconds=retention.max_age),
                seen_max_age=timedelta(seconds=retention.seen_max_age),
            )
        except StoreError as e:  # the next pass tries again
            log.error("retention_failed", error=str(e))
            continue
        stories.expire(clock() - stories.window)
        log.info("retention_pass", **{k: getattr(pruned, k) for k in PRUNED})
