"""The contract every notifier keeps: one status-to-retry table for every webhook format, and
no secret (URL token, bearer token, signing secret, SMTP password) in error text or repr()."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from tests.notify.scenarios import OTHER_SECRET, SECRET, SMTP_PASSWORD, SMTP_USER
from tests.notify.servers import SmtpServer, free_port
from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Message
from wirewatch.notify.email import EmailSettings
from wirewatch.notify.registry import FORMATS, build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.testing import FixedClock

TOKEN = "XXXXtokenXXXXtoken"
URL = f"https://hooks.example.com/services/T0001/B0002/{TOKEN}?sig=query-signature-value"
BEARER = "bearer-token-0123456789"
API_KEY = "api-key-0123456789"
WEBHOOK_SECRETS: tuple[str, ...] = (TOKEN, "T0001", "B0002", "query-signature-value", BEARER)
WEBHOOK_SECRETS += (API_KEY, SECRET, SECRET.removeprefix("whsec_"), OTHER_SECRET)

# status -> (retryable, disable); 2xx statuses deliver.
TABLE = {
    **{s: (True, False) for s in (408, 425, 429, 500, 502, 503, 504, 507, 520)},
    **{s: (False, False) for s in (400, 401, 403, 405, 409, 413, 415, 422, 501, 505)},
    **{s: (False, False) for s in (301, 302, 303, 307, 308)},
    410: (False, True),
}


def webhook_settings(fmt: str) -> WebhookSettings:
    return WebhookSettings(
        name="ops",
        url=URL,
        format=fmt,
        secrets=(SECRET, OTHER_SECRET),
        headers={"X-Api-Key": API_KEY},
        bearer_token=BEARER,
    )


@pytest.fixture(params=sorted(FORMATS))
def fmt(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


async def send(client: httpx.AsyncClient, fmt: str, message: Message) -> None:
    notifier = build_notifier(webhook_settings(fmt), client=client, clock=FixedClock())
    await notifier.send(message)


def assert_no_secret(text: str, secrets: tuple[str, ...]) -> None:
    leaked = [s for s in secrets if s in text]
    assert [] == leaked


@pytest.mark.parametrize("status", [200, 201, 202, 204])
async def test_2xx_is_delivered(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, fmt: str, status: int
) -> None:
    """Every success status returns normally."""
    router.post(URL).respond(status)

    await send(client, fmt, message)


@pytest.mark.parametrize("status", sorted(TABLE))
async def test_status_to_retry_table(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, fmt: str, status: int
) -> None:
    """Each failing status maps to the same (retryable, disable) in every format."""
    router.post(URL).respond(status, headers={"Location": URL} if status < 400 else {})

    with pytest.raises(DeliveryError) as caught:
        await send(client, fmt, message)

    assert TABLE[status] == (caught.value.retryable, caught.value.disable)


@pytest.mark.parametrize("status", [400, 401, 500, 302])
async def test_no_secret_in_error_text_even_when_the_receiver_echoes_it(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, fmt: str, status: int
) -> None:
    """A receiver that echoes the URL, tokens and secrets back cannot make them leak."""
    echo = " ".join((URL, *WEBHOOK_SECRETS))
    router.post(URL).respond(status, text=echo, headers={"Location": URL})

    with pytest.raises(DeliveryError) as caught:
        await send(client, fmt, message)

    assert_no_secret(str(caught.value), WEBHOOK_SECRETS)


async def test_no_half_secret_where_the_reason_is_cut(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, fmt: str
) -> None:
    """A token straddling the cut of a long response body is masked before the cut."""
    router.post(URL).respond(400, text="x" * 190 + " " + BEARER + " tail")

    with pytest.raises(DeliveryError) as caught:
        await send(client, fmt, message)

    assert BEARER[:8] not in str(caught.value)


async def test_no_secret_in_transport_errors_or_their_cause(
    router: respx.MockRouter, client: httpx.AsyncClient, message: Message, fmt: str
) -> None:
    """A transport error that names the URL is redacted and not chained into tracebacks."""
    router.post(URL).mock(side_effect=httpx.ConnectError(f"cannot connect to {URL}"))

    with pytest.raises(DeliveryError) as caught:
        await send(client, fmt, message)

    assert_no_secret(str(caught.value), WEBHOOK_SECRETS)
    assert None is caught.value.__cause__


async def test_no_secret_in_webhook_reprs(client: httpx.AsyncClient, fmt: str) -> None:
    """Neither the settings nor the notifier print a secret."""
    settings = webhook_settings(fmt)
    notifier = build_notifier(settings, client=client, clock=FixedClock())

    assert_no_secret(repr(settings) + repr(notifier) + str(settings), WEBHOOK_SECRETS)


def email_settings(server: SmtpServer, password: str) -> EmailSettings:
    return EmailSettings(
        name="mail",
        host=server.host,
        port=server.port,
        security="none",
        sender="wirewatch@example.org",
        to=("desk@example.org",),
        username=SMTP_USER,
        password=password,
    )


async def test_no_secret_in_email_errors_or_reprs(
    smtp_server: SmtpServer, client: httpx.AsyncClient, message: Message
) -> None:
    """A refused login names the user, not the password; reprs hide it too."""
    wrong = SMTP_PASSWORD + "-wrong"
    settings = email_settings(smtp_server, wrong)
    notifier = build_notifier(settings, client=client, clock=FixedClock())

    with pytest.raises(DeliveryError) as caught:
        await notifier.send(message)

    assert_no_secret(str(caught.value) + repr(settings) + repr(notifier), (wrong, SMTP_PASSWORD))


async def test_email_connection_errors_are_retryable_and_clean(
    client: httpx.AsyncClient, message: Message
) -> None:
    """Nothing listening: retryable, and the error text holds no password."""
    server = SmtpServer("127.0.0.1", free_port(), handler=None)  # type: ignore[arg-type]
    notifier = build_notifier(
        email_settings(server, SMTP_PASSWORD), client=client, clock=FixedClock()
    )

    with pytest.raises(DeliveryError) as caught:
        await notifier.send(message)

    assert True is caught.value.retryable
    assert_no_secret(str(caught.value), (SMTP_PASSWORD,))
