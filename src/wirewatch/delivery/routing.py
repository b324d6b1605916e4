"""The routing tree: which notifiers receive which alerts. Pure; decided before the alert is stored.

```yaml
route:                        # the root takes every alert: it is the default receiver
  notifiers: all              # all | [name, ...]; or `drop: true`
  routes:                     # children, tried in order
    - name: desk
      matchers: ["severity >= high", "watchlist = syria"]
      notifiers: [slack-desk]
      continue: true          # go on to the next sibling as well
    - matchers: ["tag = noise"]
      drop: true              # an explicit drop: counted and shown in `wirewatch alerts`
```

As in Alertmanager, an alert walks down from the root: the first child whose matchers all hold
takes it (and its own children are tried in turn), unless that child says `continue`, in which
case later siblings are tried too. A route that no child takes keeps the alert itself. A route
without `notifiers` or `drop` inherits its parent's. So every alert reaches a receiver or an
explicit drop; none goes nowhere by accident.

The old `routes:` list (every matching route adds its notifiers) is read as children of a root
that drops, each with `continue: true`: what it delivered before, it delivers now, and what
it silently dropped before is now a counted drop.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from wirewatch import severity as scale
from wirewatch.delivery import matchers as m
from wirewatch.delivery.matchers import Labels, Matcher
from wirewatch.match.watchlist import Watchlist
from wirewatch.model import Classification

_SHORTHANDS = {
    "watchlists": "watchlist",
    "entities": "entity",
    "kinds": "kind",
    "severities": "severity",
    "tags": "tag",
    "feeds": "feed",
    "actions": "action",
}

_CHECKS: dict[str, Callable[[str], object]] = {"matchers": m.parse, "severities": scale.check}
"""The keys whose every value must parse (a matcher) or be on the severity scale."""


class RouteConfig(BaseModel):
    """One node of the routing tree (also one entry of the old `routes:` list)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = ""
    matchers: tuple[str, ...] = ()
    watchlists: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    kinds: tuple[Literal["place", "actor"], ...] = ()
    severities: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    notifiers: Literal["all"] | tuple[str, ...] | None = None
    drop: bool = False
    continue_: bool = Field(default=False, alias="continue")
    routes: tuple[RouteConfig, ...] = ()

    @field_validator(*_CHECKS)
    @classmethod
    def _each_valid(cls, values: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        assert info.field_name is not None  # pydantic names the field of a field validator
        check = _CHECKS[info.field_name]
        for value in values:
            check(value)
        return values

    @model_validator(mode="after")
    def _one_receiver(self) -> RouteConfig:
        if self.drop and self.notifiers is not None:
            raise ValueError("a route either drops or names notifiers, not both")
        if self.notifiers == ():
            raise ValueError("notifiers: list at least one, or write `drop: true`")
        return self

    def compiled_matchers(self) -> tuple[Matcher, ...]:
        found = [m.parse(text) for text in self.matchers]
        for field, key in _SHORTHANDS.items():
            values: tuple[str, ...] = getattr(self, field)
            if len(values) == 1:
                found.append(m.make(key, "=", values[0]))
            elif values:
                found.append(m.make(key, "=~", "|".join(re.escape(v) for v in values)))
        return tuple(found)


def legacy_tree(routes: Sequence[RouteConfig]) -> RouteConfig:
    """The tree the old `routes:` list means (see the module docstring)."""
    if not routes:
        return RouteConfig(notifiers="all")
    children = tuple(r.model_copy(update={"continue_": True}) for r in routes)
    return RouteConfig(name="no route matched", drop=True, routes=children)


@dataclass(frozen=True, slots=True)
class Route:
    """A compiled node: its place in the tree, its matchers and its resolved receiver."""

    path: str
    name: str
    matchers: tuple[Matcher, ...]
    notifiers: tuple[str, ...]
    """Empty when the route drops."""
    continue_: bool
    children: tuple[Route, ...]

    @property
    def label(self) -> str:
        return f"{self.path} ({self.name})" if self.name else self.path

    @property
    def receiver(self) -> str:
        return ", ".join(self.notifiers) if self.notifiers else "drop"


@dataclass(frozen=True, slots=True)
class Routed:
    """Where one alert goes: the routes that took it, and the union of their notifiers."""

    taken: tuple[tuple[Route, ...], ...]
    """For each route that took the alert, the path of routes down to it from the root."""

    @property
    def notifiers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for path in self.taken for n in path[-1].notifiers))

    @property
    def muted(self) -> str | None:
        """`drop: <route>` when every route that took the alert drops it, else None."""
        if self.notifiers:
            return None
        return "drop: " + "; ".join(path[-1].label for path in self.taken)


class Router:
    """The compiled routing tree."""

    def __init__(self, tree: RouteConfig, notifiers: Sequence[str]) -> None:
        self.root = _compile(tree, "route", tuple(notifiers), ())

    def route(self, labels: Labels) -> Routed:
        return Routed(tuple(_walk(self.root, labels, (self.root,))))


