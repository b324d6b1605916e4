"""Generic webhooks against a real local receiver: Standard Webhooks signatures verified with
the reference `standardwebhooks` package, payloads validated against the JSON Schema."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from standardwebhooks import Webhook

from tests.notify.scenarios import OTHER_SECRET, SECRET, make_digest
from tests.notify.servers import Receiver
from wirewatch import USER_AGENT
from wirewatch.errors import ConfigError, DeliveryError
from wirewatch.notify import payload
from wirewatch.notify.base import Message
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings, sign, signing_key
from wirewatch.testing import FixedClock

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def real_clock() -> datetime:
    return datetime.now(UTC)


def settings_for(receiver: Receiver, **changes: object) -> WebhookSettings:
    values: dict[str, object] = {"name": "ops", "url": receiver.url, "secrets": (SECRET,)}
    return WebhookSettings(**(values | changes))  # type: ignore[arg-type]


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    """sign() reproduces the example signature published with the Standard Webhooks spec."""
    body = b'{"test": 2432232314}'

    signature = sign([signing_key(SECRET)], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)

    assert "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" == signature


@pytest.mark.integration
async def test_delivery_verifies_with_standardwebhooks_and_validates_against_the_schema(
    receiver: Receiver, client: httpx.AsyncClient, message: Message
) -> None:
    """The receiver gets a body that the reference verifier accepts and the schema allows."""
    notifier = build_notifier(settings_for(receiver), client=client, clock=real_clock)

    await notifier.send(message)

    [request] = receiver.received()
    document = Webhook(SECRET).verify(request.body, request.headers)
    jsonschema.validate(document, payload.load_schema())
    assert payload.build(message) == document
    assert "/hooks/wirewatch" == request.path


@pytest.mark.integration
async def test_every_secret_signs_so_receivers_can_rotate(
    receiver: Receiver, client: httpx.AsyncClient, message: Message
) -> None:
    """With two secrets configured, a receiver holding either one verifies the delivery."""
    settings = settings_for(receiver, secrets=(SECRET, OTHER_SECRET))
    await build_notifier(settings, client=client, clock=real_clock).send(message)

    [request] = receiver.received()

    assert 2 == len(request.headers["webhook-signature"].split(" "))
    for secret in (SECRET, OTHER_SECRET):
        Webhook(secret).verify(request.body, request.headers)


@pytest.mark.integration
async def test_headers_carry_id_timestamp_auth_and_extras(
    receiver: Receiver, client: httpx.AsyncClient, message: Message, clock: FixedClock
) -> None:
    """webhook-id is the delivery id, webhook-timestamp the clock; bearer and extras are sent."""
    settings = settings_for(receiver, bearer_token="tok-123", headers={"X-Team": "desk"})
    await build_notifier(settings, client=client, clock=clock).send(message)

    [request] = receiver.received()
    sent = {name: request.headers[name] for name in ("webhook-id", "webhook-timestamp")}

    assert {
        "webhook-id": "msg_a1_ops",
        "webhook-timestamp": str(int(clock.now.timestamp())),
    } == sent
    assert "Bearer tok-123" == request.headers["authorization"]
    assert "desk" == request.headers["x-team"]
    assert "application/json" == request.headers["content-type"]
    assert USER_AGENT == request.headers["user-agent"]


@pytest.mark.integration
async def test_a_retry_resends_the_same_id_and_body(
    receiver: Receiver, client: httpx.AsyncClient, message: Message
) -> None:
    """A 503 is retryable, and the retry carries the same webhook-id and body to dedupe on."""
    receiver.reply(503, headers={"Retry-After": "7"})
    notifier = build_notifier(settings_for(receiver), client=client, clock=real_clock)

    with pytest.raises(DeliveryError) as caught:
        await notifier.send(message)
    await notifier.send(Message(message.delivery_id, message.event, message.alerts, attempt=2))

    first, second = receiver.received()
    assert (True, 7.0) == (caught.value.retryable, caught.value.retry_after)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body


@pytest.mark.integration
async def test_digest_is_one_delivery(receiver: Receiver, client: httpx.AsyncClient) -> None:
    """Several alerts in a digest arrive as one request listing them all."""
    notifier = build_notifier(settings_for(receiver), client=client, clock=real_clock)

    await notifier.send(make_digest(4))

    [request] = receiver.received()
    document = Webhook(SECRET).verify(request.body, request.headers)
    jsonschema.validate(document, payload.load_schema())
    assert 4 == len(document["alerts"])


@pytest.mark.integration
async def test_unsigned_without_secrets(
    receiver: Receiver, client: httpx.AsyncClient, message: Message
) -> None:
    """No secret configured: id and timestamp are sent, no signature header is."""
    notifier = build_notifier(settings_for(receiver, secrets=()), client=client, clock=real_clock)

    await notifier.send(message)

    [request] = receiver.received()
    assert "webhook-signature" not in request.headers
    assert "msg_a1_ops" == json.loads(request.body)["id"]


@pytest.mark.integration
async def test_slow_receiver_times_out_retryably(
    receiver: Receiver, client: httpx.AsyncClient, message: Message
) -> None:
    """A receiver slower than `timeout` yields a retryable timeout error."""
    receiver.reply(204, delay=1.0)
    settings = settings_for(receiver, timeout=0.2)

    with pytest.raises(DeliveryError) as caught:
        await build_notifier(settings, client=client, clock=real_clock).send(message)

    assert True is caught.value.retryable
    assert "Timeout" in str(caught.value)


def test_settings_report_every_problem_at_once() -> None:
    """Bad URL, bad secret, a reserved header and a bad timeout are listed together."""
    with pytest.raises(ConfigError) as caught:
        WebhookSettings(
            name="ops",
            url="ftp://example.org/x",
            secrets=("whsec_not base64!",),
            headers={"Webhook-Id": "x"},
            timeout=0,
        )

    expected = [
        "url: needs http:// or https:// and a host, not 'ftp://example.org/x'",
        "headers: 'Webhook-Id' is set by wirewatch (use bearer_token for auth)",
        "secrets[0]: not a whsec_<base64> secret",
        "timeout: must be positive, not 0",
    ]
    assert expected == caught.value.problems


def test_unpadded_secret_is_accepted_like_the_reference_verifier() -> None:
    """A whsec_ secret without base64 padding decodes to the same key as the padded one."""
    assert signing_key(OTHER_SECRET) == signing_key(OTHER_SECRET.rstrip("="))


def docs_verify() -> Callable[[str, dict[str, str], bytes], Any]:
    """The `verify` function printed in docs/webhooks.md, executed as written."""
    text = DOCS.read_text(encoding="utf-8")
    block = next(b for b in text.split("```python\n")[1:] if "def verify(" in b)
    namespace: dict[str, Any] = {}
    exec(block.split("```")[0], namespace)
    function: Callable[[str, dict[str, str], bytes], Any] = namespace["verify"]
    return function


@pytest.mark.integration
async def test_the_verification_snippet_in_the_docs_works(
    receiver: Receiver, client: httpx.AsyncClient, message: Message
) -> None:
    """The documented stdlib verifier accepts a real delivery and rejects a tampered body."""
    verify = docs_verify()
    settings = settings_for(receiver, secrets=(OTHER_SECRET, SECRET))
    await build_notifier(settings, client=client, clock=real_clock).send(message)

    [request] = receiver.received()

    assert payload.build(message) == verify(SECRET, request.headers, request.body)
    with pytest.raises(ValueError, match="no valid signature"):
        verify(SECRET, request.headers, request.body.replace(b"Homs", b"Hama"))


@pytest.mark.integration
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_a_huge_error_body_is_read_only_up_to_its_start(
    message: Message, transport: str, tls: ssl.SSLContext
) -> None:
    """A receiver answering 500 with a body that never ends: the notifier reads the first few
    KB for its reason and hangs up, instead of reading (and holding) the whole body."""
    from tests.sites import Site, endless
    from wirewatch.notify.status import BODY_SCAN
    from wirewatch.parts import webhook_transport

    page = b"upstream exploded; " * 3449  # 65,531 bytes per chunk
    with Site("127.0.0.1") as site:
        url = site.route("/hook", endless(500, page))
        settings = WebhookSettings(name="ops", url=url, timeout=20)
        chosen = webhook_transport() if transport == "aiohttp" else None
        async with httpx.AsyncClient(transport=chosen, verify=tls) as client:
            with pytest.raises(DeliveryError) as caught:
                await build_notifier(settings, client=client, clock=real_clock).send(message)

    reason = str(caught.value)
    assert reason.startswith(f"webhook 'ops' ({url}): HTTP 500: upstream exploded; upstream")
    assert "Timeout" not in reason
    assert True is caught.value.retryable
    # What the server managed to send before the hang-up: the prefix plus socket buffers.
    assert BODY_SCAN <= site.sent < 32 * 1024 * 1024
