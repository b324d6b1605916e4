"""The embedded SQLite store (see `store`): what SQLite does differently lives in this package."""

from wirewatch.storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
