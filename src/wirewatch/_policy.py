"""A notifier's delivery policy, and the part of the retry table that decides who gives up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wirewatch._digest import Schedule
from wirewatch.backoff import Backoff
from wirewatch.errors import DeliveryError
from wirewatch.intervals import QuietHours, parse_quiet
from wirewatch.storage.base import DeliveryRecord

if TYPE_CHECKING:
    from wirewatch.config import NotifierConfig

DEFAULT_BACKOFF = Backoff(base=10.0, cap=3600.0, jitter="full")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How one notifier is paced: rate limit, flood digests, retries and when to give up."""

    rate_limit: float = 0.0
    """Messages a second, 0 for no limit."""
    burst: float | None = None
    """Messages that may go at once after a quiet spell (default: max(1, rate_limit))."""
    digest_threshold: int = 10
    """More alerts than this within `digest_window` go out as one digest."""
    digest_window: float = 300.0
    max_attempts: int = 12
    max_age: float = 86400.0
    """Seconds after its creation when a failing row stops being retried."""
    backoff: Backoff = DEFAULT_BACKOFF
    schedule: Schedule | None = None
    """Send only scheduled digests (see `_digest.parse_schedule`), e.g. for email."""
    quiet: QuietHours | None = None
    """Hold deliveries during these hours, then send what was held as one digest."""

    @classmethod
    def from_config(
        cls, config: NotifierConfig, schedule: Schedule | None = None
    ) -> DeliveryPolicy:
        return cls(
            rate_limit=config.rate_limit,
            digest_threshold=config.digest_threshold,
            digest_window=config.digest_window,
            max_attempts=config.max_attempts,
            max_age=config.max_age,
            schedule=schedule,
            quiet=parse_quiet(config.quiet) if config.quiet else None,
        )


DEFAULT_POLICY = DeliveryPolicy()


def dead_reason(
    error: DeliveryError, row: DeliveryRecord, now: datetime, policy: DeliveryPolicy
) -> str | None:
    """Why a failed row goes to the dead letters, or None when it is to be retried."""
    attempt = row.attempts + 1
    if not error.retryable:
        return str(error)
    if attempt >= policy.max_attempts:
        return f"gave up after {attempt} attempts: {error}"
    age = now - row.created_at
    if age.total_seconds() >= policy.max_age:
        return f"gave up after {_duration(age)} (max_age): {error}"
    return None


def _duration(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{age.total_seconds() / 60:.0f} min"
