"""The one duration grammar, for config files, `--since`/`?since=`, `silence --for`, the HTTP
API and digest schedules (`every 30m`).

    90        seconds (a plain number; decimals allowed)
    30s 5m    one unit: s, m, h, d (day) or w (week), in either case
    1.5h 2d   a decimal amount
    1h30m     several units, largest first, each at most once (`2d 12h` may have spaces)

Anything else is a `DurationError` with one message naming the forms that work. The grammar
gives seconds of zero or more; where a duration must be positive the caller says so.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
"""Seconds per unit, largest first: the order the parts of a compound duration are written in."""
FORMS = "seconds or 30s, 5m, 1.5h, 1h30m, 2d, 2w"
_NUMBER = r"\d+(?:\.\d+)?"
_PARTS = "".join(rf"(?:({_NUMBER})\s*[{u}{u.upper()}]\s*)?" for u in UNITS)
_GRAMMAR = re.compile(rf"\s*(?:({_NUMBER})\s*|(?=\d){_PARTS})")
PATTERN = rf"^\s*(?:{_NUMBER}\s*|(?=\d){_PARTS})$"
"""The grammar as a JSON Schema (ECMA 262) pattern, for editors that validate config files."""


class DurationError(ValueError):
    """A text is not a duration; the message says which forms are."""


def parse_duration(text: str) -> float:
    """Seconds (zero or more) of a duration in the grammar above; `DurationError` if not.

    >>> parse_duration("1h30m"), parse_duration("90"), parse_duration("2w")
    (5400.0, 90.0, 1209600.0)
    """
    found = _GRAMMAR.fullmatch(text)
    if found is None:
        raise DurationError(f"{shown(text)} is not a duration (use {FORMS})")
    plain, *parts = found.groups()
    if plain is not None:
        seconds = float(plain)
    else:
        seconds = sum(float(n) * unit for n, unit in zip(parts, UNITS.values(), strict=True) if n)
    if not math.isfinite(seconds):
        raise DurationError(f"{shown(text)} is too long a duration (use {FORMS})")
    return seconds


def duration(value: str) -> float:
    """Seconds of a positive duration (`30s`, `1h30m`, `2w`, or seconds); `DurationError` if
    `value` is no duration or is zero."""
    seconds = parse_duration(value)
    if seconds <= 0:
        raise DurationError(f"{shown(value)} is not a positive duration (use {FORMS})")
    return seconds


def shown(text: str, limit: int = 40) -> str:
    """`text` quoted for an error message, cut after `limit` characters."""
    return repr(text if len(text) <= limit else f"{text[:limit]}...")


def _seconds(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": PATTERN, "examples": ["30s", "5m", "1h30m", "2d", "2w"]},
    ]
}
Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0), WithJsonSchema(SCHEMA)]
"""A config field of seconds that also takes every form of the grammar (`30s`, `1h30m`, `2w`)."""
