"""The feed scheduler: staggered interval jobs, hot re-planning, backoff and a graceful stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from wirewatch.ingest.scheduling import FeedScheduler, JobSpec, misfire_grace, stagger

FAR = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
"""A clock this far ahead plans runs a day away: run times can be read, nothing runs."""


async def _noop() -> None:
    return None


@pytest.fixture
async def scheduler() -> AsyncIterator[FeedScheduler]:
    """A started scheduler on the real clock, stopped at the end of the test."""
    sched = FeedScheduler()
    sched.start()
    yield sched
    await sched.stop(grace=0)


@pytest.fixture
async def planned() -> AsyncIterator[FeedScheduler]:
    """A started scheduler whose clock reads FAR, so that jobs are planned but never run."""
    sched = FeedScheduler(clock=lambda: FAR)
    sched.start()
    yield sched
    await sched.stop(grace=0)


def _offsets(sched: FeedScheduler) -> dict[str, float]:
    runs = {key: sched.next_run(key) for key in sched.keys}
    return {key: (when - FAR).total_seconds() for key, when in runs.items() if when is not None}


def test_stagger_spreads_keys_evenly_in_sorted_order() -> None:
    """The i-th of n keys, in sorted order, waits i/n of its interval."""
    assert {"a": 0.0, "b": 0.25, "c": 0.5, "d": 0.75} == stagger(["d", "b", "a", "c"])


def test_misfire_grace_is_half_the_interval_and_at_least_a_second() -> None:
    """APScheduler's 1 s default is replaced by half the interval, in whole seconds."""
    assert [1, 1, 30, 1800] == [misfire_grace(i) for i in (0.1, 2.0, 60.0, 3600.0)]


def test_job_spec_rejects_non_positive_intervals() -> None:
    """An interval of zero would poll a feed in a loop: it is refused."""
    with pytest.raises(ValueError, match="interval"):
        JobSpec(0, _noop)


async def test_first_runs_are_staggered_across_the_interval(planned: FeedScheduler) -> None:
    """Four feeds at 60 s first run 0, 15, 30 and 45 s after now; first_delay overrides."""
    jobs = {key: JobSpec(60, _noop) for key in ("d", "c", "b", "a")}
    planned.set_jobs({**jobs, "x": JobSpec(60, _noop, first_delay=7)})

    assert {"a": 0.0, "b": 15.0, "c": 30.0, "d": 45.0, "x": 7.0} == _offsets(planned)


async def test_set_jobs_adds_removes_and_retimes(planned: FeedScheduler) -> None:
    """Missing keys go, new ones come, a changed interval re-times, the rest keep their phase."""
    planned.set_jobs({"a": JobSpec(60, _noop), "b": JobSpec(60, _noop), "c": JobSpec(60, _noop)})
    before = _offsets(planned)

    planned.set_jobs({"b": JobSpec(60, _noop), "c": JobSpec(10, _noop), "d": JobSpec(60, _noop)})

    assert {"b", "c", "d"} == planned.keys
    assert before["b"] == _offsets(planned)["b"]
    assert 10.0 == _offsets(planned)["c"]  # was 40 s away; never later than the new interval
    assert 0.0 == _offsets(planned)["d"]


async def test_reschedule_once_moves_only_the_next_run(planned: FeedScheduler) -> None:
    """A backoff delay replaces the next run time; unknown keys report False."""
    planned.set_jobs({"a": JobSpec(60, _noop)})

    assert planned.reschedule_once("a", 300)
    assert not planned.reschedule_once("missing", 300)
    assert {"a": 300.0} == _offsets(planned)


async def test_jobs_run_repeatedly_on_their_interval(scheduler: FeedScheduler) -> None:
    """A 0.1 s job started at once has run several times after half a second."""
    runs: list[float] = []

    async def job() -> None:
        runs.append(time.monotonic())

    scheduler.set_jobs({"feed": JobSpec(0.1, job, first_delay=0)})
    await asyncio.sleep(0.55)

    assert 3 <= len(runs) <= 7


async def test_a_slow_job_never_runs_twice_at_once(scheduler: FeedScheduler) -> None:
    """max_instances=1: a job that outlasts its interval is skipped, not run concurrently."""
    running, peak, runs = 0, 0, 0

    async def slow() -> None:
        nonlocal running, peak, runs
        running += 1
        runs += 1
        peak = max(peak, running)
        await asyncio.sleep(0.35)
        running -= 1

    scheduler.set_jobs({"slow": JobSpec(0.1, slow, first_delay=0)})
    await asyncio.sleep(0.8)

    assert 1 == peak
    assert 2 <= runs <= 3


