"""Hot reload: when to read the config files again, and which new configs not to apply.

- **Settle.** An editor may truncate a file and write it a moment later, or write it in
  several pieces. The watcher reads the files again only once they have changed and then stayed
  the same (size and modification time) for `settle` seconds.
- **Refuse what is probably a mistake.** A new config that has no enabled feed while the running
  one has some, or that removes a notifier that still has queued deliveries, is refused with
  one line, unless the reload was asked for explicitly (SIGHUP), which applies it anyway.
  Either way, rows of a notifier that disappears wait in the outbox; they are never
  dead-lettered by a reload.
- **Keep watching.** Whatever a reload raises, the watch goes on: a later good edit is applied.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path

import structlog

log = structlog.get_logger("wirewatch.reloading")

SETTLE = 1.0
"""Seconds a changed file must stay the same before it is read."""
EVERY = 1.0
"""Seconds between two looks at the files."""

Stamps = dict[Path, tuple[int, int] | None]


def stamps(files: Iterable[Path]) -> Stamps:
    """Each file's (modification time in ns, size), or None when it cannot be read."""
    found: Stamps = {}
    for path in files:
        found[path] = None
        with contextlib.suppress(OSError):
            stat = path.stat()
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


async def watch(
    files: Callable[[], Iterable[Path]],
    changed: Callable[[], Awaitable[object]],
    *,
    every: float = EVERY,
    settle: float = SETTLE,
) -> None:
    """Call `changed()` each time the files change and then settle; never returns."""
    seen = stamps(files())
    while True:
        await asyncio.sleep(every)
        current = stamps(files())
        if current == seen:
            continue
        while True:  # wait until nothing has moved for `settle` seconds
            await asyncio.sleep(settle)
            again = stamps(files())
            if again == current:
                break
            current = again
        try:
            await changed()
        except Exception:  # a reload bug must not end the watch
            log.exception("reload_crashed", note="the old config stays; the watch goes on")
        seen = stamps(files())


def refusal(
    *, feeds_now: int, feeds_new: int, queued: Mapping[str, int], notifiers_new: Iterable[str]
) -> str | None:
    """Why a new config should not be applied without an explicit SIGHUP, or None."""
    if feeds_now and not feeds_new:
        return (
            f"the new config has no enabled feed (the running one has {feeds_now}); "
            "if that is meant, send SIGHUP to apply it"
        )
    kept = set(notifiers_new)
    dropped = {name: count for name, count in sorted(queued.items()) if name not in kept}
    if dropped:
        listed = ", ".join(f"{name!r} ({count} queued)" for name, count in dropped.items())
        return (
            f"the new config removes notifier(s) with queued deliveries: {listed}; "
            "if that is meant, send SIGHUP to apply it (the deliveries wait until it returns)"
        )
    return None
