"""Helpers shared by the commands that read the store."""

from __future__ import annotations

import argparse
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from wirewatch.errors import UserError

if TYPE_CHECKING:
    from wirewatch.app import Loaded
    from wirewatch.storage import Store

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def since_arg(value: str) -> datetime:
    """`24h`, `7d`, `30m` ago, or an ISO date/time (UTC when no zone is given)."""
    match = re.fullmatch(r"(\d+)([smhdw])", value.strip())
    if match:
        return datetime.now(UTC) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is neither a duration (24h, 7d) nor an ISO time"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@asynccontextmanager
async def opened_store(loaded: Loaded) -> AsyncIterator[Store]:
    """The configured store, opened and migrated, closed afterwards. A SQLite file that does
    not exist is refused rather than created: these commands read what a daemon stored, and
    an empty new database would only say "nothing" about a wrong `data_dir`."""
    from wirewatch.app import open_store
    from wirewatch.config import sqlite_path

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
