"""SQLite plumbing: the connection's settings, write transactions, the runner, migrations.

Everything here runs on the store's single worker thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from wirewatch.storage.schema import current_version, migrations
from wirewatch.storage.sql import Call, Dialect, Statement, Steps, drive, unique

T = TypeVar("T")

CHUNK = 500
"""Values per IN (...) list, well below SQLite's limit on parameters."""


def connect(path: str, *, busy_timeout: float) -> sqlite3.Connection:
    """Open `path` in autocommit mode (transactions are explicit) with WAL and foreign keys."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (`BEGIN IMMEDIATE`), committed or rolled back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # some errors have rolled back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def run(conn: sqlite3.Connection, steps: Steps[T]) -> T:
    """Run an operation's steps on `conn`, each statement as it comes."""
    return drive(steps, lambda call: execute(conn, call))


def run_in_write(conn: sqlite3.Connection, steps: Steps[T]) -> T:
    with write(conn):
        return run(conn, steps)


def run_in_one_write(conn: sqlite3.Connection, batch: Sequence[Steps[Any]]) -> list[Any]:
    """Several writes in one transaction, each inside its own savepoint: one that raises is
    rolled back alone and its exception takes its place in the results; the others commit
    together (or, if the commit fails, none does and it raises)."""
    results: list[Any] = []
    with write(conn):
        for steps in batch:
            conn.execute("SAVEPOINT one_write")
            try:
                results.append(run(conn, steps))
            except Exception as e:  # handed to its own caller
                conn.execute("ROLLBACK TO one_write")
                results.append(Failed(e))
            conn.execute("RELEASE one_write")
    return results


@dataclass(frozen=True, slots=True)
class Failed:
    """What a write of `run_in_one_write` raised instead of a result."""

    error: BaseException


def failure(result: Any) -> BaseException | None:
    """The exception a write of `run_in_one_write` raised, or None."""
    return result.error if isinstance(result, Failed) else None


def execute(conn: sqlite3.Connection, call: Call) -> Any:
    statement, params = call.statement, call.params
    if call.want == "many":
        conn.executemany(statement.text, params)
        return None
    if statement.expand is None:
        cursor = conn.execute(statement.text, params)
        if call.want == "count":
            return cursor.rowcount
        return cursor.fetchall() if call.want == "rows" else cursor.fetchone()
    return _execute_in_chunks(conn, call)


def _execute_in_chunks(conn: sqlite3.Connection, call: Call) -> Any:
    """A statement with a list parameter, once per chunk of its values: rows or a count."""
    statement, name = call.statement, call.statement.expand
    assert name is not None and call.want in ("rows", "count")
    values = unique(call.params[name])
    found: list[Any] = []
    touched = 0
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        params = dict(call.params)
        params.update((f"{name}_{n}", value) for n, value in enumerate(chunk))
        cursor = conn.execute(_chunked_text(statement, len(chunk)), params)
        if call.want == "rows":
            found.extend(cursor.fetchall())
        else:
            touched += cursor.rowcount
    return found if call.want == "rows" else touched


@lru_cache(maxsize=1024)
def _chunked_text(statement: Statement, size: int) -> str:
    """`IN (:name)` as `IN (:name_0, ..., :name_<size-1>)`."""
    name = statement.expand
    marks = ", ".join(f":{name}_{n}" for n in range(size))
    return statement.text.replace(statement.list_marker(), f"IN ({marks})")


def migrate(conn: sqlite3.Connection, dialect: Dialect) -> int:
    """Apply each migration newer than the schema, one transaction each; return the version.

    The version is read again inside each transaction, so two processes migrating at once
    apply every migration once.
    """
    version = run(conn, current_version(dialect))
    for number, sql in migrations("sqlite"):
        if number <= version:
            continue
        with write(conn):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY,"
                " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            if run(conn, current_version(dialect)) >= number:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        version = number
    return run(conn, current_version(dialect))


def _statements(sql: str) -> Iterator[str]:
    """Split a migration into complete statements (executescript would commit on its own)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise sqlite3.ProgrammingError(f"incomplete statement in migration: {buffer.strip()!r}")
