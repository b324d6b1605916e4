"""The config file (a contract): YAML, strict, with `WIREWATCH_...` environment overrides.

Loaded once by `load_config(path)` into a frozen `Config` and passed down explicitly. Rules:
unknown keys are errors; a missing file is an error; relative paths resolve against the config
file's folder; secrets come from the environment (`${VAR}` in a value, or `WIREWATCH_...`
overrides nested with `__`) or from `*_file` keys; durations are seconds or `30s`, `1h30m`, `2w`
(the grammar of `wirewatch.config.durations`).

The sections are in `sections.py`, the notifier models next to their notifiers (one union,
`notify.registry.NotifierConfig`), and `${VAR}`, `*_file` and path handling in `expand.py`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from wirewatch.config import _env as env_overrides
from wirewatch.config.expand import expand, resolve_paths
from wirewatch.config.limits import Limits
from wirewatch.config.sections import (
    DaemonConfig,
    FeedConfig,
    FetchConfig,
    HttpConfig,
    RetentionConfig,
    StorageConfig,
    StoriesConfig,
)
from wirewatch.config.validation import describe_errors
from wirewatch.config.yamlfile import read_file
from wirewatch.delivery.inhibit import InhibitConfig
from wirewatch.delivery.routing import RouteConfig, legacy_tree
from wirewatch.errors import ConfigError
from wirewatch.notify.registry import NotifierConfig

__all__ = [
    "Config",
    "DaemonConfig",
    "FeedConfig",
    "FetchConfig",
    "HttpConfig",
    "NotifierConfig",
    "RetentionConfig",
    "StorageConfig",
    "StoriesConfig",
    "load_config",
    "located_error",
    "sqlite_path",
]

_HINT = "config/wirewatch.yaml"


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
        names = Counter(n.name for n in self.notifiers)
        problems = [f"notifier name {n!r} is used twice" for n, k in names.items() if k > 1]
        if "all" in names:
            problems.append("notifier name 'all' is reserved (`notifiers: all` in routes)")
        if self.route is not None and self.routes:
            problems.append("route and routes: use one (routes is the old list form of route)")
        feeds = Counter(f.url for f in self.feeds)  # counted once: 10,000 feeds are no n²
        problems += [f"feed {u!r} is listed twice" for u, k in feeds.items() if k > 1]
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
    raw = expand(raw, "", problems, path.parent, {})
    if problems:
        raise located_error(str(path), text, problems)
    resolve_paths(raw, path.parent)
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
    text, raw = read_file(path, missing="file not found (pass --config FILE)")
    if raw is None:
        return text, {}
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["expected a mapping of settings at the top level"])
    return text, raw


def sqlite_path(config: Config) -> Path:
    """The SQLite file of `storage.url`, relative paths under `data_dir`."""
    raw = config.storage.url.removeprefix("sqlite:///").removeprefix("sqlite://")
    path = Path(raw)
    return path if path.is_absolute() else config.data_dir / path
