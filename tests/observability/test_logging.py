"""Structured logs: JSON lines, bound context, and secrets masked before anything is written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from wirewatch.observability.logging import LogRedactor, configure_logging, redact_log_url

SLACK = "https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/abcdEFGHijklMNOPqrstUVWX"


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state: put it back after each test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.NOTSET)


@pytest.fixture
def redactor() -> LogRedactor:
    return LogRedactor()


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_event_and_bound_context(redactor: LogRedactor) -> None:
    """Each event is one JSON object with an ISO UTC timestamp, level, event and context."""
    out = io.StringIO()
    configure_logging(json=True, stream=out, redactor=redactor)

    with structlog.contextvars.bound_contextvars(feed="aljazeera"):
        structlog.get_logger().info("poll_finished", items=12)
    (line,) = _lines(out)

    expected = {"event": "poll_finished", "level": "info", "feed": "aljazeera", "items": 12}
    assert expected == {k: line[k] for k in expected}
    assert line["timestamp"].endswith("Z")


def test_json_is_chosen_unless_the_stream_is_a_terminal(redactor: LogRedactor) -> None:
    """json=None: JSON lines into a pipe, readable console lines on a terminal."""
    pipe, tty = io.StringIO(), TTY()

    configure_logging(stream=pipe, redactor=redactor)
    structlog.get_logger().info("started")
    configure_logging(stream=tty, redactor=redactor)
    structlog.get_logger().info("started")

    assert "started" == json.loads(pipe.getvalue())["event"]
    assert "started" in tty.getvalue()
    assert not tty.getvalue().startswith("{")


def test_level_filters_events(redactor: LogRedactor) -> None:
    """Below the configured level nothing is written."""
    out = io.StringIO()
    configure_logging(json=True, level="warning", stream=out, redactor=redactor)

    structlog.get_logger().info("quiet")
    structlog.get_logger().warning("loud")

    assert ["loud"] == [line["event"] for line in _lines(out)]


def test_unknown_level_is_rejected() -> None:
    """A misspelt level fails with the valid ones named."""
    with pytest.raises(ValueError, match="debug, info, warning, error, critical"):
        configure_logging(level="verbose")


def test_registered_secret_is_masked_everywhere(redactor: LogRedactor) -> None:
    """A registered secret is masked in the event, in fields, nested values and tracebacks."""
    out = io.StringIO()
    configure_logging(json=True, stream=out, redactor=redactor)
    redactor.register("hunter2-smtp")
    log = structlog.get_logger()

    log.warning(
        "smtp_login_failed", error="535 bad password hunter2-smtp", extra={"p": ["hunter2-smtp"]}
    )
    try:
        raise RuntimeError("login with hunter2-smtp refused")
    except RuntimeError:
        log.exception("delivery_failed")

    assert "hunter2-smtp" not in out.getvalue()
    first, second = _lines(out)
    assert "535 bad password ***" == first["error"]
    assert {"p": ["***"]} == first["extra"]
    assert "RuntimeError: login with *** refused" in second["exception"]


def test_slack_webhook_token_is_masked(redactor: LogRedactor) -> None:
    """A Slack webhook URL in any field keeps its host and kind, and loses its tokens."""
    out = io.StringIO()
    configure_logging(json=True, stream=out, redactor=redactor)

    structlog.get_logger().info("delivery_retried", url=SLACK, error=f"POST {SLACK}: 500")
    (line,) = _lines(out)

    assert "https://hooks.slack.com/services/***/***/***" == line["url"]
    assert "POST https://hooks.slack.com/services/***/***/***: 500" == line["error"]


def test_stdlib_records_are_rendered_and_redacted(redactor: LogRedactor) -> None:
    """Library logs through `logging` come out as JSON lines with the same masking."""
    out = io.StringIO()
    configure_logging(json=True, stream=out, redactor=redactor)

    logging.getLogger("aiohttp.server").warning("error sending to %s", SLACK)
    logging.getLogger("apscheduler.scheduler").info("Running job")
    (line,) = _lines(out)

    expected = {
        "event": "error sending to https://hooks.slack.com/services/***/***/***",
        "level": "warning",
        "logger": "aiohttp.server",
    }
    assert expected == {k: line[k] for k in expected}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@example.org/rss", "https://***@example.org/rss"),
        ("https://x.org/f?id=7&token=abc&Api-Key=k", "https://x.org/f?id=7&token=***&Api-Key=***"),
        (
            "https://prod.westus.logic.azure.com/workflows/w1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=S1G",
            "https://prod.westus.logic.azure.com/workflows/w1/triggers/manual/paths/invoke?api-version=2016-06-01&sig=***",
        ),
        ("https://discord.com/api/webhooks/123/tok-en", "https://discord.com/api/webhooks/***/***"),
        (
            "https://acme.webhook.office.com/webhookb2/g1@g2/IncomingWebhook/abc/g3",
            "https://acme.webhook.office.com/webhookb2/***/***/***/***",
        ),
        (
            "https://feeds.bbci.co.uk/news/world/middle_east/rss.xml",
            "https://feeds.bbci.co.uk/news/world/middle_east/rss.xml",
        ),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    """Credentials, secret-looking query values and webhook tokens go; a feed URL stays as is."""
    assert expected == redact_log_url(url)


def test_short_secrets_are_not_registered(redactor: LogRedactor) -> None:
    """Masking "ab" everywhere would garble every line, so short strings are ignored."""
    redactor.register("ab", "")

    assert "table" == redactor("table")
