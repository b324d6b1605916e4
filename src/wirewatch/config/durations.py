"""Durations in config files and commands: seconds, or `30s`, `5m`, `6h`, `2d`. One parser."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(value: Any) -> Any:
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
        if not match:
            raise ValueError(f"{value!r} is not a duration (use seconds or 30s, 5m, 6h, 2d)")
        return float(match.group(1)) * _UNITS[match.group(2) or "s"]
    return value


def duration(value: str) -> float:
    """Seconds of `30s`, `5m`, `6h`, `2d` (or a plain number of seconds); ValueError if not."""
    seconds = _seconds(value)
    if not isinstance(seconds, float) or seconds <= 0:
        raise ValueError(f"{value!r} is not a duration (use 30s, 5m, 6h, 2d)")
    return seconds


PATTERN = r"^\s*\d+(\.\d+)?\s*[smhd]?\s*$"
SCHEMA = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": PATTERN, "examples": ["30s", "5m", "6h", "2d"]},
    ]
}
Seconds = Annotated[float, BeforeValidator(_seconds), Field(gt=0), WithJsonSchema(SCHEMA)]
"""A config field of seconds that also takes `30s`, `5m`, `6h`, `2d`."""
