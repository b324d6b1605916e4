"""A feed's health after each fetch: the `FeedState` the pipeline stores, and when it is due.

Pure functions of the old state, the fetch's result and the time (the randomness of backoff is
passed in):

- `is_due`: a healthy feed is always due when its job runs; a failing one only once its backoff
  (`next_due`) has passed; a gone or disabled one never.
- `healthy`: a fetch that worked resets the failures and keeps the validators (ETag,
  Last-Modified); the first one after failures logs `feed_recovered`.
- `failing`: capped exponential backoff with equal jitter that never gives up, longer when the
  server's Retry-After says so; the first failure logs `feed_failing`, repeats only at debug.
- `gone`: 410 Gone disables the feed for good, with one loud line.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

import structlog

from wirewatch.config.settings import FeedConfig
from wirewatch.ingest.backoff import next_delay
from wirewatch.model import FetchResult
from wirewatch.storage import FeedState, FeedStatus

log = structlog.get_logger("wirewatch.pipeline")

GONE_ERROR = "HTTP 410 Gone: the publisher removed this feed; remove it from the config"
OFF = (FeedStatus.GONE, FeedStatus.DISABLED)


def is_due(state: FeedState, now: datetime) -> bool:
    """False while a failing feed is backing off, and for a feed that is gone or disabled."""
    if state.status in OFF:
        return False
    return state.status is FeedStatus.OK or state.next_due is None or now >= state.next_due


def healthy(
    feed: FeedConfig, state: FeedState, result: FetchResult, now: datetime, interval: float
) -> FeedState:
    """The feed's state after a successful fetch (saved with its items, in one transaction)."""
    if state.consecutive_failures:
        log.info("feed_recovered", feed=feed.label, after_failures=state.consecutive_failures)
    return dataclasses.replace(
        state,
        status=FeedStatus.OK,
        etag=result.etag or state.etag,
        last_modified=result.last_modified or state.last_modified,
        http_status=result.http_status,
        consecutive_failures=0,
        last_error=None,
        last_success=now,
        next_due=now + timedelta(seconds=interval),
    )


def failing(
    feed: FeedConfig,
    state: FeedState,
    error: str,
    result: FetchResult,
    *,
    now: datetime,
    interval: float,
    cap: float,
    rng: random.Random,
) -> FeedState:
    """The feed's state after a failed fetch or parse: backing off until `next_due`."""
    failures = state.consecutive_failures + 1
    delay = next_delay(
        failures, base=interval, cap=cap, rng=rng, jitter="equal", retry_after=result.retry_after
    )
    if failures == 1:
        log.warning("feed_failing", feed=feed.label, url=feed.url, error=error)
    else:
        log.debug("feed_still_failing", feed=feed.label, failures=failures, error=error)
    return dataclasses.replace(
        state,
        status=FeedStatus.FAILING,
        http_status=result.http_status,
        consecutive_failures=failures,
        last_error=error,
        next_due=now + timedelta(seconds=delay),
    )


def gone(feed: FeedConfig, state: FeedState) -> FeedState:
    """The feed's state after 410 Gone: disabled until someone removes it from the config."""
    log.error("feed_gone", feed=feed.label, url=feed.url, error=GONE_ERROR)
    return dataclasses.replace(
        state, status=FeedStatus.GONE, http_status=410, last_error=GONE_ERROR, next_due=None
    )
