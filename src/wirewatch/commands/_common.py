"""Helpers shared by the commands that read the store."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wirewatch.errors import UserError
from wirewatch.since import SinceError, parse_since

if TYPE_CHECKING:
    from wirewatch.app import Loaded
    from wirewatch.storage import Store


def since_arg(value: str) -> datetime:
    """`24h`, `7d`, `30m` ago, or an ISO date/time (UTC when no zone is given)."""
    try:
        return parse_since(value, datetime.now(UTC))
    except SinceError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


@asynccontextmanager
async def opened_store(loaded: Loaded) -> AsyncIterator[Store]:
    """The configured store, opened and migrated, closed afterwards."""
    from wirewatch.app import open_store

    store = open_store(loaded.config)
    await store.open()
    try:
        await store.migrate()
        yield store
    finally:
        await store.close()


def local(when: datetime | None) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else "-"


def require(condition: bool, message: str) -> None:
    if not condition:
        raise UserError(message)
