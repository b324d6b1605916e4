"""One interval job per feed on APScheduler 3's `AsyncIOScheduler`: the only apscheduler import.

`FeedScheduler.set_jobs` takes the whole wanted set of jobs (one `JobSpec` per feed key) and
makes the scheduler match it: new keys are added, missing ones removed, changed intervals
re-timed, and unchanged ones left on their phase. Hot reload calls it with the new config.

Choices, with the facts from DESIGN.md behind them:

- Start times are staggered, not jittered (IntervalTrigger jitter drifts): the jobs added by one
  `set_jobs` call are sorted by key and the i-th of n first runs after `interval * i / n`, so a
  thousand feeds never fire in the same second. A `JobSpec.first_delay` overrides that.
- `max_instances=1` (a slow feed is never polled twice at once), `coalesce=True` (missed runs
  collapse into one) and `misfire_grace_time` of half the interval (the default is 1 s).
- Backoff is not the scheduler's: a failing feed's job still runs at every interval, and the
  pipeline skips the fetch until the feed's stored `next_due` (see `ingest.health`), so the
  backoff survives a restart and holds across instances. `reschedule_once(key, delay)` (move
  one job's next run to now + delay; the interval then counts from that run) exists for
  callers that want it; the daemon does not call it.
- Stop: `shutdown(wait=True)` would still cancel running coroutines, so `stop(grace)` pauses
  the scheduler, awaits in-flight runs up to `grace` seconds, cancels the rest, then shuts down.
  Each run's coroutine is a child task tracked here; cancelling that child (not the executor's
  task) keeps APScheduler from logging the cancellation as a job crash.

- A run due while the previous one still runs is skipped (that is `max_instances=1`).
  APScheduler says so in a warning whose whole sentence would be the event name; here it is
  dropped and logged as `poll_skipped_still_running` with the job and the message as fields,
  at most once a minute (a slow store can make a thousand feeds skip at once): the line counts
  the runs skipped and the jobs they belong to since the last line.

Jobs inherit contextvars bound before `start()`. The scheduler keeps jobs in memory only:
several processes must not share an APScheduler 3 job store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING, STATE_STOPPED
from apscheduler.triggers.interval import IntervalTrigger

from wirewatch.model import Clock, utc_now

JobFunc = Callable[[], Awaitable[object]]

log = structlog.get_logger("wirewatch.scheduling")
SKIP_LOG_EVERY = 60.0
"""Seconds between two `poll_skipped_still_running` lines."""


def _not_max_instances(record: logging.LogRecord) -> bool:
    """Drop APScheduler's "maximum number of running instances" warning: `FeedScheduler`
    logs it as a structured event instead."""
    return "maximum number of running instances" not in str(record.msg)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """What to run for one key: `func()` every `interval` seconds, first after `first_delay`.

    `first_delay=None` lets the scheduler stagger the first run across the interval.
    """

    interval: float
    func: JobFunc
    first_delay: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval) and self.interval > 0):
            raise ValueError(f"job interval must be a positive number of seconds: {self.interval}")
        if self.first_delay is not None and not self.first_delay >= 0:
            raise ValueError(f"job first_delay must be >= 0 seconds: {self.first_delay}")


def stagger(keys: Iterable[str]) -> dict[str, float]:
    """The fraction of its interval each key waits before its first run: i/n in sorted order.

    >>> stagger(["d", "b", "a", "c"])
    {'a': 0.0, 'b': 0.25, 'c': 0.5, 'd': 0.75}
    """
    ordered = sorted(keys)
    return {key: i / len(ordered) for i, key in enumerate(ordered)}


def misfire_grace(interval: float) -> int:
    """Half the interval in whole seconds (APScheduler wants an int), at least 1."""
    return max(1, round(interval / 2))


class FeedScheduler:
    """Runs one coroutine per key on an interval; see the module docstring for the rules.

    `clock` supplies "now" for start dates and backoff; APScheduler itself reads the real clock,
    so a test clock should stay close to real time (or far in the future, to inspect run times
    without anything running).
    """

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)
        apscheduler_log = logging.getLogger("apscheduler.scheduler")
        if _not_max_instances not in apscheduler_log.filters:
            apscheduler_log.addFilter(_not_max_instances)
        self._skipped_at = -math.inf  # when the last `poll_skipped_still_running` was logged
        self._skips: dict[str, int] = {}  # runs skipped per key since then
        self._specs: dict[str, JobSpec] = {}
        self._inflight: dict[asyncio.Task[object], _Run] = {}
        self._stopping = False
        self._shut_down = False

    @property
    def running(self) -> bool:
        """Whether jobs are being scheduled: started and not stopping."""
        return self._scheduler.state == STATE_RUNNING and not self._stopping

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._specs)

    @property
    def in_flight(self) -> frozenset[str]:
        """Keys whose job is running right now."""
        return frozenset(run.key for run in self._inflight.values())

    def start(self) -> None:
        """Start scheduling; call it from within the running event loop."""
        self._scheduler.start()

    def next_run(self, key: str) -> datetime | None:
        """When the job for `key` runs next, or None when there is no such job."""
        job = self._scheduler.get_job(key)
        return None if job is None else _next_run_time(job)

    def set_jobs(self, jobs: Mapping[str, JobSpec]) -> None:
        """Make the scheduled jobs match `jobs`: add, remove, re-time; leave the rest alone."""
        removed = self._specs.keys() - jobs.keys()
        for key in removed:
            self._remove(key)
        for key in jobs.keys() & self._specs.keys():
            self._update(key, jobs[key])
        added = {key: jobs[key] for key in jobs.keys() - self._specs.keys()}
        fractions = stagger(key for key, spec in added.items() if spec.first_delay is None)
        for key, spec in sorted(added.items()):
            delay = spec.first_delay
            self._add(key, spec, fractions[key] * spec.interval if delay is None else delay)
        log.debug("jobs_set", jobs=len(jobs), removed=len(removed))

    def reschedule_once(self, key: str, delay: float) -> bool:
        """Run `key` next after `delay` seconds instead of its interval; False if no such job."""
        if key not in self._specs:
            return False
        when = self._clock() + timedelta(seconds=max(0.0, delay))
        try:
            self._scheduler.modify_job(key, next_run_time=when)
        except JobLookupError:
            return False
        return True

    async def stop(self, grace: float) -> None:
        """Stop new runs, await in-flight ones up to `grace` seconds, cancel the rest, shut down.

        A second call while the first waits (a second signal) cancels what runs after its own,
        shorter grace. The scheduler cannot be started again.
        """
        if self._scheduler.state == STATE_STOPPED:
            return
        self._stopping = True
        self._scheduler.pause()
        runs = list(self._inflight.values())
        if runs:
            log.info("scheduler_draining", jobs=sorted(r.key for r in runs), grace=grace)
            await asyncio.wait([r.wrapper for r in runs], timeout=max(0.0, grace))
        late = [r for r in runs if not r.wrapper.done()]
        for run in late:
            log.warning("job_cancelled", job=run.key, grace=grace)
            run.work.cancel()
        if late:
            await asyncio.wait([r.wrapper for r in late])
        if not self._shut_down:  # a second, impatient stop() may have got here first
            self._shut_down = True
            self._scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler.shutdown runs on the next loop iteration

    def _skipped(self, event: JobSubmissionEvent) -> None:
        self._skips[event.job_id] = self._skips.get(event.job_id, 0) + 1
        now = time.monotonic()
        if now - self._skipped_at < SKIP_LOG_EVERY:
            return
        log.warning(
            "poll_skipped_still_running",
            job=event.job_id,
            message="maximum number of running instances reached (1)",
            skipped=sum(self._skips.values()),
            jobs=len(self._skips),
        )
        self._skipped_at, self._skips = now, {}

    def _add(self, key: str, spec: JobSpec, delay: float) -> None:
        self._specs[key] = spec
        start = self._clock() + timedelta(seconds=delay)
        self._scheduler.add_job(
            self._run,
            trigger=self._trigger(spec.interval, start),
            args=(key,),
            id=key,
            name=key,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=misfire_grace(spec.interval),
            next_run_time=start,  # else a start already past by a hair waits a whole interval
            replace_existing=True,
        )

    def _update(self, key: str, spec: JobSpec) -> None:
        old = self._specs[key]
        self._specs[key] = spec  # a new func takes effect at the next run, on the same phase
        if old.interval == spec.interval:
            return
        soonest = self._clock() + timedelta(seconds=spec.interval)
        planned = self.next_run(key)
        start = soonest if planned is None else min(planned, soonest)
        self._scheduler.modify_job(
            key,
            trigger=self._trigger(spec.interval, start),
            next_run_time=start,
            misfire_grace_time=misfire_grace(spec.interval),
        )

    def _remove(self, key: str) -> None:
        del self._specs[key]
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(key)

    @staticmethod
    def _trigger(interval: float, start: datetime) -> IntervalTrigger:
        return IntervalTrigger(seconds=interval, start_date=start, timezone=UTC)

    async def _run(self, key: str) -> None:
        """One run of `key`: the work runs as a tracked child task; failures are logged here."""
        spec = self._specs.get(key)
        wrapper = asyncio.current_task()
        if spec is None or wrapper is None or self._stopping:
            return
        work: asyncio.Task[object] = asyncio.ensure_future(spec.func())
        self._inflight[work] = _Run(key, work, wrapper)
        try:
            await work
        except asyncio.CancelledError:
            if wrapper.cancelling():
                raise  # the scheduler itself is going away, not just this run
        except Exception:
            log.exception("job_failed", job=key)
        finally:
            del self._inflight[work]


@dataclass(frozen=True, slots=True)
class _Run:
    """One in-flight run: `work` is the job's coroutine, `wrapper` the executor's task."""

    key: str
    work: asyncio.Task[object]
    wrapper: asyncio.Task[Any]


def _next_run_time(job: Any) -> datetime | None:
    when: datetime | None = getattr(job, "next_run_time", None)
    return when
