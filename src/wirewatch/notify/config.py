"""What every notifier's config has: the shared keys of one `notifiers:` entry.

Each notifier type's module defines its own strict model on top of `NotifierBase`, with
`type: Literal["<its type>"]` and only the keys it reads; `registry.py` puts them into one union
discriminated by `type`. A model's `settings()` returns what its factory is built from (the
model itself unless the type checks more than pydantic can, e.g. a webhook's URL and secrets).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, get_args

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wirewatch.config.durations import Seconds
from wirewatch.errors import ConfigError
from wirewatch.notify.base import Clock

if TYPE_CHECKING:
    from wirewatch.notify.payload import Payloads

T = TypeVar("T")


class RetryConfig(BaseModel):
    """How a failing destination is retried: probes at most `max_backoff` apart (jittered),
    rows given up `max_age` after their creation; `max_attempts` is off unless set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_backoff: Seconds = 60.0
    max_age: Seconds = 86400.0
    max_attempts: int | None = Field(default=None, ge=1)


class NotifierSettings(Protocol):
    """What a factory is built from: a name and the type that built it."""

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Deps:
    """What a factory may use besides its settings: the shared HTTP client, the clock, and
    what builds JSON payloads (the config's cap, the watchlists' places)."""

    client: httpx.AsyncClient
    clock: Clock
    payloads: Payloads


class NotifierBase(BaseModel):
    """The keys every notifier type accepts: its name and how its deliveries are paced."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    type: str
    """Which notifier: each type's model narrows it to its own `Literal`."""
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

    def settings(self) -> NotifierSettings:
        """What this type's factory is built from; raises `ConfigError` listing problems."""
        return self

    @classmethod
    def missing(cls, raw: dict[str, Any]) -> str | None:
        """The problem of an entry without a key this type cannot do without (one line for
        them all, rather than one `required key is missing` each), or None."""
        return None

    @model_validator(mode="before")
    @classmethod
    def _needs(cls, raw: Any) -> Any:
        problem = cls.missing(raw) if isinstance(raw, dict) else None
        if problem:
            raise ValueError(problem)
        return raw

    @model_validator(mode="after")
    def _shared_rules(self) -> NotifierBase:
        if self.retry is not None and (self.max_attempts or self.max_age):
            raise ValueError("set max_attempts and max_age inside retry, not beside it")
        if self.schedule:
            from wirewatch.delivery.digest import parse_schedule

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


class UrlNotifierBase(NotifierBase):
    """The keys of the types that deliver to one URL (webhook, apprise)."""

    url: str | None = None
    """Required (`missing` says so), but may come as `url_file`: not required in the schema."""
    timeout: Seconds = 10.0

    @classmethod
    def missing(cls, raw: dict[str, Any]) -> str | None:
        kind = get_args(cls.model_fields["type"].annotation)[0]
        article = "an" if kind[0] in "aeiou" else "a"
        return None if raw.get("url") else f"{article} {kind} notifier needs url (or url_file)"


def settings_of(model: BaseModel, kind: type[T]) -> T:
    """The settings dataclass `kind` from the model's values of the same names."""
    return kind(**{f.name: getattr(model, f.name) for f in fields(kind)})  # type: ignore[arg-type]


def check_settings(name: str, timeout: float, problems: list[str]) -> None:
    """Raise the settings' `problems`, a `timeout` that is not positive among them, as one
    `ConfigError` naming notifier `name`; return when there are none."""
    if timeout <= 0:
        problems = [*problems, f"timeout: must be positive, not {timeout}"]
    if problems:
        raise ConfigError(f"notifier {name!r}", problems)
