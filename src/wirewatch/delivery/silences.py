"""Silences: mute the alerts that match some matchers for a while (as in Alertmanager). Pure.

A silence is stored in the database, so every instance sharing it obeys it. A silenced alert is
still stored and shown by `wirewatch alerts` with the silence that muted it (`muted`); it gets
no outbox rows, and is counted in `wirewatch_alerts_muted_total{reason="silence"}`.

When a silence ends nothing is sent after the fact: the alerts it muted stay muted (they are
history, and a burst of stale alerts at the end of a quiet period is what a silence is there
to avoid). Only alerts created after it ends are delivered. A report that later joins the
story of a muted alert does not re-open it; with `stories.notify_story_updates`, an
`alert.updated` for that story is sent once the silence is over, like for any other story.

Not to be confused with `storage/silence.py`, which finds *silent feeds*.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from wirewatch.delivery import matchers as m
from wirewatch.delivery.matchers import Labels, Matcher

State = Literal["pending", "active", "expired"]
MAX_COMMENT = 1000


@dataclass(frozen=True, slots=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    comment: str = ""
    author: str = ""

    def state(self, now: datetime) -> State:
        if now >= self.ends_at:
            return "expired"
        return "active" if now >= self.starts_at else "pending"

    def mutes(self, labels: Labels, now: datetime) -> bool:
        return self.state(now) == "active" and m.all_match(self.matchers, labels)

    def expired(self, now: datetime) -> Silence:
        """The silence ended at `now` (or as it was, if it had ended already)."""
        return self if self.ends_at <= now else replace(self, ends_at=now)

    @property
    def reason(self) -> str:
        """What `muted` says of an alert this silence muted."""
        about = f": {self.comment}" if self.comment else ""
        return f"silence {self.id}{about}"


def new_silence(
    matchers: Sequence[Matcher],
    *,
    now: datetime,
    duration: timedelta | None = None,
    ends_at: datetime | None = None,
    starts_at: datetime | None = None,
    comment: str = "",
    author: str = "",
    silence_id: str | None = None,
) -> Silence:
    """A checked silence; ValueError says in plain words what is wrong."""
    if not matchers:
        raise ValueError("a silence needs at least one matcher (e.g. --entity homs)")
    if (duration is None) == (ends_at is None):
        raise ValueError("give either a duration (6h) or an end time, not both or neither")
    start = starts_at or now
    end = ends_at if ends_at is not None else start + (duration or timedelta(0))
    if end.tzinfo is None or start.tzinfo is None:
        raise ValueError("times need a time zone (e.g. 2024-12-08T18:00:00Z)")
    if end <= start or end <= now:
        raise ValueError("a silence must end in the future, after it starts")
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"the comment is longer than {MAX_COMMENT} characters")
    return Silence(
        id=silence_id or f"sil_{secrets.token_hex(6)}",
        matchers=tuple(matchers),
        starts_at=start,
        ends_at=end,
        created_at=now,
        comment=comment,
        author=author,
    )


def muting(silences: Iterable[Silence], labels: Labels, now: datetime) -> Silence | None:
    """The first silence that mutes an alert with these labels, if any."""
    return next((s for s in silences if s.mutes(labels, now)), None)


def matchers_from_json(value: Any) -> tuple[Matcher, ...]:
    """`{"entity": "homs"}` (equalities) or `["entity = homs", "tag =~ x"]` (any operator)."""
    if isinstance(value, Mapping):
        return m.from_mapping({str(k): _text(v, str(k)) for k, v in value.items()})
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(m.parse(v) for v in value)
    raise ValueError('matchers must be an object like {"entity": "homs"} or a list of strings')


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"matchers.{key} must be a string")
    return value


def to_json(silence: Silence, now: datetime) -> dict[str, Any]:
    """The silence as the HTTP API and `silence list --json` show it."""
    return {
        "id": silence.id,
        "matchers": {x.key: x.value for x in silence.matchers if x.op == "="},
        "expressions": [str(x) for x in silence.matchers],
        "starts_at": silence.starts_at.isoformat(),
        "ends_at": silence.ends_at.isoformat(),
        "created_at": silence.created_at.isoformat(),
        "comment": silence.comment,
        "author": silence.author,
        "state": silence.state(now),
    }


def encode_matchers(matchers: Iterable[Matcher]) -> list[list[str]]:
    """What the store keeps: [key, op, value] triples."""
    return [[x.key, x.op, x.value] for x in matchers]


def decode_matchers(triples: Iterable[Sequence[str]]) -> tuple[Matcher, ...]:
    return tuple(Matcher(key, op, value) for key, op, value in triples)
