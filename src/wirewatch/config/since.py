"""`--since` and `?since=`: a duration back from now, or an ISO 8601 time.

One reading for the command line, the HTTP API and the desk, built on the one duration grammar
(`wirewatch.config.durations`: `90`, `30m`, `1.5h`, `1h30m`, `7d`, `2w`). An ISO time is tried
first, so a text that was a time before (`2024-12-08`, `20241208`) stays one. A duration too
long to subtract from now (`999999w` reaches before year 1) is a clear error, not an
`OverflowError`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from wirewatch.config.durations import FORMS, DurationError, parse_duration, shown


class SinceError(ValueError):
    """The value is no usable duration or time; the message says why and what to give."""


def parse_since(value: str, now: datetime) -> datetime:
    """The moment `value` names, relative to `now` for a duration (naive ISO times are UTC).

    >>> parse_since("24h", datetime(2024, 12, 8, tzinfo=UTC)).isoformat()
    '2024-12-07T00:00:00+00:00'
    """
    text = value.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return _back(value, now)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _back(value: str, now: datetime) -> datetime:
    try:
        seconds = parse_duration(value)
    except DurationError:
        raise SinceError(
            f"{shown(value)} is neither a duration ({FORMS}) nor an ISO 8601 time"
        ) from None
    try:
        return now - timedelta(seconds=seconds)
    except OverflowError:
        raise SinceError(
            f"{shown(value)} reaches back before year 1; give a shorter duration such as 52w"
        ) from None
