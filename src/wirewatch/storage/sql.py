"""SQL written once: statements with named parameters, run as steps by either dialect.

A `Statement` is plain SQL with `:name` parameters that SQLite and PostgreSQL both accept.
A store operation is a generator of steps (`Steps[T]`): it yields a `Call` per statement and
is sent back its result, so one piece of code runs synchronously on SQLite's worker thread and
asynchronously on a psycopg connection. Each dialect's runner executes the calls: SQLite binds
`:name` itself, PostgreSQL's runner rewrites it to `%(name)s` once per statement text.

One parameter of a statement may be a list, written `column IN (:name)` and named by
`expand`: PostgreSQL binds it once as an array (`column = ANY(...)`), SQLite in chunks of
`IN (...)` lists. An empty list runs nothing (no rows, a count of 0).

What a dialect must supply besides a runner is the `Dialect` protocol: the real differences.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TypeAlias, TypeVar, cast

from wirewatch.storage.codec import Codec

T = TypeVar("T")
Row: TypeAlias = tuple[Any, ...]
Want = Literal["rows", "one", "count", "many"]


@dataclass(frozen=True, slots=True)
class Statement:
    text: str
    expand: str | None = None
    """The parameter that is a list, written `IN (:name)` in `text`."""

    def list_marker(self) -> str:
        return f"IN (:{self.expand})"


@dataclass(frozen=True, slots=True)
class Call:
    """One statement to run and what the operation wants back from it."""

    statement: Statement
    params: Any
    """A mapping of parameters, or for "many" a list of them."""
    want: Want


Steps: TypeAlias = Generator[Call, Any, T]

_SHARED: list[Statement] = []


def shared(text: str, *, expand: str | None = None) -> Statement:
    """A statement that both dialects run; registered, so a test can prepare every one."""
    statement = Statement(text, expand)
    if expand is not None and statement.list_marker() not in text:
        raise ValueError(f"{text!r} has no {statement.list_marker()}")
    _SHARED.append(statement)
    return statement


def registered() -> tuple[Statement, ...]:
    """Every shared statement (the modules that define them are imported by the stores)."""
    return tuple(_SHARED)


def rows(statement: Statement, **params: Any) -> Steps[list[Row]]:
    return cast(list[Row], (yield Call(statement, params, "rows")))


def one(statement: Statement, **params: Any) -> Steps[Row | None]:
    return cast(Row | None, (yield Call(statement, params, "one")))


def count(statement: Statement, **params: Any) -> Steps[int]:
    """Run a write; how many rows it touched."""
    return cast(int, (yield Call(statement, params, "count")))


def many(statement: Statement, params: Sequence[Mapping[str, Any]]) -> Steps[None]:
    """Run a write once per parameter mapping (nothing for none)."""
    if params:
        yield Call(statement, params, "many")


def drive(steps: Steps[T], execute: Callable[[Call], Any]) -> T:
    """Run `steps` to the end, synchronously, sending each call's result back."""
    try:
        call = next(steps)
        while True:
            call = steps.send(execute(call))
    except StopIteration as done:
        return cast(T, done.value)
    finally:
        steps.close()


def unique(values: Iterable[Any]) -> list[Any]:
    """The values of a list parameter, each once, in their first order."""
    return list(dict.fromkeys(values))


class Dialect(Protocol):
    """What differs between the dialects beyond running a statement."""

    @property
    def codec(self) -> Codec: ...

    @property
    def item_counts(self) -> Statement:
        """(feed, UTC day, count) of items first seen since `:since`."""
        ...

    def lock_feed(self, feed: str) -> Steps[None]:
        """Inside an ingest: make ingests of `feed` wait for each other (or nothing)."""
        ...

    def lock_news(self, urls: Iterable[str], stories: Iterable[str]) -> Steps[None]:
        """Inside an ingest: make ingests that may call the same URLs new or touch the same
        stories wait for each other (or nothing, where the transaction locks the database)."""
        ...

    @property
    def has_versions(self) -> Statement:
        """One row whose first value is true once the `schema_version` table exists."""
        ...

    def claim(
        self, now: datetime, limit: int, lease_seconds: float, owner: str
    ) -> Steps[list[Row]]:
        """Lease due outbox rows (see `Store.claim_deliveries`): their `outbox.FIELDS`."""
        ...
