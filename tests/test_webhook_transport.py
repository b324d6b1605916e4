"""The daemon's webhook transport (httpx over aiohttp) against a real receiver on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from tests.notify.scenarios import SECRET, make_message
from tests.notify.servers import Receiver
from wirewatch.errors import DeliveryError
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.parts import webhook_transport
from wirewatch.testing import FixedClock

pytestmark = pytest.mark.integration


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, transport=webhook_transport()) as client:
        yield client


async def test_signed_delivery_round_trip(receiver: Receiver, client: httpx.AsyncClient) -> None:
    """A delivery sent through aiohttp arrives with a signature the reference verifies."""
    settings = WebhookSettings(name="ops", url=receiver.url, secrets=(SECRET,))
    notifier = build_notifier(settings, client=client, clock=lambda: datetime.now(UTC))
    await notifier.send(make_message())
    [request] = receiver.received()
    payload = Webhook(SECRET).verify(request.body, request.headers)
    assert ("alert.created", "msg_" + payload["alert_id"] + "_ops") == (
        payload["type"],
        request.headers["webhook-id"],
    )


@pytest.mark.parametrize(("status", "retryable"), [(302, False), (503, True), (400, False)])
async def test_status_handling_is_the_same_over_aiohttp(
    receiver: Receiver, client: httpx.AsyncClient, status: int, retryable: bool
) -> None:
    """Redirects are not followed, 503 is retried, 400 is not: as with httpx's own transport."""
    receiver.reply(status, headers={"location": "http://127.0.0.1:9/elsewhere"})
    settings = WebhookSettings(name="ops", url=receiver.url)
    notifier = build_notifier(settings, client=client, clock=FixedClock())
    with pytest.raises(DeliveryError) as info:
        await notifier.send(make_message())
    assert retryable == info.value.retryable
    assert 1 == len(receiver.received())


async def test_refused_connection_is_a_retryable_transport_error(client: httpx.AsyncClient) -> None:
    settings = WebhookSettings(name="ops", url="http://127.0.0.1:9/hook")
    notifier = build_notifier(settings, client=client, clock=FixedClock())
    with pytest.raises(DeliveryError) as info:
        await notifier.send(make_message())
    assert info.value.retryable
