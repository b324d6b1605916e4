"""A notifier's delivery policy, and the part of the retry table that decides who gives up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from wirewatch.delivery._digest import Schedule
from wirewatch.delivery.intervals import QuietHours, parse_quiet
from wirewatch.errors import DeliveryError
from wirewatch.ingest.backoff import Backoff
from wirewatch.storage.base import DeliveryRecord

if TYPE_CHECKING:
    from wirewatch.notify.config import NotifierBase

DEFAULT_MAX_BACKOFF = 60.0
DEFAULT_MAX_AGE = 86400.0
FIRST_PROBE = 2.0
"""Seconds: the ceiling of the first wait after a destination starts failing."""
RETRY_AFTER_LIMIT = 3600.0
"""A receiver's Retry-After is honoured up to this many seconds, so a broken header cannot
silence a destination for good."""


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
    max_backoff: float = DEFAULT_MAX_BACKOFF
    """The longest wait between two probes of a failing destination (jittered below it)."""
    max_age: float = DEFAULT_MAX_AGE
    """Seconds after its creation when a failing row stops being retried."""
    max_attempts: int | None = None
    """Give up after this many attempts of one row as well (default: only by age)."""
    schedule: Schedule | None = None
    """Send only scheduled digests (see `_digest.parse_schedule`), e.g. for email."""
    quiet: QuietHours | None = None
    """Hold deliveries during these hours, then send what was held as one digest."""

    @property
    def backoff(self) -> Backoff:
        """Probe waits: doubling from FIRST_PROBE up to `max_backoff`, equal jitter, so that
        consecutive probes are never more than `max_backoff` apart."""
        return Backoff(
            base=min(FIRST_PROBE, self.max_backoff), cap=self.max_backoff, jitter="equal"
        )

    @classmethod
    def from_config(cls, config: NotifierBase, schedule: Schedule | None = None) -> DeliveryPolicy:
        retry = config.retry_policy
        return cls(
            rate_limit=config.rate_limit,
            digest_threshold=config.digest_threshold,
            digest_window=config.digest_window,
            max_backoff=retry.max_backoff,
            max_age=retry.max_age,
            max_attempts=retry.max_attempts,
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
    if policy.max_attempts is not None and attempt >= policy.max_attempts:
        return f"gave up after {attempt} attempts: {error}"
    age = now - row.created_at
    if age.total_seconds() >= policy.max_age:
        return age_reason(age, error)
    return None


def age_reason(age: timedelta, error: DeliveryError | str) -> str:
    return f"gave up after {_duration(age)} (max_age): {error}"


def _duration(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{age.total_seconds() / 60:.0f} min"
