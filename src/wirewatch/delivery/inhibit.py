"""Inhibition: while a major alert is open, lesser ones about the same thing stay quiet. Pure.

```yaml
inhibit:
  - source: ["severity >= high"]   # an open alert that matches all of these...
    target: ["severity < high"]    # ...mutes a new alert that matches all of these...
    equal: [entity]                # ...when they share a value of each of these labels
    window: 12h                    # "open": created this long ago at most (default: stories.window)
```

So "an open alert with severity >= high on a place mutes lower ones on the same place": with
`equal: [entity]` (the default) the two alerts must name a common entity. The source must be
stored already: an alert created in the same poll of the same feed does not inhibit.
A muted alert is stored with `muted: "inhibited by <alert id> (inhibit[i])"` and counted in
`wirewatch_alerts_muted_total{reason="inhibit"}`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wirewatch.config.durations import Seconds
from wirewatch.delivery import matchers as m
from wirewatch.delivery.matchers import Labels, Matcher

EqualKey = Literal["watchlist", "entity", "kind", "severity", "tag", "action", "feed"]


class InhibitConfig(BaseModel):
    """One inhibition rule (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: tuple[str, ...] = Field(min_length=1)
    target: tuple[str, ...] = Field(min_length=1)
    equal: tuple[EqualKey, ...] = ("entity",)
    window: Seconds | None = None

    @field_validator("source", "target")
    @classmethod
    def _parse(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            m.parse(value)
        return values


@dataclass(frozen=True, slots=True)
class Rule:
    index: int
    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...]
    window: timedelta


@dataclass(frozen=True, slots=True)
class OpenAlert:
    """A stored alert that may inhibit others: its id, labels and creation time."""

    id: str
    labels: Labels
    created_at: datetime


def rules(configs: Sequence[InhibitConfig], default_window: float) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            index,
            tuple(m.parse(t) for t in c.source),
            tuple(m.parse(t) for t in c.target),
            c.equal,
            timedelta(seconds=c.window or default_window),
        )
        for index, c in enumerate(configs)
    )


def longest_window(found: Sequence[Rule]) -> timedelta:
    return max((r.window for r in found), default=timedelta(0))


def inhibited_by(
    found: Sequence[Rule], open_alerts: Iterable[OpenAlert], labels: Labels, now: datetime
) -> str | None:
    """Why an alert with `labels` is inhibited (`inhibited by <id> (inhibit[i])`), or None."""
    candidates = list(open_alerts)
    for rule in found:
        if not m.all_match(rule.target, labels):
            continue
        for source in candidates:
            if _inhibits(rule, source, labels, now):
                return f"inhibited by {source.id} (inhibit[{rule.index}])"
    return None


def _inhibits(rule: Rule, source: OpenAlert, labels: Labels, now: datetime) -> bool:
    if not now - rule.window <= source.created_at <= now:
        return False
    if not m.all_match(rule.source, source.labels):
        return False
    return all(set(source.labels.values(k)) & set(labels.values(k)) for k in rule.equal)
