"""Helpers shared by the commands that read the store."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from wirewatch.config.since import SinceError, parse_since
from wirewatch.errors import UserError

if TYPE_CHECKING:
    from wirewatch.loading import Loaded
    from wirewatch.storage import Store


def since_arg(value: str) -> datetime:
    """`24h`, `7d`, `30m` ago, or an ISO date/time (UTC when no zone is given)."""
    try:
        return parse_since(value, datetime.now(UTC))
    except SinceError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


@asynccontextmanager
async def opened_store(loaded: Loaded) -> AsyncIterator[Store]:
    """The configured store, opened and migrated, closed afterwards. A SQLite file that does
    not exist is refused rather than created: these commands read what a daemon stored, and
    an empty new database would only say "nothing" about a wrong `data_dir`."""
    from wirewatch.config.settings import sqlite_path
    from wirewatch.parts import open_store

    config = loaded.config
    if not config.storage.is_postgres and not sqlite_path(config).exists():
        raise UserError(
            f"no database at {sqlite_path(config)}: check data_dir and storage.url in"
            f" {config.source} (or --config); `wirewatch run` or `wirewatch db migrate`"
            " creates it"
        )
    store = open_store(config)
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
