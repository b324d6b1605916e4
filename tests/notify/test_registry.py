"""Settings become notifiers in one place; the fakes for dispatcher tests behave."""

from __future__ import annotations

import httpx
import pytest

from tests.notify.scenarios import make_alert
from wirewatch.errors import ConfigError, DeliveryError
from wirewatch.notify import FORMATS, EmailSettings, Message, WebhookSettings, build_notifier
from wirewatch.notify.email import EmailNotifier
from wirewatch.notify.webhook import WebhookNotifier
from wirewatch.testing import FixedClock, RecordingNotifier


def test_every_format_is_registered() -> None:
    """The registry knows the four webhook formats by name."""
    assert ["discord", "json", "slack", "teams"] == sorted(FORMATS)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_webhook_settings_build_a_webhook_notifier(client: httpx.AsyncClient, fmt: str) -> None:
    """Each format builds a webhook notifier named after its settings."""
    settings = WebhookSettings(name=f"hook-{fmt}", url="https://example.org/h", format=fmt)

    notifier = build_notifier(settings, client=client, clock=FixedClock())

    assert (WebhookNotifier, f"hook-{fmt}") == (type(notifier), notifier.name)


def test_email_settings_build_an_email_notifier(client: httpx.AsyncClient) -> None:
    """Email settings build the SMTP notifier."""
    settings = EmailSettings(name="mail", host="smtp.example.org", sender="a@b.c", to=("d@e.f",))

    notifier = build_notifier(settings, client=client, clock=FixedClock())

    assert (EmailNotifier, "mail") == (type(notifier), notifier.name)


def test_unknown_format_is_a_config_error(client: httpx.AsyncClient) -> None:
    """A format nobody registered fails with the list of known ones."""
    settings = WebhookSettings(name="x", url="https://example.org/h", format="msn")

    with pytest.raises(ConfigError) as caught:
        build_notifier(settings, client=client, clock=FixedClock())

    assert ["format: 'msn' is not one of json, slack, discord, teams"] == caught.value.problems


def test_message_rejects_several_alerts_outside_a_digest() -> None:
    """Only an alert.digest may carry more than one alert."""
    alerts = (make_alert(1), make_alert(2))

    with pytest.raises(ValueError, match="exactly one alert"):
        Message("msg_x", "alert.created", alerts)


async def test_recording_notifier_fails_as_told_then_records() -> None:
    """The fake raises queued errors first, then records deliveries."""
    error = DeliveryError("down", retryable=True)
    notifier = RecordingNotifier("fake", failures=[error])
    message = Message("msg_a1_fake", "alert.created", (make_alert(),))

    with pytest.raises(DeliveryError):
        await notifier.send(message)
    await notifier.send(message)

    assert ([message, message], [message]) == (notifier.attempts, notifier.sent)
