"""The config file's plain sections: feeds, fetching, storage, stories, retention, HTTP, daemon.

Each is a strict, frozen model (unknown keys fail); `settings.Config` holds one of each.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from wirewatch.config.durations import Seconds
from wirewatch.ingest.netguard import IPNetwork, parse_network
from wirewatch.observability.logging import redact_log_url


def _feed_url(value: Any) -> Any:
    if isinstance(value, str) and not re.match(r"^(https?|file)://\S+$", value):
        raise ValueError(f"{value!r} is not an http, https or file URL")
    return value


def _network(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a network: write a CIDR such as 127.0.0.0/8 in quotes")
    return parse_network(value)


Network = Annotated[IPNetwork, BeforeValidator(_network)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Strict):
    url: Annotated[str, BeforeValidator(_feed_url)]
    name: str = ""
    interval: Seconds | None = None
    headers: dict[str, str] = {}
    enabled: bool = True
    watchlists: tuple[str, ...] | None = None
    backfill: bool = False

    @property
    def key(self) -> str:
        return self.url

    @property
    def label(self) -> str:
        """The feed's name in logs, tables and /api/feeds: its `name`, else its URL with the
        credentials masked (`key`, the URL itself, stays the feed's identity)."""
        return self.name or redact_log_url(self.url)


class FetchConfig(_Strict):
    interval: Seconds = 300.0
    timeout: Seconds = 30.0
    connect_timeout: Seconds = 10.0
    read_timeout: Seconds = 20.0
    max_body: int = Field(default=10 * 1024 * 1024, gt=0)
    user_agent: str | None = None
    concurrency: int = Field(default=20, gt=0)
    per_host: int = Field(default=2, gt=0)
    backoff_cap: Seconds = 6 * 3600.0
    parse_workers: int = Field(default=-1, ge=-1, le=64)
    """Processes that parse feeds: -1 = one per core when there are several, 0 = a thread."""
    allow_networks: tuple[Network, ...] = ()
    """Non-public networks (CIDRs) feeds may be fetched from anyway; see `netguard`."""


def _storage_url(value: Any) -> Any:
    """`sqlite:///PATH`, `postgresql://...` or `postgres://...` (a bare path is SQLite too)."""
    if not isinstance(value, str):
        return value
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]+):", value)
    if scheme and scheme.group(1).lower() not in ("sqlite", "postgresql", "postgres"):
        given = scheme.group(1)
        close = difflib.get_close_matches(given.lower(), ["sqlite", "postgresql"], n=1)
        hint = f"; did you mean {close[0]}://?" if close else ""
        raise ValueError(
            f"{given}: is not a storage this version knows: use sqlite:///PATH or"
            f" postgresql://user:pass@host/db{hint}"
        )
    if value.startswith(("postgresql:", "postgres:")) and not value.startswith(
        ("postgresql://", "postgres://")
    ):
        raise ValueError(f"{value!r}: write postgresql://user:pass@host/db")
    return value


class StorageConfig(_Strict):
    url: Annotated[str, BeforeValidator(_storage_url)] = "sqlite:///wirewatch.db"

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgresql://", "postgres://"))


class StoriesConfig(_Strict):
    window: Seconds = 48 * 3600.0
    threshold: float = Field(default=0.5, gt=0, lt=1)
    far_km: float = Field(default=60.0, ge=0)
    notify_updates: bool = False
    notify_story_updates: bool = False


class RetentionConfig(_Strict):
    max_age: Seconds = 30 * 86400.0
    seen_max_age: Seconds = 180 * 86400.0
    every: Seconds = 6 * 3600.0


class HttpConfig(_Strict):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    token: str | None = None


class DaemonConfig(_Strict):
    grace: Seconds = 20.0
    delivery_lease: Seconds = 60.0
    """How long a claimed delivery stays reserved; after a crash it is retried once it ends."""
    watch_files: bool = True
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
