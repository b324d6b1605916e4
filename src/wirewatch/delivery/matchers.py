"""Label matchers: what routes, silences and inhibition rules select alerts by. Pure.

An alert's labels (`Labels`) are its watchlist, entity ids, entity kinds, severity, tags, feed
(its name and its URL both count) and action kind (`action`, when story grouping set one).
Entities, kinds, tags and feed hold several values; a matcher on them asks about any value:

    entity = homs          some entity is homs
    entity != homs         no entity is homs
    tag =~ "syria|iraq"    some tag matches the regular expression (the whole value)
    tag !~ "^test"         no tag matches it
    severity >= high       also >, <=, <: severity only, on the fixed scale

An alert with no severity counts as `normal`. A value may be quoted ('...' or "...").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from wirewatch import severity as scale

Key = Literal["watchlist", "entity", "kind", "severity", "tag", "action", "feed"]
KEYS: tuple[str, ...] = get_args(Key)
Op = Literal["=", "!=", "=~", "!~", ">=", ">", "<=", "<"]
_ORDERED = (">=", ">", "<=", "<")
_SYNTAX = re.compile(r"\s*([a-z_]+)\s*(=~|!~|!=|>=|<=|=|>|<)\s*(.*?)\s*")


@dataclass(frozen=True, slots=True)
class Labels:
    """What matchers see of one alert."""

    watchlist: str
    entities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    severity: str | None = None
    tags: tuple[str, ...] = ()
    feed: tuple[str, ...] = ()
    """The feed's name and its URL."""
    action: str | None = None

    def values(self, key: str) -> tuple[str, ...]:
        single = {"watchlist": self.watchlist, "severity": self.severity or "normal"}
        if key in single:
            return (single[key],)
        if key == "action":
            return (self.action,) if self.action else ()
        many: dict[str, tuple[str, ...]] = {
            "entity": self.entities,
            "kind": self.kinds,
            "tag": self.tags,
            "feed": self.feed,
        }
        return many[key]


@dataclass(frozen=True, slots=True)
class Matcher:
    key: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.key} {self.op} {self.value}"

    def matches(self, labels: Labels) -> bool:
        values = labels.values(self.key)
        if self.op in _ORDERED:
            return _compare(scale.rank(values[0]), self.op, scale.rank(self.value))
        if self.op in ("=", "!="):
            hit = self.value in values
        else:
            pattern = _regex(self.value)
            hit = any(pattern.fullmatch(v) for v in values)
        return hit if self.op in ("=", "=~") else not hit

    @property
    def is_equality(self) -> bool:
        return self.op in ("=", "!=")


@functools.lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _compare(left: int, op: str, right: int) -> bool:
    return {">=": left >= right, ">": left > right, "<=": left <= right, "<": left < right}[op]


def parse(text: str) -> Matcher:
    """`entity = homs` and the like; ValueError says what is wrong in plain words."""
    found = _SYNTAX.fullmatch(text)
    if not found:
        raise ValueError(
            f"{text!r} is not a matcher; write KEY OP VALUE, e.g. 'entity = homs' or"
            " 'severity >= high' (OP is one of = != =~ !~ >= > <= <)"
        )
    key, op, value = found.groups()
    return make(key, op, _unquote(value))


def make(key: str, op: str, value: str) -> Matcher:
    """A checked matcher: a known key, an operator that fits it, a valid value."""
    if key not in KEYS:
        raise ValueError(f"unknown matcher key {key!r}; use one of {', '.join(KEYS)}")
    if op not in get_args(Op):
        raise ValueError(f"unknown operator {op!r}; use one of {' '.join(get_args(Op))}")
    if not value:
        raise ValueError(f"'{key} {op}' needs a value")
    if op in _ORDERED and key != "severity":
        raise ValueError(f"{op} compares severities only; use = != =~ !~ for {key}")
    if key == "severity" and op not in ("=~", "!~"):
        scale.check(value)
    if key == "kind" and op in ("=", "!=") and value not in ("place", "actor"):
        raise ValueError(f"unknown kind {value!r}; use place or actor")
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as e:
            raise ValueError(f"{value!r} is not a regular expression: {e}") from None
    return Matcher(key, op, value)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def from_mapping(mapping: Mapping[str, str]) -> tuple[Matcher, ...]:
    """`{"entity": "homs", "severity": "high"}`: one equality matcher per key."""
    return tuple(make(key, "=", str(value)) for key, value in mapping.items())


def all_match(matchers: Iterable[Matcher], labels: Labels) -> bool:
    return all(m.matches(labels) for m in matchers)
