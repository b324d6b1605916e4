"""The store contract suite runs once per store factory listed in `FACTORIES`.

A factory makes a store over one fresh database per test; calling it again within the test
opens another store over the same database (a restart). A PostgreSQL factory joins the list
when that store exists; nothing in the suite may depend on which store it runs against.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

import pytest

from wirewatch.storage import Store
from wirewatch.storage.base import FaultHook
from wirewatch.storage.sqlite import SqliteStore


class MakeStore(Protocol):
    async def __call__(self, *, faults: FaultHook | None = None, migrate: bool = True) -> Store: ...


def _sqlite(tmp_path: Path, faults: FaultHook | None) -> Store:
    return SqliteStore(tmp_path / "wirewatch.db", faults=faults)


FACTORIES: dict[str, Callable[[Path, FaultHook | None], Store]] = {"sqlite": _sqlite}


@pytest.fixture(params=sorted(FACTORIES))
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeStore]:
    """Opens stores over this test's database; closes them all at the end."""
    opened: list[Store] = []

    async def make(*, faults: FaultHook | None = None, migrate: bool = True) -> Store:
        store = FACTORIES[request.param](tmp_path, faults)
        await store.open()
        opened.append(store)
        if migrate:
            await store.migrate()
        return store

    yield make
    for store in opened:
        await store.close()


@pytest.fixture
async def store(make_store: MakeStore) -> Store:
    """An open, migrated store over a fresh database."""
    return await make_store()
