"""Conversions every store shares (`storage.codec`): the times SQLite keeps as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from wirewatch.storage.codec import dt, ts

KATHMANDU = timezone(timedelta(hours=5, minutes=45))


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 12, 8, 5, 30, tzinfo=UTC), "2024-12-08T05:30:00.000000Z"),
        (datetime(2024, 12, 8, 5, 30, 1, 7, tzinfo=KATHMANDU), "2024-12-07T23:45:01.000007Z"),
        (datetime(1000, 1, 1, tzinfo=UTC), "1000-01-01T00:00:00.000000Z"),
        (datetime.max.replace(tzinfo=UTC), "9999-12-31T23:59:59.999999Z"),
        (datetime(999, 12, 31, 23, 59, tzinfo=UTC), "999-12-31T23:59:00.000000Z"),
        (datetime(1, 1, 1, tzinfo=UTC), "1-01-01T00:00:00.000000Z"),
    ],
)
def test_times_are_fixed_width_utc_text_as_they_always_were(moment: datetime, text: str) -> None:
    """UTC, microseconds, a `Z`; years before 1000 unpadded, as strftime always wrote them
    (rows stored by earlier versions keep their order)."""
    assert text == ts(moment)


def test_a_time_reads_back_as_itself() -> None:
    moment = datetime(2024, 12, 8, 5, 30, 1, 7, tzinfo=KATHMANDU)
    assert moment == dt(ts(moment))


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        ts(datetime(2024, 12, 8, 5, 30))
