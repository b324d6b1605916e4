"""Routes: which notifiers receive which alerts. Pure; decided before the alert is stored."""

from __future__ import annotations

from dataclasses import dataclass

from wirewatch.config import RouteConfig
from wirewatch.model import Classification
from wirewatch.watchlist import Watchlist


@dataclass(frozen=True, slots=True)
class Router:
    """Without routes every alert goes to every notifier; with routes, to those that match."""

    notifiers: tuple[str, ...]
    routes: tuple[RouteConfig, ...] = ()

    def destinations(self, watchlist: Watchlist, result: Classification) -> tuple[str, ...]:
        if not self.routes:
            return self.notifiers
        chosen: dict[str, None] = {}
        for route in self.routes:
            if _matches(route, watchlist, result):
                chosen.update(dict.fromkeys(route.notifiers))
        return tuple(chosen)


def severity_and_tags(
    watchlist: Watchlist, result: Classification
) -> tuple[str | None, tuple[str, ...]]:
    """The alert's severity (the highest entity severity, else the watchlist's) and its tags."""
    by_id = {e.id: e for e in watchlist.entities}
    matched = [by_id[e] for e in result.entities if e in by_id]
    severities = [e.severity for e in matched if e.severity]
    tags = dict.fromkeys([*watchlist.tags, *(t for e in matched for t in e.tags)])
    return (max(severities, key=_rank) if severities else watchlist.severity), tuple(tags)


_ORDER = ("info", "low", "normal", "medium", "high", "critical")


def _rank(severity: str) -> int:
    return _ORDER.index(severity) if severity in _ORDER else len(_ORDER)


def _matches(route: RouteConfig, watchlist: Watchlist, result: Classification) -> bool:
    severity, tags = severity_and_tags(watchlist, result)
    kinds = {m.kind for m in result.matches}
    checks = (
        not route.watchlists or watchlist.name in route.watchlists,
        not route.entities or bool(set(route.entities) & set(result.entities)),
        not route.kinds or bool(set(route.kinds) & kinds),
        not route.severities or severity in route.severities,
        not route.tags or bool(set(route.tags) & set(tags)),
    )
    return all(checks)
