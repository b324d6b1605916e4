"""Silence rows: the statements and steps of both dialects."""

from __future__ import annotations

from datetime import datetime

from wirewatch.delivery.silences import Silence
from wirewatch.storage._rows import SILENCE_COLUMNS, silence, silence_params
from wirewatch.storage.codec import Codec
from wirewatch.storage.sql import Steps, count, one, rows, shared

_SELECT = f"SELECT {', '.join(SILENCE_COLUMNS)} FROM silences"
INSERT = shared(
    f"INSERT INTO silences ({', '.join(SILENCE_COLUMNS)})"
    f" VALUES ({', '.join(f':{c}' for c in SILENCE_COLUMNS)})"
)
ALL = shared(f"{_SELECT} ORDER BY created_at DESC, id LIMIT :limit")
ACTIVE = shared(f"{_SELECT} WHERE starts_at <= :now AND ends_at > :now ORDER BY created_at, id")
ONE = shared(f"{_SELECT} WHERE id = :id")
EXPIRE = shared("UPDATE silences SET ends_at = :now WHERE id = :id AND ends_at > :now")


def add(codec: Codec, new: Silence) -> Steps[None]:
    yield from count(INSERT, **silence_params(new, codec))


def list_all(codec: Codec, limit: int) -> Steps[list[Silence]]:
    return [silence(row, codec) for row in (yield from rows(ALL, limit=limit))]


def active(codec: Codec, now: datetime) -> Steps[list[Silence]]:
    return [silence(row, codec) for row in (yield from rows(ACTIVE, now=codec.time(now)))]


def expire(codec: Codec, silence_id: str, now: datetime) -> Steps[Silence | None]:
    """End the silence at `now` (unless it ended already) and return it; None if unknown."""
    yield from count(EXPIRE, now=codec.time(now), id=silence_id)
    found = yield from one(ONE, id=silence_id)
    return None if found is None else silence(found, codec)
