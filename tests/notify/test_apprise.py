"""Apprise notifiers through Apprise's `json://` schema to a real local receiver: delivered,
failures retryable (and retried by the dispatcher like any other), no secret in error text or
repr(), and unknown URLs rejected at load."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from tests.notify.scenarios import hostile_alert, make_message
from tests.notify.servers import Receiver, free_port
from tests.storage.storecase import T0, alerting, batch, item, verdict
from wirewatch.delivery.dispatch import DeliveryPolicy, Dispatcher
from wirewatch.errors import ConfigError, DeliveryError
from wirewatch.notify.apprise import AppriseNotifier, AppriseSettings
from wirewatch.storage import DeliveryState
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.testing import FixedClock

TOKEN = "t0k3nSecretValue99"


def json_url(receiver_url: str) -> str:
    """Apprise's JSON schema to the receiver, with a token in the path and the query."""
    host_port = receiver_url.removeprefix("http://").split("/")[0]
    return f"json://{host_port}/hooks/{TOKEN}?token={TOKEN}x"


def notifier(url: str) -> AppriseNotifier:
    return AppriseNotifier(AppriseSettings("chat", url, timeout=3))


async def test_a_message_arrives_as_apprise_json(receiver: Receiver) -> None:
    """The receiver gets Apprise's JSON with our headline as title and our text as message."""
    await notifier(json_url(receiver.url)).send(make_message())
    [request] = receiver.received()
    body = json.loads(request.body)
    assert f"/hooks/{TOKEN}" == request.path.split("?")[0]
    assert body["title"].startswith("New alert")
    assert "Syrian rebels enter Homs as Assad's forces withdraw" in body["message"]


async def test_mass_mentions_are_neutralised(receiver: Receiver) -> None:
    """Feed text cannot ping a whole room: @everyone and @here get a zero-width space."""
    await notifier(json_url(receiver.url)).send(make_message(hostile_alert()))
    message = json.loads(receiver.received()[0].body)["message"]
    assert "@everyone" not in message and "@here" not in message
    assert "@\u200beveryone" in message


async def test_a_refusal_is_retryable_and_hides_the_token(receiver: Receiver) -> None:
    """A 500 raises a retryable DeliveryError that names the notifier and not the token."""
    receiver.reply(500, body=f"broken {TOKEN}".encode())
    with pytest.raises(DeliveryError) as raised:
        await notifier(json_url(receiver.url)).send(make_message())
    assert raised.value.retryable
    assert str(raised.value).startswith("apprise 'chat' (json://***): ")
    assert TOKEN not in str(raised.value)


async def test_an_unreachable_service_is_retryable() -> None:
    """Connection refused: retryable, with Apprise's reason."""
    with pytest.raises(DeliveryError) as raised:
        await notifier(f"json://127.0.0.1:{free_port()}/{TOKEN}").send(make_message())
    assert raised.value.retryable and "connection" in str(raised.value).lower()
    assert TOKEN not in str(raised.value)


def test_settings_hide_the_url_and_reject_unknown_schemes() -> None:
    """repr() masks the URL; a URL Apprise cannot use fails at load, naming only its scheme."""
    settings = AppriseSettings("chat", f"tgram://123456789:{TOKEN}/42")
    assert TOKEN not in repr(settings) and TOKEN not in repr(AppriseNotifier(settings))
    with pytest.raises(ConfigError) as raised:
        AppriseSettings("chat", f"nosuch://{TOKEN}")
    assert "nosuch://" in str(raised.value) and TOKEN not in str(raised.value)


async def test_the_dispatcher_retries_an_apprise_failure_like_any_other(
    receiver: Receiver, tmp_path: Path
) -> None:
    """A failed Apprise send marks the destination failing; the next probe delivers it, once."""
    receiver.reply(503)
    clock = FixedClock(T0)
    async with SqliteStore(tmp_path / "w.db") as store:
        await store.migrate()
        await store.ingest(
            batch(alerting(item("a1"), verdict(destinations=("chat",))), backfill=True)
        )
        worker = Dispatcher(
            store,
            {"chat": notifier(json_url(receiver.url))},
            {"chat": DeliveryPolicy()},
            clock=clock,
            rng=random.Random(1),
            owner="t",
        )
        await worker.run_once()
        assert [DeliveryState.FAILED] == [r.state for r in await store.list_deliveries()]
        clock.now = T0.replace(minute=5)
        await worker.run_once()
        assert [DeliveryState.DELIVERED] == [r.state for r in await store.list_deliveries()]
    assert 2 == len(receiver.received())
