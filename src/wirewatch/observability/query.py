"""The query strings of the read-only API: `/api/alerts` (and its GeoJSON twin) and the rest.

Every parameter is checked: an unknown one, a repeated one or a value out of range is a
`BadQuery`, which the server answers with 400 and the message, naming the parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from multidict import MultiMapping

from wirewatch.config.since import SinceError, parse_since

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
DEFAULT_SINCE = timedelta(hours=24)
_ALERT_PARAMS = ("limit", "offset", "since", "watchlist", "entity")


class BadQuery(ValueError):
    """A query parameter cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class AlertQuery:
    """What /api/alerts asks for: alerts created since `since`, newest first, one page."""

    since: datetime
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    watchlist: str | None = None
    entity: str | None = None


def parse_alert_query(params: MultiMapping[str], *, now: datetime) -> AlertQuery:
    """Read /api/alerts parameters; `BadQuery` names the first one that cannot be used."""
    only(params, _ALERT_PARAMS)
    try:
        since = parse_since(params["since"], now) if "since" in params else now - DEFAULT_SINCE
    except SinceError as e:
        raise BadQuery(f"since={e}") from None
    return AlertQuery(
        since=since,
        limit=_integer(params, "limit", DEFAULT_LIMIT, low=1, high=MAX_LIMIT),
        offset=_integer(params, "offset", 0, low=0, high=10**9),
        watchlist=_text(params, "watchlist"),
        entity=_text(params, "entity"),
    )


def only(params: MultiMapping[str], allowed: Sequence[str]) -> None:
    for name in params:
        if name not in allowed:
            hint = f"use {', '.join(allowed)}" if allowed else "this path takes none"
            raise BadQuery(f"unknown query parameter {name!r}: {hint}")
        if len(params.getall(name)) > 1:
            raise BadQuery(f"query parameter {name!r} is given more than once")


def _integer(params: MultiMapping[str], name: str, default: int, *, low: int, high: int) -> int:
    if name not in params:
        return default
    raw = params[name]
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadQuery(f"{name}={raw!r} must be a whole number from {low} to {high}")
    return int(raw)


def _text(params: MultiMapping[str], name: str) -> str | None:
    if name not in params:
        return None
    value = params[name].strip()
    if not value or len(value) > 200:
        raise BadQuery(f"{name} must be between 1 and 200 characters")
    return value
