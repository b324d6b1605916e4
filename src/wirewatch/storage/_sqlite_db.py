"""SQLite plumbing: the connection's settings, write transactions, chunked IN lists, migrations.

Everything here runs on the store's single worker thread.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any

from wirewatch.storage._codec import dt_or_none, ts_or_none
from wirewatch.storage._rows import Times

CHUNK = 500
"""Values per IN (...) list, well below SQLite's limit on parameters."""

_MIGRATION_NAME = re.compile(r"^(\d{4})_\w+\.sql$")


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


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def select_in(
    conn: sqlite3.Connection, sql: str, values: Iterable[Any], params: Sequence[Any] = ()
) -> list[Any]:
    """Run `sql` (with "{marks}" where the IN list goes, after `params`) over chunks of values."""
    rows: list[Any] = []
    for batch in chunks(dict.fromkeys(values)):
        marks = ",".join("?" * len(batch))
        rows.extend(conn.execute(sql.format(marks=marks), [*params, *batch]).fetchall())
    return rows


def migrations() -> list[tuple[int, str]]:
    """The packaged migrations as (version, SQL), in order."""
    folder = resources.files("wirewatch.storage").joinpath("migrations", "sqlite")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_version() -> int:
    return max(version for version, _ in migrations())


def current_version(conn: sqlite3.Connection) -> int:
    """The schema version of the file; 0 before the first migration. Read-only."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply each migration newer than the schema, one transaction each; return the version.

    The version is read again inside each transaction, so two processes migrating at once
    apply every migration once.
    """
    version = current_version(conn)
    for number, sql in migrations():
        if number <= version:
            continue
        with write(conn):
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY,"
                " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            if current_version(conn) >= number:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        version = number
    return current_version(conn)


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


TEXT_TIMES = Times(ts_or_none, dt_or_none)
"""SQLite keeps times as sortable UTC text."""
