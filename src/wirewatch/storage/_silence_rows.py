"""Silence rows, written once for both stores: the SQL differs only in its placeholder.

`sql(name, mark)` gives a statement with `mark` ("?" for SQLite, "%s" for psycopg) in place of
each parameter; `row` and `silence` convert with the store's `Times`.
"""

from __future__ import annotations

import json
from typing import Any

from wirewatch.delivery.silences import Silence, decode_matchers, encode_matchers
from wirewatch.storage._rows import Times

COLUMNS = ("id", "matchers", "starts_at", "ends_at", "created_at", "comment", "author")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM silences"
_STATEMENTS = {
    "insert": f"INSERT INTO silences ({', '.join(COLUMNS)}) VALUES ({', '.join(['{p}'] * 7)})",
    "all": f"{_SELECT} ORDER BY created_at DESC, id LIMIT {{p}}",
    "active": f"{_SELECT} WHERE starts_at <= {{p}} AND ends_at > {{p}} ORDER BY created_at, id",
    "one": f"{_SELECT} WHERE id = {{p}}",
    "expire": "UPDATE silences SET ends_at = {p} WHERE id = {p} AND ends_at > {p}",
}


def sql(name: str, mark: str) -> str:
    return _STATEMENTS[name].replace("{p}", mark)


def row(silence: Silence, times: Times) -> tuple[Any, ...]:
    return (
        silence.id,
        json.dumps(encode_matchers(silence.matchers), ensure_ascii=False),
        times.encode(silence.starts_at),
        times.encode(silence.ends_at),
        times.encode(silence.created_at),
        silence.comment,
        silence.author,
    )


def silence(values: Any, times: Times) -> Silence:
    id_, matchers, starts_at, ends_at, created_at, comment, author = values
    return Silence(
        id=id_,
        matchers=decode_matchers(json.loads(matchers)),
        starts_at=times.required(starts_at),
        ends_at=times.required(ends_at),
        created_at=times.required(created_at),
        comment=comment,
        author=author,
    )
