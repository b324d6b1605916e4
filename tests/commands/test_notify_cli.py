"""`wirewatch notify test NAME` against a real local receiver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from tests.conftest import REPO
from tests.notify.scenarios import SECRET
from tests.notify.servers import Receiver
from wirewatch.cli import main
from wirewatch.commands.notify import TEST_TITLE


def config(tmp_path: Path, url: str, fmt: str = "json") -> Path:
    path = tmp_path / "wirewatch.yaml"
    notifier = {"name": "ops", "type": "webhook", "format": fmt, "url": url, "secret": SECRET}
    path.write_text(
        json.dumps(
            {
                "data_dir": str(tmp_path / "data"),
                "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
                "notifiers": [notifier],
            }
        ),
        encoding="utf-8",
    )
    return path


def test_sends_one_signed_marked_message_and_prints_the_answer(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    """The receiver gets one message, signed as usual and titled as a test; the command
    prints the HTTP status it answered."""
    assert 0 == main(["notify", "test", "ops", "--config", str(config(tmp_path, receiver.url))])
    [request] = receiver.received()
    body = Webhook(SECRET).verify(request.body, request.headers)
    assert TEST_TITLE == body["items"][0]["title"]
    assert request.headers["webhook-id"].startswith("msg_test_")
    out = capsys.readouterr().out
    assert out.startswith("ops: test message msg_test_") and out.endswith("answered HTTP 204\n")


def test_a_refusal_is_printed_once_without_retry(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 503 is not retried: one request, exit 1, the status and body in one line."""
    receiver.reply(503, body=b"maintenance")
    assert 1 == main(["notify", "test", "ops", "--config", str(config(tmp_path, receiver.url))])
    assert 1 == len(receiver.received())
    out = capsys.readouterr().out
    assert "ops: not accepted: " in out and "HTTP 503: maintenance" in out


def test_an_unknown_name_is_a_usage_error(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name that is not configured: exit 2 and the configured names."""
    path = config(tmp_path, receiver.url)
    assert 2 == main(["notify", "test", "nope", "--config", str(path)])
    assert "no notifier named 'nope'; configured: ops" in capsys.readouterr().err
    assert [] == receiver.received()


@pytest.mark.parametrize("fmt", ["slack", "discord", "teams"])
def test_every_chat_format_renders_the_test_message(
    tmp_path: Path, receiver: Receiver, fmt: str
) -> None:
    """The test message has no entities; every format still renders and sends it."""
    assert 0 == main(
        ["notify", "test", "ops", "--config", str(config(tmp_path, receiver.url, fmt))]
    )
    [request] = receiver.received()
    assert TEST_TITLE in request.body.decode()
