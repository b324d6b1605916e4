"""Reading a config and everything it names: watchlists, notifier settings, routes.

`load_everything` validates it all at once and reports every problem with its place; the
`Loaded` it returns is what the stages read (the pipeline, routing, muting, story grouping).
A reload builds a new one from the files and, when it is valid, the daemon swaps it in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from wirewatch.config.settings import Config, load_config
from wirewatch.delivery import matchers as m
from wirewatch.delivery.inhibit import Rule
from wirewatch.delivery.inhibit import rules as inhibit_rules
from wirewatch.delivery.routing import Known, Router, matcher_problems
from wirewatch.delivery.routing import problems as routing_problems
from wirewatch.errors import ConfigError
from wirewatch.geojson import Places
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist
from wirewatch.notify.config import NotifierBase, NotifierSettings


@dataclass(frozen=True)
class Loaded:
    """A validated config with its compiled watchlists and notifier settings."""

    config: Config
    matchers: dict[str, Matcher]
    notifiers: dict[str, NotifierSettings]
    router: Router

    @property
    def notifier_names(self) -> tuple[str, ...]:
        """The notifiers deliveries go to: the configured ones, else the console."""
        return tuple(self.notifiers) or ("console",)

    @property
    def inhibit_rules(self) -> tuple[Rule, ...]:
        return inhibit_rules(self.config.inhibit, self.config.stories.window)

    @property
    def known(self) -> Known:
        return known_names(self.config, self.matchers)

    @cached_property
    def places(self) -> Places:
        """Where the watchlists' place entities are (payloads and /api/alerts show it)."""
        return Places.of(self.matchers)

    @property
    def files(self) -> tuple[Path, ...]:
        """Every file whose change should trigger a reload."""
        return (self.config.source, *self.config.watchlists)


def load_everything(path: str | Path) -> Loaded:
    """Load the config, every watchlist and every notifier; report all problems at once."""
    config = load_config(path)
    problems: list[str] = []
    elsewhere: list[str] = []  # problems in the watchlist files, already located
    skip: set[str] = set()
    matchers: dict[str, Matcher] = {}
    for index, file in enumerate(config.watchlists):
        try:
            watchlist = load_watchlist(file)
        except ConfigError as e:
            problems += [f"watchlists[{index}] {file}: {p}" for p in e.problems]
            elsewhere += e.located
            skip.update(problems)
            continue
        if watchlist.name in matchers:
            problems.append(f"watchlists[{index}]: the name {watchlist.name!r} is used twice")
        matchers[watchlist.name] = Matcher(watchlist)
    complete = len(matchers) == len(config.watchlists)
    problems += _reference_problems(config, matchers, complete=complete)
    notifiers: dict[str, NotifierSettings] = {}
    for index, notifier in enumerate(config.notifiers):
        try:
            notifiers[notifier.name] = notifier_settings(notifier)
        except ConfigError as e:
            problems += [f"notifiers[{index}] (name {notifier.name!r}).{p}" for p in e.problems]
    if problems:
        raise _located(config, problems, elsewhere, [p for p in problems if p not in skip])
    router = Router(config.routing_tree, tuple(notifiers) or ("console",))
    return Loaded(config, matchers, notifiers, router)


def _located(
    config: Config, problems: list[str], elsewhere: list[str], own: list[str]
) -> ConfigError:
    """Every problem with its place: the watchlists' in their files, the rest in the config."""
    from wirewatch.config.positions import locate

    try:
        text = config.source.read_text(encoding="utf-8")
    except OSError:
        text = ""
    source = str(config.source)
    return ConfigError(source, problems, elsewhere + locate(source, text, own))


def notifier_settings(notifier: NotifierBase) -> NotifierSettings:
    """What the notifier's factory is built from; raises ConfigError with its problems."""
    return notifier.settings()


def _reference_problems(
    config: Config, matchers: dict[str, Matcher], *, complete: bool = True
) -> list[str]:
    """Names the config uses that nothing defines. With a watchlist that did not load
    (`complete` false), names of watchlists, entities and tags are not checked: its own error
    says what is wrong, and the routes that name it are not wrong too."""
    problems: list[str] = []
    for index, feed in enumerate(config.feeds):
        for name in feed.watchlists or ():
            if complete and name not in matchers:
                problems.append(f"feeds[{index}].watchlists: no watchlist is named {name!r}")
    known = known_names(config, matchers, complete=complete)
    for index, rule in enumerate(config.inhibit):
        for side in ("source", "target"):
            found = [m.parse(t) for t in getattr(rule, side)]
            where = f"inhibit[{index}].{side}"
            problems += [f"{where}: {p}" for p in matcher_problems(found, known)]
    if config.route is not None:
        return problems + routing_problems(config.route, "route", known)
    for index, route in enumerate(config.routes):  # the old list form
        if route.notifiers is None and not route.drop:
            problems.append(f"routes[{index}]: name its notifiers (or write `drop: true`)")
        problems += routing_problems(route, f"routes[{index}]", known, root=False)
    return problems


def known_names(config: Config, matchers: dict[str, Matcher], *, complete: bool = True) -> Known:
    """The notifiers, watchlists, entities and tags that routes and silences may name."""
    entities = (e.id for m in matchers.values() for e in m.watchlist.entities)
    return Known(
        notifiers=tuple(n.name for n in config.notifiers) or ("console",),
        watchlists=tuple(matchers) if complete else None,
        entities=tuple(dict.fromkeys(entities)) if complete else None,
        tags=tuple(dict.fromkeys(_tags(matchers))) if complete else None,
    )


def _tags(matchers: dict[str, Matcher]) -> Iterable[str]:
    for matcher in matchers.values():
        yield from matcher.watchlist.tags
        for entity in matcher.watchlist.entities:
            yield from entity.tags
