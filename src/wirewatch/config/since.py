"""`--since` and `?since=`: a duration back from now ("90m", "24h", "7d", "2w") or an ISO time.

One parser for the command line and the HTTP API, so the two never disagree. A duration too
long to subtract from now (`999999w` reaches before year 1) is a clear error, not an
`OverflowError`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"(\d{1,12})([smhdw])")


class SinceError(ValueError):
    """The value is no usable duration or time; the message says why and what to give."""


def parse_since(value: str, now: datetime) -> datetime:
    """The moment `value` names, relative to `now` for a duration (naive ISO times are UTC).

    >>> parse_since("24h", datetime(2024, 12, 8, tzinfo=UTC)).isoformat()
    '2024-12-07T00:00:00+00:00'
    """
    text = value.strip()
    if found := _DURATION.fullmatch(text):
        amount, unit = found.groups()
        try:
            return now - timedelta(**{_UNITS[unit]: int(amount)})
        except OverflowError:
            raise SinceError(
                f"{value!r} reaches back before year 1; give a shorter duration such as 52w"
            ) from None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SinceError(
            f"{value!r} is neither a duration (30m, 24h, 7d) nor an ISO 8601 time"
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
