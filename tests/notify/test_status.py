"""How webhook notifiers read HTTP outcomes (respx): retry table, Retry-After, Discord's
`retry_after`, gone endpoints, redirects, transport errors and timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from tests.notify.scenarios import NOW
from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Message
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.testing import FixedClock

URL = "https://receiver.example/hooks/wirewatch"
FORMATS = ("json", "slack", "discord", "teams")


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def deliver(
    client: httpx.AsyncClient, message: Message, fmt: str = "json", timeout: float = 10.0
) -> None:
    settings = WebhookSettings(name="ops", url=URL, format=fmt, timeout=timeout)
    await build_notifier(settings, client=client, clock=FixedClock()).send(message)


async def failure(client: httpx.AsyncClient, message: Message, fmt: str = "json") -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        await deliver(client, message, fmt)
    return caught.value


@pytest.mark.parametrize("seconds", ["120", "2.5"])
async def test_retry_after_seconds_is_honoured(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, seconds: str
) -> None:
    """A 429 with Retry-After in seconds is retryable after that many seconds."""
    router.post(URL).respond(429, headers={"Retry-After": seconds})

    error = await failure(client, message)

    assert (True, float(seconds)) == (error.retryable, error.retry_after)


async def test_retry_after_http_date_is_honoured(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message
) -> None:
    """A 503 with Retry-After as an HTTP date waits until then, by the injected clock."""
    when = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    router.post(URL).respond(503, headers={"Retry-After": when})

    error = await failure(client, message)

    assert (True, 90.0) == (error.retryable, error.retry_after)


async def test_retry_after_asctime_date_is_read_as_utc(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message
) -> None:
    """An asctime HTTP-date writes no zone; RFC 9110 makes every HTTP-date UTC, as the fetcher
    reads it (one parser for both)."""
    when = (NOW + timedelta(seconds=90)).strftime("%a %b %d %H:%M:%S %Y")
    router.post(URL).respond(503, headers={"Retry-After": when})

    assert 90.0 == (await failure(client, message)).retry_after


async def test_retry_after_in_the_past_means_now(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message
) -> None:
    """A Retry-After date already past gives zero, never a negative wait."""
    when = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    router.post(URL).respond(429, headers={"Retry-After": when})

    assert 0.0 == (await failure(client, message)).retry_after


@pytest.mark.parametrize("value", ["soon", "-5", "1e3"])
async def test_unreadable_retry_after_is_ignored(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, value: str
) -> None:
    """A garbled Retry-After leaves the wait to the dispatcher's backoff."""
    router.post(URL).respond(429, headers={"Retry-After": value})

    error = await failure(client, message)

    assert (True, None) == (error.retryable, error.retry_after)


async def test_discord_json_retry_after_is_honoured(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message
) -> None:
    """Discord's 429 body `{"retry_after": 1.25}` sets the wait when no header does."""
    body = {"message": "You are being rate limited.", "retry_after": 1.25, "global": False}
    router.post(URL).respond(429, json=body)

    error = await failure(client, message, "discord")

    assert (True, 1.25) == (error.retryable, error.retry_after)
    assert "rate limited" in str(error)


@pytest.mark.parametrize("fmt", FORMATS)
async def test_410_disables_the_notifier(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, fmt: str
) -> None:
    """410 Gone is not retryable and asks the dispatcher to disable the notifier."""
    router.post(URL).respond(410)

    error = await failure(client, message, fmt)

    assert (False, True) == (error.retryable, error.disable)


@pytest.mark.parametrize(("fmt", "disable"), [("discord", True), ("json", False)])
async def test_404_disables_only_discord(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, fmt: str, disable: bool
) -> None:
    """A Discord 404 means the webhook was deleted; elsewhere a 404 is a plain failure."""
    router.post(URL).respond(404, text="Unknown Webhook")

    error = await failure(client, message, fmt)

    assert (False, disable) == (error.retryable, error.disable)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirects_are_not_followed(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, status: int
) -> None:
    """A 3xx fails without retry and the redirect target is never requested."""
    target = router.post("https://elsewhere.example/hook").respond(204)
    router.post(URL).respond(status, headers={"Location": "https://elsewhere.example/hook"})

    error = await failure(client, message)

    assert False is error.retryable
    assert "not followed" in str(error)
    assert 0 == target.call_count


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x")],
)
async def test_transport_errors_are_retryable(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, exc: Exception
) -> None:
    """Connection failures, timeouts and broken responses are worth another try."""
    router.post(URL).mock(side_effect=exc)

    error = await failure(client, message)

    assert True is error.retryable
    assert type(exc).__name__ in str(error)


async def test_error_reason_names_the_notifier_status_and_body(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message
) -> None:
    """A 4xx reason says which notifier, which status, and what the receiver said."""
    router.post(URL).respond(400, text="invalid_payload")

    error = await failure(client, message, "slack")

    expected = (
        "webhook 'ops' (https://receiver.example/hooks/wirewatch): HTTP 400: invalid_payload: "
        "not retried, fix the request or the receiver"
    )
    assert expected == str(error)


async def test_delivery_posts_once_without_redirect_following(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message
) -> None:
    """A 2xx returns normally after exactly one POST."""
    route = router.post(URL).respond(200)

    await deliver(client, message)

    assert 1 == route.call_count
