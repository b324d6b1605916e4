"""The store contract suite runs once per store backend listed in `BACKENDS`.

A backend gives each test one fresh database (a file for SQLite, a database of its own on the
throwaway server for PostgreSQL) and a factory of stores over it; calling the factory again
within the test opens another store over the same database (a restart, or another instance).
Nothing in the suite may depend on which store it runs against. The PostgreSQL runs are marked
`postgres` and skip when `WIREWATCH_TEST_PG_URL` is unset.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol

import pytest

from tests.storage.pgcase import fresh_database
from wirewatch.storage import Store
from wirewatch.storage.base import FaultHook
from wirewatch.storage.postgres import PostgresStore
from wirewatch.storage.sqlite import SqliteStore

Factory = Callable[[FaultHook | None], Store]


class MakeStore(Protocol):
    async def __call__(self, *, faults: FaultHook | None = None, migrate: bool = True) -> Store: ...


@asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[Factory]:
    yield lambda faults: SqliteStore(tmp_path / "wirewatch.db", faults=faults)


@asynccontextmanager
async def _postgres(tmp_path: Path) -> AsyncIterator[Factory]:
    async with fresh_database() as url:
        yield lambda faults: PostgresStore(url, faults=faults)


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[Factory]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeStore]:
    """Opens stores over this test's database; closes them all at the end."""
    opened: list[Store] = []
    async with BACKENDS[request.param](tmp_path) as factory:

        async def make(*, faults: FaultHook | None = None, migrate: bool = True) -> Store:
            store = factory(faults)
            await store.open()
            opened.append(store)
            if migrate:
                await store.migrate()
            return store

        try:
            yield make
        finally:
            for store in opened:
                await store.close()


@pytest.fixture
async def store(make_store: MakeStore) -> Store:
    """An open, migrated store over a fresh database."""
    return await make_store()
