"""The config file (a contract): YAML, strict, with `WIREWATCH_...` environment overrides.

Loaded once by `load_config(path)` into a frozen `Config` and passed down explicitly. Rules:
unknown keys are errors; a missing file is an error; relative paths resolve against the config
file's folder; secrets come from the environment (`${VAR}` in a value, or `WIREWATCH_...`
overrides nested with `__`) or from `*_file` keys; durations are seconds or `30s`, `5m`, `6h`, `2d`.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from wirewatch.config import _env as env_overrides
from wirewatch.config.durations import Seconds
from wirewatch.config.limits import Limits
from wirewatch.config.validation import describe_errors
from wirewatch.config.yamlfile import load as load_yaml
from wirewatch.delivery.inhibit import InhibitConfig
from wirewatch.delivery.routing import RouteConfig, legacy_tree
from wirewatch.errors import ConfigError
from wirewatch.ingest.netguard import IPNetwork, parse_network
from wirewatch.match.watchlist import yaml_located, yaml_problem
from wirewatch.observability.logging import redact_log_url

_HINT = "config/wirewatch.yaml"


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


class RetryConfig(_Strict):
    """How a failing destination is retried: probes at most `max_backoff` apart (jittered),
    rows given up `max_age` after their creation; `max_attempts` is off unless set."""

    max_backoff: Seconds = 60.0
    max_age: Seconds = 86400.0
    max_attempts: int | None = Field(default=None, ge=1)


class NotifierConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    type: Literal["webhook", "email", "console", "apprise"]
    format: Literal["json", "slack", "discord", "teams"] = "json"
    url: str | None = None
    secret: str | None = None
    secrets: tuple[str, ...] = ()
    headers: dict[str, str] = {}
    bearer_token: str | None = None
    timeout: Seconds = 10.0
    host: str | None = None
    port: int | None = None
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str | None = Field(default=None, alias="from")
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = "[wirewatch] {watchlist}: {title}"
    rate_limit: float = Field(default=0.0, ge=0, description="messages per second, 0 = none")
    digest_threshold: int = Field(default=10, ge=1)
    digest_window: Seconds = 300.0
    retry: RetryConfig | None = None
    max_attempts: int | None = Field(default=None, ge=1)
    """Older spelling of retry.max_attempts."""
    max_age: Seconds | None = None
    """Older spelling of retry.max_age."""
    schedule: str | None = None
    """Send only digests on a schedule: "every 30m" or "daily 07:00 Europe/Berlin"."""
    quiet: str | None = None
    """Quiet hours, e.g. "22:00-07:00 Europe/London": held, then sent as one digest."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _needs(self) -> NotifierConfig:
        if self.type in ("webhook", "apprise") and not self.url:
            raise ValueError(f"a {self.type} notifier needs url (or url_file)")
        if self.type == "email" and not (self.host and self.sender and self.to):
            raise ValueError("an email notifier needs host, from and to")
        if self.retry is not None and (self.max_attempts or self.max_age):
            raise ValueError("set max_attempts and max_age inside retry, not beside it")
        if self.schedule:
            from wirewatch.delivery._digest import parse_schedule

            parse_schedule(self.schedule)  # raises ValueError with the reason
        if self.quiet:
            from wirewatch.delivery.intervals import parse_quiet

            parse_quiet(self.quiet)
        return self

    @property
    def retry_policy(self) -> RetryConfig:
        """`retry`, or the defaults with the older top-level keys applied."""
        if self.retry is not None:
            return self.retry
        defaults = RetryConfig()
        return RetryConfig(
            max_backoff=defaults.max_backoff,
            max_age=self.max_age or defaults.max_age,
            max_attempts=self.max_attempts,
        )


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


