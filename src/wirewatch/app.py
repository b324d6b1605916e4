"""Builds everything from the config: the only place concrete classes are chosen."""

from __future__ import annotations

import os
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import httpx

from wirewatch import USER_AGENT
from wirewatch._policy import DeliveryPolicy
from wirewatch.classify import Matcher
from wirewatch.config import Config, NotifierConfig, load_config, sqlite_path
from wirewatch.errors import ConfigError, StoreError
from wirewatch.fetch import FetchPolicy
from wirewatch.netguard import IPNetwork
from wirewatch.notify.base import Notifier
from wirewatch.notify.email import EmailSettings
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.routing import Router
from wirewatch.stories import StoryIndex
from wirewatch.watchlist import load_watchlist
from wirewatch.workers import parse_pool

if TYPE_CHECKING:
    from wirewatch.notify.apprise import AppriseSettings
    from wirewatch.storage import Store

NotifierSettings: TypeAlias = "WebhookSettings | EmailSettings | AppriseSettings | NotifierConfig"


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
    def files(self) -> tuple[Path, ...]:
        """Every file whose change should trigger a reload."""
        return (self.config.source, *self.config.watchlists)


def load_everything(path: str | Path) -> Loaded:
    """Load the config, every watchlist and every notifier; report all problems at once."""
    config = load_config(path)
    problems: list[str] = []
    matchers: dict[str, Matcher] = {}
    for index, file in enumerate(config.watchlists):
        try:
            watchlist = load_watchlist(file)
        except ConfigError as e:
            problems += [f"watchlists[{index}] {file}: {p}" for p in e.problems]
            continue
        if watchlist.name in matchers:
            problems.append(f"watchlists[{index}]: the name {watchlist.name!r} is used twice")
        matchers[watchlist.name] = Matcher(watchlist)
    problems += _reference_problems(config, matchers)
    notifiers: dict[str, NotifierSettings] = {}
    for index, notifier in enumerate(config.notifiers):
        try:
            notifiers[notifier.name] = notifier_settings(notifier)
        except ConfigError as e:
            problems += [f"notifiers[{index}] (name {notifier.name!r}).{p}" for p in e.problems]
    if problems:
        raise ConfigError(str(config.source), problems)
    router = Router(tuple(notifiers) or ("console",), config.routes)  # = Loaded.notifier_names
    return Loaded(config, matchers, notifiers, router)


def notifier_settings(notifier: NotifierConfig) -> NotifierSettings:
    if notifier.type == "apprise":
        from wirewatch.notify.apprise import AppriseSettings

        return AppriseSettings(notifier.name, notifier.url or "", timeout=notifier.timeout)
    if notifier.type == "webhook":
        return WebhookSettings(
            name=notifier.name,
            url=notifier.url or "",
            format=notifier.format,
            secrets=(*([notifier.secret] if notifier.secret else []), *notifier.secrets),
            headers=notifier.headers,
            bearer_token=notifier.bearer_token,
            timeout=notifier.timeout,
        )
    if notifier.type == "email":
        return EmailSettings(
            name=notifier.name,
            host=notifier.host or "",
            sender=notifier.sender or "",
            to=notifier.to,
            cc=notifier.cc,
            port=notifier.port,
            security=notifier.security,
            username=notifier.username,
            password=notifier.password,
            subject=notifier.subject,
            timeout=notifier.timeout,
        )
    return notifier


def _reference_problems(config: Config, matchers: dict[str, Matcher]) -> list[str]:
    problems: list[str] = []
    entities = {e.id for m in matchers.values() for e in m.watchlist.entities}
    for index, feed in enumerate(config.feeds):
        for name in feed.watchlists or ():
            if name not in matchers:
                problems.append(f"feeds[{index}].watchlists: no watchlist is named {name!r}")
    for index, route in enumerate(config.routes):
        problems += [
            f"routes[{index}].watchlists: no watchlist is named {name!r}"
            for name in route.watchlists
            if name not in matchers
        ]
        problems += [
            f"routes[{index}].entities: no watchlist has an entity {name!r}"
            for name in route.entities
            if name not in entities
        ]
    return problems


def open_store(config: Config) -> Store:
    """The store `storage.url` names (not yet opened)."""
    if config.storage.is_postgres:
        from wirewatch.storage.postgres import PostgresStore

        return PostgresStore(config.storage.url)
    from wirewatch.storage.sqlite import SqliteStore

    path = sqlite_path(config)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(
            f"cannot create the data directory {path.parent}: {e.strerror or e}; "
            "check data_dir and its permissions"
        ) from e
    return SqliteStore(path)


def fetch_policy(config: Config, *, also_allow: tuple[IPNetwork, ...] = ()) -> FetchPolicy:
    """The fetcher's policy from `fetch:`; `also_allow` adds networks the guard lets through
    (the demo's own feed server)."""
    fetch = config.fetch
    return FetchPolicy(
        connect=fetch.connect_timeout,
        read=fetch.read_timeout,
        total=fetch.timeout,
        max_body_bytes=fetch.max_body,
        user_agent=fetch.user_agent or USER_AGENT,
        max_concurrency=fetch.concurrency,
        per_host=fetch.per_host,
        allow_networks=(*fetch.allow_networks, *also_allow),
    )


def story_index(config: Config) -> StoryIndex:
    return StoryIndex(
        window=timedelta(seconds=config.stories.window), threshold=config.stories.threshold
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_executor(config: Config) -> Executor | None:
    """A process pool for feed parsing (feedparser is CPU-bound), or None for a thread."""
    workers = config.fetch.parse_workers
    if workers == -1:
        workers = os.cpu_count() or 1
        workers = workers if workers > 1 else 0
    if workers == 0:
        return None
    return parse_pool(workers)  # workers that exit when the daemon dies, however it dies


def build_notifiers(
    loaded: Loaded, *, client: httpx.AsyncClient
) -> tuple[dict[str, Notifier], dict[str, DeliveryPolicy]]:
    """The configured notifiers (a console one when there are none) and their policies."""
    from wirewatch._digest import parse_schedule
    from wirewatch.notify.console import ConsoleNotifier
    from wirewatch.notify.registry import build_notifier

    if not loaded.notifiers:
        return {"console": ConsoleNotifier()}, {"console": DeliveryPolicy()}
    notifiers: dict[str, Notifier] = {}
    policies: dict[str, DeliveryPolicy] = {}
    for config in loaded.config.notifiers:
        settings = loaded.notifiers[config.name]
        if isinstance(settings, NotifierConfig):
            notifiers[config.name] = ConsoleNotifier(config.name)
        else:
            notifiers[config.name] = build_notifier(settings, client=client, clock=utc_now)
        schedule = parse_schedule(config.schedule) if config.schedule else None
        policies[config.name] = DeliveryPolicy.from_config(config, schedule=schedule)
    return notifiers, policies


def webhook_transport(limits: httpx.Limits | None = None) -> httpx.AsyncBaseTransport:
    """The transport every webhook notifier shares: httpx's API on aiohttp's HTTP client.

    Notifiers (and their respx tests) speak httpx; underneath, aiohttp sends about five times
    as many requests per second as httpx's own transport on this machine (docs/benchmarks.md).
    """
    from httpx_aiohttp import AiohttpTransport

    return AiohttpTransport(limits=limits or httpx.Limits(max_connections=100))
