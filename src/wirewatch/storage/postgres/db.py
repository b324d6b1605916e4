"""PostgreSQL plumbing: the runner of statements, migrations, where the database is.

The runner rewrites a statement's `:name` parameters as psycopg's `%(name)s` (and a list
parameter's `IN (:name)` as `= ANY(%(name)s)`) once per statement text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from wirewatch.storage.schema import current_version, migrations
from wirewatch.storage.sql import Call, Dialect, Statement, Steps, unique

Conn = AsyncConnection[TupleRow]
T = TypeVar("T")

MIGRATE_LOCK = 0x7772_7700_0000_0001
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=1024)
def text(statement: Statement) -> str:
    """The statement as psycopg takes it."""
    sql = statement.text.replace("%", "%%")
    if statement.expand is not None:
        sql = sql.replace(statement.list_marker(), f"= ANY(:{statement.expand})")
    return _PARAMETER.sub(r"%(\1)s", sql)


async def run(conn: Conn, steps: Steps[T], *, most: int | None = None) -> T:
    """Run an operation's steps on `conn`, each statement as it comes; more than `most`
    statements is a programming error (a write outside a transaction must be one)."""
    try:
        call, ran = next(steps), 0
        while True:
            ran += 1
            if most is not None and ran > most:
                raise RuntimeError(f"more than {most} statement(s) outside a transaction")
            call = steps.send(await execute(conn, call))
    except StopIteration as done:
        result: T = done.value
        return result
    finally:
        steps.close()


async def execute(conn: Conn, call: Call) -> Any:
    statement, params = call.statement, call.params
    if call.want == "many":
        async with conn.cursor() as cursor:
            await cursor.executemany(text(statement), params)
        return None
    if statement.expand is not None:
        values = unique(params[statement.expand])
        if not values:
            return [] if call.want == "rows" else 0
        params = {**params, statement.expand: values}
    cursor = await conn.execute(text(statement), params)
    if call.want == "count":
        return cursor.rowcount
    return await cursor.fetchall() if call.want == "rows" else await cursor.fetchone()


async def migrate(conn: Conn, dialect: Dialect) -> int:
    """Apply every pending migration in the current transaction, under an advisory lock held
    to its end, so instances starting together apply each migration once."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version integer PRIMARY KEY,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    version = await run(conn, current_version(dialect))
    for number, sql in migrations("postgres"):
        if number > version:
            await conn.execute(sql.encode())  # several statements: no parameters
            await conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
            version = number
    return version


def display(url: str) -> str:
    """Where the database is, for error text: host, port and name, never a password."""
    try:
        fields = conninfo_to_dict(url)
    except psycopg.Error:
        return "PostgreSQL (unreadable URL)"
    host, port = fields.get("host") or "localhost", fields.get("port") or "5432"
    return f"PostgreSQL {host}:{port}/{fields.get('dbname') or ''}"
