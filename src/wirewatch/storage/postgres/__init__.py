"""The PostgreSQL store (see `store`): what PostgreSQL does differently lives in this package."""

from wirewatch.storage.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
