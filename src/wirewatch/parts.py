"""The parts `app.build` assembles, each made from its section of the config: the store, the
fetcher's policy, the parse workers, the notifiers and their policies, the webhook client.
Only the composition root (`app`) and the commands that need one part (`poll --once`,
`db`, `notify test`) call these.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor

import httpx

from wirewatch import USER_AGENT
from wirewatch.config.settings import Config, sqlite_path
from wirewatch.delivery.policy import DeliveryPolicy
from wirewatch.errors import StoreError
from wirewatch.ingest.fetch import FetchPolicy
from wirewatch.ingest.netguard import IPNetwork
from wirewatch.loading import Loaded
from wirewatch.model import Clock, utc_now
from wirewatch.notify.base import Notifier
from wirewatch.storage import Store


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


def parse_executor(config: Config) -> Executor | None:
    """A process pool for feed parsing (feedparser is CPU-bound), or None for a thread."""
    workers = config.fetch.parse_workers
    if workers == -1:
        workers = os.cpu_count() or 1
        workers = workers if workers > 1 else 0
    if workers == 0:
        return None
    from wirewatch.ingest.workers import LazyPool  # multiprocessing only with the first task

    return LazyPool(workers)  # workers that exit when the daemon dies, however it dies


def build_notifiers(
    loaded: Loaded, *, client: httpx.AsyncClient, clock: Clock = utc_now
) -> tuple[dict[str, Notifier], dict[str, DeliveryPolicy]]:
    """The configured notifiers (a console one when there are none) and their policies."""
    from wirewatch.delivery.digest import parse_schedule
    from wirewatch.notify.console import ConsoleNotifier
    from wirewatch.notify.payload import Payloads
    from wirewatch.notify.registry import build_notifier

    payloads = Payloads(loaded.config.limits.payload_bytes, loaded.places)
    if not loaded.notifiers:
        return {"console": ConsoleNotifier(payloads=payloads)}, {"console": DeliveryPolicy()}
    notifiers: dict[str, Notifier] = {}
    policies: dict[str, DeliveryPolicy] = {}
    for config in loaded.config.notifiers:
        settings = loaded.notifiers[config.name]
        notifiers[config.name] = build_notifier(
            settings, client=client, clock=clock, payloads=payloads
        )
        schedule = parse_schedule(config.schedule) if config.schedule else None
        policies[config.name] = DeliveryPolicy.from_config(config, schedule=schedule)
    return notifiers, policies


def webhook_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client every webhook notifier shares; it follows no redirects."""
    return httpx.AsyncClient(follow_redirects=False, transport=transport or webhook_transport())


def webhook_transport(limits: httpx.Limits | None = None) -> httpx.AsyncBaseTransport:
    """The transport every webhook notifier shares: httpx's API on aiohttp's HTTP client.

    Notifiers (and their respx tests) speak httpx; underneath, aiohttp sends about five times
    as many requests per second as httpx's own transport on this machine (docs/benchmarks.md).
    """
    from httpx_aiohttp import AiohttpTransport

    return AiohttpTransport(limits=limits or httpx.Limits(max_connections=100))
