"""Capped exponential backoff with jitter, and Retry-After parsing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from wirewatch.ingest.backoff import DEFAULT_CAP, Backoff, next_delay, parse_retry_after

NOW = datetime(2024, 12, 8, 6, 0, tzinfo=UTC)


def test_without_jitter_delays_double_from_base() -> None:
    """With no jitter the delay is base * 2**(failures - 1)."""
    delays = [next_delay(n, base=60, rng=random.Random(0), jitter="none") for n in range(1, 6)]

    assert [60.0, 120.0, 240.0, 480.0, 960.0] == delays


def test_no_failures_means_no_wait() -> None:
    """Zero failures gives a zero delay."""
    assert 0.0 == next_delay(0, base=60, rng=random.Random(0))


def test_delays_are_capped() -> None:
    """However many failures, the delay never passes the cap (6 hours by default)."""
    rng = random.Random(1)

    delays = [next_delay(n, base=60, rng=rng, jitter="none") for n in range(1, 40)]

    assert DEFAULT_CAP == max(delays)
    assert DEFAULT_CAP == delays[-1]


@pytest.mark.parametrize("failures", [10**6, 10**18, 2**4000])
def test_never_gives_up_and_never_overflows(failures: int) -> None:
    """A huge failure count still yields a finite delay at the cap: backoff never gives up."""
    delay = next_delay(failures, base=30, cap=3600, rng=random.Random(2), jitter="equal")

    assert 1800 <= delay <= 3600


def test_full_jitter_stays_within_zero_and_ceiling() -> None:
    """Full jitter draws from [0, ceiling], spreading over most of that range."""
    rng = random.Random(3)

    delays = [next_delay(4, base=10, rng=rng, jitter="full") for _ in range(1000)]

    assert all(0 <= d <= 80 for d in delays)
    assert min(delays) < 10
    assert max(delays) > 70


def test_equal_jitter_stays_within_half_and_ceiling() -> None:
    """Equal jitter draws from [ceiling / 2, ceiling]."""
    rng = random.Random(4)

    delays = [next_delay(4, base=10, rng=rng, jitter="equal") for _ in range(1000)]

    assert all(40 <= d <= 80 for d in delays)


def test_seeded_random_makes_delays_reproducible() -> None:
    """The same seed gives the same delays: randomness is injected, not global."""
    policy = Backoff(base=5, cap=600)

    first = [policy.delay(n, rng=random.Random(7)) for n in range(1, 10)]
    second = [policy.delay(n, rng=random.Random(7)) for n in range(1, 10)]

    assert first == second


def test_retry_after_wins_when_larger() -> None:
    """A server's Retry-After longer than our backoff is honoured."""
    delay = next_delay(1, base=60, rng=random.Random(0), jitter="none", retry_after=900)

    assert 900.0 == delay


def test_backoff_wins_when_retry_after_is_smaller() -> None:
    """A Retry-After shorter than our backoff does not shorten it."""
    delay = next_delay(5, base=60, rng=random.Random(0), jitter="none", retry_after=5)

    assert 960.0 == delay


def test_retry_after_is_clamped_to_the_cap() -> None:
    """A Retry-After of a year cannot silence a feed for good: it is clamped to the cap."""
    delay = Backoff(base=60, cap=7200).delay(1, rng=random.Random(0), retry_after=365 * 86400)

    assert 7200.0 == delay


def test_retry_after_counts_even_with_no_failures() -> None:
    """Retry-After applies even when the failure count is zero."""
    assert 30.0 == next_delay(0, base=60, rng=random.Random(0), retry_after=30)


@pytest.mark.parametrize(("base", "cap"), [(0, 10), (-1, 10), (20, 10), (1, float("inf"))])
def test_backoff_rejects_nonsense(base: float, cap: float) -> None:
    """A Backoff needs 0 < base <= cap < infinity."""
    with pytest.raises(ValueError, match="base <= cap"):
        Backoff(base=base, cap=cap)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Sun, 08 Dec 2024 06:01:30 GMT", 90.0),
        ("Sun, 08 Dec 2024 05:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("9" * 400, None),
        ("Sun, 99 Dec 2024 06:01:30 GMT", None),
        ("Sunday, 08-Dec-24 06:01:30 GMT", 90.0),
        ("Sun Dec  8 06:01:30 2024", 90.0),
        ("+5", None),
        ("1e3", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Seconds and the three HTTP-date formats (IMF, RFC 850, asctime) are read; past dates
    mean 0; junk, signs and exponents mean None."""
    assert expected == parse_retry_after(value, NOW)


def test_parse_retry_after_takes_naive_times_as_utc() -> None:
    """A naive `now` or a date without a zone is taken as UTC."""
    naive_now = (NOW - timedelta(seconds=10)).replace(tzinfo=None)

    assert 10.0 == parse_retry_after("Sun, 08 Dec 2024 06:00:00", naive_now)
