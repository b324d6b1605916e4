"""The severity scale, fixed and ordered: info < low < normal < high < critical.

Watchlists set severities on themselves and on entities; an alert takes the highest one among
the entities it names, else its watchlist's. Routes, silences and inhibition rules compare them.
"""

from __future__ import annotations

from typing import Literal, get_args

Severity = Literal["info", "low", "normal", "high", "critical"]
SCALE: tuple[str, ...] = get_args(Severity)


def rank(severity: str | None) -> int:
    """The place of `severity` on the scale; an alert without one ranks as `normal`."""
    return SCALE.index(severity or "normal")


def check(value: str) -> str:
    """`value` if it is on the scale, else ValueError listing the scale."""
    if value not in SCALE:
        raise ValueError(f"unknown severity {value!r}; use one of {', '.join(SCALE)}")
    return value
