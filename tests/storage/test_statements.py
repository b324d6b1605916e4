"""The SQL written once: every shared statement is valid on both dialects' migrated schemas.

Each statement is compiled (`EXPLAIN`, which plans without running it) through the dialect's
own runner, so the `:name` rewriting and the list expansion are what is checked, with NULL
for every parameter and a one-value list for the list parameter.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.storage.pgcase import fresh_database
from wirewatch.storage import sql
from wirewatch.storage.postgres import PostgresStore
from wirewatch.storage.postgres import db as pg
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.storage.sqlite import db as lite

NAME = re.compile(r"(?<![:\w]):(\w+)")


def explained(statement: sql.Statement) -> sql.Call:
    """`EXPLAIN <statement>` with a NULL per parameter (a one-value list for the list one)."""
    params: dict[str, Any] = dict.fromkeys(NAME.findall(statement.text))
    if statement.expand is not None:
        params[statement.expand] = ["x"]
    return sql.Call(sql.Statement(f"EXPLAIN {statement.text}", statement.expand), params, "rows")


def test_the_stores_register_their_shared_statements() -> None:
    """Importing the stores registers the statements of every part of the store, once each."""
    texts = [s.text for s in sql.registered()]
    assert len(texts) == len(set(texts))
    for table in ("feeds", "feed_leases", "seen", "items", "stories", "alerts", "outbox"):
        assert any(f"INSERT INTO {table}" in t for t in texts), table
    assert any("DELETE FROM silences" in t for t in texts)


def test_a_list_parameter_without_its_in_list_is_refused() -> None:
    """`expand` names a parameter that the text must write as `IN (:name)`."""
    with pytest.raises(ValueError, match=r"IN \(:ids\)"):
        sql.shared("SELECT id FROM outbox WHERE id = :ids", expand="ids")


async def test_every_shared_statement_compiles_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    async with SqliteStore(path) as store:
        await store.migrate()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in sql.registered():
            assert lite.execute(conn, explained(statement)), statement.text
    finally:
        conn.close()


@pytest.mark.postgres
async def test_every_shared_statement_compiles_on_postgres() -> None:
    async with fresh_database() as url:
        async with PostgresStore(url) as store:
            await store.migrate()
        async with await psycopg.AsyncConnection.connect(url) as conn:
            for statement in sql.registered():
                assert await pg.execute(conn, explained(statement)), statement.text


@pytest.mark.postgres
async def test_a_postgres_write_outside_a_transaction_runs_one_statement_at_most() -> None:
    """Steps of two statements given as one write are refused before the second one runs."""

    def two_inserts() -> sql.Steps[None]:
        insert = sql.Statement("INSERT INTO feeds (key) VALUES (:key)")
        yield from sql.count(insert, key="first")
        yield from sql.count(insert, key="second")

    async with fresh_database() as url:
        async with PostgresStore(url) as store:
            await store.migrate()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            with pytest.raises(RuntimeError, match="outside a transaction"):
                await pg.run(conn, two_inserts(), most=1)
            cur = await conn.execute("SELECT key FROM feeds")
            assert [("first",)] == await cur.fetchall()