async def test_a_failing_job_is_logged_and_runs_again(scheduler: FeedScheduler) -> None:
    """An exception in a run does not unschedule the job."""
    runs = 0

    async def failing() -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("boom")

    scheduler.set_jobs({"bad": JobSpec(0.1, failing, first_delay=0)})
    await asyncio.sleep(0.35)

    assert runs >= 2


async def test_a_job_can_back_itself_off(scheduler: FeedScheduler) -> None:
    """A run that calls reschedule_once on its own key runs next after the backoff delay."""
    runs: list[float] = []

    async def job() -> None:
        runs.append(time.monotonic())
        if len(runs) == 1:
            scheduler.reschedule_once("feed", 0.1)

    scheduler.set_jobs({"feed": JobSpec(30, job, first_delay=0)})
    await asyncio.sleep(0.5)

    assert 2 == len(runs)
    assert 0.05 < runs[1] - runs[0] < 0.4


async def test_stop_waits_for_in_flight_work_within_grace() -> None:
    """A run that ends within the grace period is allowed to finish."""
    sched = FeedScheduler()
    started, finished = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.set()

    sched.start()
    sched.set_jobs({"feed": JobSpec(60, job, first_delay=0)})
    await asyncio.wait_for(started.wait(), 2)
    assert {"feed"} == sched.in_flight

    await sched.stop(grace=5)

    assert finished.is_set()
    assert not sched.running
    assert frozenset() == sched.in_flight


async def running_a_long_job() -> tuple[FeedScheduler, asyncio.Event]:
    """A started scheduler whose one job has begun a 30 s run; the event is set if the run is
    cancelled."""
    sched = FeedScheduler()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def job() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    sched.start()
    sched.set_jobs({"feed": JobSpec(60, job, first_delay=0)})
    await asyncio.wait_for(started.wait(), 2)
    return sched, cancelled


async def test_stop_cancels_work_that_outlasts_grace() -> None:
    """A run still going when the grace period ends is cancelled, and stop returns promptly."""
    sched, cancelled = await running_a_long_job()
    began = time.monotonic()

    await sched.stop(grace=0.1)

    assert cancelled.is_set()
    assert time.monotonic() - began < 1
    assert not sched.running


async def test_stopped_scheduler_starts_no_new_runs() -> None:
    """After stop, a job due at once never runs."""
    sched = FeedScheduler()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1

    sched.start()
    sched.set_jobs({"feed": JobSpec(0.1, job, first_delay=0.2)})
    await sched.stop(grace=1)
    await asyncio.sleep(0.3)

    assert 0 == runs


async def test_a_second_stop_cuts_the_grace_short() -> None:
    """A second stop(grace=0) while the first waits cancels the run; both calls return."""
    sched, cancelled = await running_a_long_job()
    patient = asyncio.create_task(sched.stop(grace=30))
    await asyncio.sleep(0.05)

    await asyncio.wait_for(asyncio.gather(patient, sched.stop(grace=0)), 2)

    assert cancelled.is_set()
    assert not sched.running


async def test_a_run_skipped_while_the_last_still_runs_is_one_structured_event(
    scheduler: FeedScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    """A job slower than its interval: the skipped runs are logged as one
    `poll_skipped_still_running` event (job and message as fields, rate-limited), and
    APScheduler's own sentence never reaches the log."""
    release = asyncio.Event()

    async def slow() -> None:
        await release.wait()

    with capture_logs() as logs:
        scheduler.set_jobs({"feed": JobSpec(0.2, slow, first_delay=0)})
        await asyncio.sleep(1.5)  # several runs come due while the first one waits
        release.set()
        await asyncio.sleep(0.1)

    skipped = [e for e in logs if e["event"] == "poll_skipped_still_running"]
    assert 1 == len(skipped), logs
    assert ("feed", 1, 1) == (skipped[0]["job"], skipped[0]["skipped"], skipped[0]["jobs"])
    assert "maximum number of running instances" in skipped[0]["message"]
    assert [] == [r for r in caplog.records if "maximum number" in r.getMessage()]
