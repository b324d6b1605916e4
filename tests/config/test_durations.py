"""The one duration grammar (config, `--since`, `silence --for`, the API, digest schedules):
every form it takes, the one error for everything else, and the schema pattern that mirrors it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel, ValidationError

from wirewatch.config.durations import PATTERN, DurationError, Seconds, duration, parse_duration
from wirewatch.config.since import SinceError, parse_since
from wirewatch.delivery.digest import Every, parse_schedule

NOW = datetime(2024, 12, 8, 6, 0, tzinfo=UTC)
FORMS = [
    ("90", 90.0),
    ("0.5", 0.5),
    ("30s", 30.0),
    ("5m", 300.0),
    ("1.5h", 5400.0),
    ("1h30m", 5400.0),
    ("2d", 172800.0),
    ("2w", 1209600.0),
    ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5.0),
    ("2d 12h", 216000.0),
    (" 5 m ", 300.0),
    ("6H", 21600.0),
]
NOT_DURATIONS = ["", " ", "soon", "5x", "h", "30m1h", "1h1h", "1h30", "-5", "1e3", "inf", ".5h"]


@pytest.mark.parametrize(("text", "seconds"), FORMS)
def test_every_form_of_the_grammar_reads_as_seconds(text: str, seconds: float) -> None:
    """Plain seconds, one unit (s m h d w, any case), decimals and compounds largest first."""
    assert seconds == parse_duration(text)


@pytest.mark.parametrize("text", NOT_DURATIONS)
def test_anything_else_is_one_clear_error(text: str) -> None:
    """The message quotes the text and names the forms that work."""
    with pytest.raises(DurationError) as caught:
        parse_duration(text)

    assert f"{text!r} is not a duration (use seconds or 30s, 5m, 1.5h, 1h30m, 2d, 2w)" == str(
        caught.value
    )


def test_a_duration_too_long_for_a_float_is_an_error_with_the_text_cut() -> None:
    """400 digits overflow to infinity: refused, and the message does not repeat them all."""
    with pytest.raises(DurationError, match=r"^'9{40}\.\.\.' is too long a duration"):
        parse_duration("9" * 400 + "w")


def test_duration_must_be_positive() -> None:
    """`duration` (silence --for, the API) refuses zero, with the same list of forms."""
    with pytest.raises(DurationError, match=r"'0s' is not a positive duration \(use seconds or"):
        duration("0s")
    assert 5400.0 == duration("1h30m")


@pytest.mark.parametrize(("text", "seconds"), FORMS)
def test_the_schema_pattern_accepts_what_the_grammar_accepts(text: str, seconds: float) -> None:
    """Editors validating config files by the JSON Schema agree with the loader."""
    assert re.match(PATTERN, text) is not None


@pytest.mark.parametrize("text", NOT_DURATIONS)
def test_the_schema_pattern_refuses_what_the_grammar_refuses(text: str) -> None:
    assert re.match(PATTERN, text) is None


class _Model(BaseModel):
    timeout: Seconds


def test_config_fields_take_the_grammar_and_refuse_zero() -> None:
    """A `Seconds` config field reads `2w` and `1h30m`, keeps numbers, and refuses 0."""
    assert [1209600.0, 5400.0, 12.5] == [
        _Model(timeout=v).timeout  # type: ignore[arg-type]
        for v in ("2w", "1h30m", 12.5)
    ]
    with pytest.raises(ValidationError, match="greater than 0"):
        _Model(timeout="0")  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "seconds"), FORMS)
def test_since_takes_every_duration_back_from_now(text: str, seconds: float) -> None:
    """`--since 90` and `--since 2w` alike: the grammar's seconds before now."""
    assert NOW - timedelta(seconds=seconds) == parse_since(text, NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-12-01T12:00:00+01:00", datetime(2024, 12, 1, 11, 0, tzinfo=UTC)),
        ("2024-12-01", datetime(2024, 12, 1, tzinfo=UTC)),
        ("20241201", datetime(2024, 12, 1, tzinfo=UTC)),
    ],
)
def test_since_takes_an_iso_time_naive_as_utc(text: str, expected: datetime) -> None:
    """An ISO time is read first, so an 8-digit date stays a date, not seconds."""
    assert expected == parse_since(text, NOW)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "'yesterday' is neither a duration (seconds or 30s, 5m, 1.5h, 1h30m, 2d,"),
        ("999999w", "'999999w' reaches back before year 1; give a shorter duration such as 52w"),
    ],
)
def test_since_errors_say_what_to_give(text: str, message: str) -> None:
    with pytest.raises(SinceError) as caught:
        parse_since(text, NOW)

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("text", "seconds"), [("every 90", 90), ("every 1h30m", 5400)])
def test_digest_schedules_use_the_grammar(text: str, seconds: int) -> None:
    """`every DURATION` takes the same forms as the config (before: no compounds, no weeks)."""
    assert Every(timedelta(seconds=seconds)) == parse_schedule(text)


def test_a_digest_schedule_with_a_bad_duration_names_both() -> None:
    with pytest.raises(ValueError, match=r"^'every 5x': '5x' is not a duration \(use seconds"):
        parse_schedule("every 5x")