def _compile(
    node: RouteConfig, path: str, every: tuple[str, ...], inherited: tuple[str, ...]
) -> Route:
    if node.drop:
        own: tuple[str, ...] = ()
    elif node.notifiers == "all":
        own = every
    elif node.notifiers is None:
        own = inherited
    else:
        own = node.notifiers
    children = tuple(
        _compile(child, f"{path}.routes[{i}]", every, own) for i, child in enumerate(node.routes)
    )
    return Route(path, node.name, node.compiled_matchers(), own, node.continue_, children)


def _walk(route: Route, labels: Labels, path: tuple[Route, ...]) -> Iterable[tuple[Route, ...]]:
    taken: list[tuple[Route, ...]] = []
    for child in route.children:
        if m.all_match(child.matchers, labels):
            taken += _walk(child, labels, (*path, child))
            if not child.continue_:
                break
    return taken or [path]


def severity_and_tags(
    watchlist: Watchlist, result: Classification
) -> tuple[str | None, tuple[str, ...]]:
    """The alert's severity (the highest entity severity, else the watchlist's) and its tags."""
    by_id = {e.id: e for e in watchlist.entities}
    matched = [by_id[e] for e in result.entities if e in by_id]
    severities = [e.severity for e in matched if e.severity]
    tags = dict.fromkeys([*watchlist.tags, *(t for e in matched for t in e.tags)])
    return (max(severities, key=scale.rank) if severities else watchlist.severity), tuple(tags)


def labels_of(
    watchlist: Watchlist,
    result: Classification,
    *,
    feed: Sequence[str] = (),
    action: str | None = None,
) -> Labels:
    severity, tags = severity_and_tags(watchlist, result)
    return Labels(
        watchlist=watchlist.name,
        entities=result.entities,
        kinds=tuple(dict.fromkeys(match.kind for match in result.matches)),
        severity=severity,
        tags=tags,
        feed=tuple(dict.fromkeys(f for f in feed if f)),
        action=action,
    )


@dataclass(frozen=True, slots=True)
class Known:
    """What route matchers may name: checked when the config loads."""

    notifiers: tuple[str, ...]
    watchlists: tuple[str, ...] | None = None
    """None when unknown (a watchlist did not load): such names are then not checked."""
    entities: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None


def problems(tree: RouteConfig, where: str, known: Known, *, root: bool = True) -> list[str]:
    """Every route that names an unknown notifier, watchlist, entity or tag, in plain words."""
    found: list[str] = []
    if root and (tree.matchers or any(getattr(tree, f) for f in _SHORTHANDS)):
        found.append(f"{where}: the root route takes every alert; put matchers on its routes")
    if root and not tree.drop and tree.notifiers is None:
        found.append(
            f"{where}: the root route needs a default receiver: `notifiers: all`,"
            " a list of notifiers, or `drop: true`"
        )
    if isinstance(tree.notifiers, tuple):
        found += _unknown(f"{where}.notifiers", "notifier", tree.notifiers, known.notifiers)
    pools = _pools(known)
    for field, key in _SHORTHANDS.items():
        if key in pools:
            found += _unknown(f"{where}.{field}", key, getattr(tree, field), pools[key])
    for index, text in enumerate(tree.matchers):
        matcher = m.parse(text)
        if matcher.is_equality and matcher.key in pools:
            here = f"{where}.matchers[{index}]"
            found += _unknown(here, matcher.key, (matcher.value,), pools[matcher.key])
    for index, child in enumerate(tree.routes):
        found += problems(child, f"{where}.routes[{index}]", known, root=False)
    return found


def _pools(known: Known) -> dict[str, tuple[str, ...]]:
    given = {"watchlist": known.watchlists, "entity": known.entities, "tag": known.tags}
    return {key: pool for key, pool in given.items() if pool is not None}


def matcher_problems(found: Sequence[Matcher], known: Known) -> list[str]:
    """Equality matchers (of a silence) on a watchlist, entity or tag that nothing defines."""
    pools = _pools(known)
    problems: list[str] = []
    for matcher in found:
        if matcher.is_equality and matcher.key in pools:
            problems += _unknown(str(matcher), matcher.key, (matcher.value,), pools[matcher.key])
    return problems


def _unknown(where: str, what: str, names: Iterable[str], known: Sequence[str]) -> list[str]:
    out = []
    for name in names:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=3)
        if close:
            hint = f"did you mean {' or '.join(map(repr, close))}?"
        elif len(known) <= 12:
            hint = f"known: {', '.join(known) or 'none'}"
        else:
            hint = f"{len(known)} are defined, e.g. {', '.join(known[:8])}"
        out.append(f"{where}: no {what} {name!r} is defined; {hint}")
    return out