class Config(BaseSettings):
    """The whole configuration, validated; `source` is the file it came from."""

    model_config = SettingsConfigDict(
        env_prefix="WIREWATCH_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    source: Path = Path(".")
    data_dir: Path = Path("data")
    watchlists: tuple[Path, ...] = (Path("watchlists/syria.yaml"),)
    feeds: tuple[FeedConfig, ...] = ()
    fetch: FetchConfig = FetchConfig()
    storage: StorageConfig = StorageConfig()
    stories: StoriesConfig = StoriesConfig()
    retention: RetentionConfig = RetentionConfig()
    notifiers: tuple[NotifierConfig, ...] = ()
    route: RouteConfig | None = None
    """The routing tree (see routing.py); without it, every alert goes to every notifier."""
    routes: tuple[RouteConfig, ...] = ()
    """The old form: a list of routes, each adding its notifiers (read as `legacy_tree`)."""
    inhibit: tuple[InhibitConfig, ...] = ()
    """Inhibition rules (see inhibit.py)."""
    http: HttpConfig = HttpConfig()
    daemon: DaemonConfig = DaemonConfig()
    limits: Limits = Limits()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings  # the environment overrides the file

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        names = [n.name for n in self.notifiers]
        problems = [f"notifier name {n!r} is used twice" for n in set(names) if names.count(n) > 1]
        if "all" in names:
            problems.append("notifier name 'all' is reserved (`notifiers: all` in routes)")
        if self.route is not None and self.routes:
            problems.append("route and routes: use one (routes is the old list form of route)")
        feeds = [f.url for f in self.feeds]
        problems += [f"feed {u!r} is listed twice" for u in set(feeds) if feeds.count(u) > 1]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def routing_tree(self) -> RouteConfig:
        return self.route if self.route is not None else legacy_tree(self.routes)

    def feed_interval(self, feed: FeedConfig) -> float:
        return feed.interval or self.fetch.interval


def load_config(path: str | Path) -> Config:
    """Read, expand and validate the config file; every problem is listed with its path."""
    path = Path(path).resolve()
    text, raw = _read_yaml(path)
    problems: list[str] = []
    raw = _expand(raw, "", problems, path.parent, {})
    if problems:
        raise located_error(str(path), text, problems)
    _resolve_paths(raw, path.parent)
    try:
        config = Config(source=path, **raw)
    except ValidationError as e:
        raise located_error(
            str(path), text, describe_errors(e, raw, hint=_HINT, model=Config)
        ) from None
    except SettingsError as e:
        raise ConfigError(str(path), [_env_problem(e)]) from None
    if misspelt := env_overrides.misspelt(os.environ, Config):
        raise ConfigError(str(path), misspelt, misspelt)
    return config


def _env_problem(error: SettingsError) -> str:
    """pydantic-settings names the field whose environment value is not JSON; name the
    variable instead, which is what the user set."""
    found = re.search(r'field "(\w+)"', str(error))
    name = f"WIREWATCH_{found.group(1).upper()}" if found else "a WIREWATCH_* variable"
    return (
        f"environment variable {name}: not valid JSON; fix it or unset it "
        '(lists and mappings are given as JSON, e.g. \'[{"url": "https://..."}]\')'
    )


def located_error(file: str, text: str, problems: list[str]) -> ConfigError:
    """A ConfigError whose problems also carry their line and column in `text`; those that
    came from `WIREWATCH_...` variables name the variable instead."""
    from wirewatch.config.positions import locate

    problems = env_overrides.blame(problems, os.environ, Config)
    located = [
        p if p.startswith("environment variable") else line
        for p, line in zip(problems, locate(file, text, problems), strict=True)
    ]
    return ConfigError(file, problems, located)


def _read_yaml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
        raw = load_yaml(text)
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found (pass --config FILE)"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), [f"cannot read: {e}"]) from None
    except yaml.YAMLError as e:
        problem = f"not valid YAML: {yaml_problem(e)}"
        raise ConfigError(str(path), [problem], [yaml_located(str(path), e)]) from None
    if raw is None:
        return text, {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["expected a mapping of settings at the top level"])
    return text, raw


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(node: Any, where: str, problems: list[str], base: Path, done: dict[int, Any]) -> Any:
    """Expand `${VAR}` in strings and replace `key_file: PATH` with `key: <file contents>`;
    a relative PATH is read from `base`, the config file's folder.

    A mapping or list met again (a YAML alias) gives the copy made the first time, from `done`:
    copying it once per reference would grow exponentially with nested aliases."""
    if isinstance(node, dict | list):
        if id(node) not in done:
            done[id(node)] = _expand_container(node, where, problems, base, done)
        return done[id(node)]
    if isinstance(node, str) and "${" in node:
        return _ENV.sub(lambda m: _env(m.group(1), where, problems), node)
    return node


def _expand_container(
    node: dict[Any, Any] | list[Any],
    where: str,
    problems: list[str],
    base: Path,
    done: dict[int, Any],
) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and key.endswith("_file") and isinstance(value, str):
                out[key.removesuffix("_file")] = _read_secret(value, here, problems, base)
            else:
                out[key] = _expand(value, here, problems, base, done)
        return out
    return [_expand(v, f"{where}[{i}]", problems, base, done) for i, v in enumerate(node)]


def _env(name: str, where: str, problems: list[str]) -> str:
    if name not in os.environ:
        problems.append(f"{where}: environment variable {name} is not set")
        return ""
    return os.environ[name]


def _read_secret(path: str, where: str, problems: list[str], base: Path) -> str:
    try:
        return (base / os.path.expanduser(path)).read_text(encoding="utf-8").strip()
    except OSError as e:
        problems.append(f"{where}: cannot read secret file {path}: {e.strerror or e}")
        return ""


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    def resolve(value: Any) -> Any:
        return (
            str((base / os.path.expanduser(value)).resolve()) if isinstance(value, str) else value
        )

    if "data_dir" in raw:
        raw["data_dir"] = resolve(raw["data_dir"])
    else:
        raw["data_dir"] = str(base / "data")
    if isinstance(raw.get("watchlists"), list):
        raw["watchlists"] = [resolve(w) for w in raw["watchlists"]]
    else:
        raw.setdefault("watchlists", [str(base / "watchlists/syria.yaml")])
    for feed in raw.get("feeds") or []:
        if isinstance(feed, dict) and isinstance(feed.get("url"), str):
            feed["url"] = _file_url(feed["url"], base)


def _file_url(url: str, base: Path) -> str:
    if url.startswith("file://") and not url.startswith("file:///"):
        return (base / url.removeprefix("file://")).resolve().as_uri()
    return url


def sqlite_path(config: Config) -> Path:
    """The SQLite file of `storage.url`, relative paths under `data_dir`."""
    raw = config.storage.url.removeprefix("sqlite:///").removeprefix("sqlite://")
    path = Path(raw)
    return path if path.is_absolute() else config.data_dir / path
