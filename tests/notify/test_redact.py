"""Secrets never show in text: redact(), redact_url() and the settings' repr()."""

from __future__ import annotations

import pytest

from wirewatch.notify.email import EmailSettings
from wirewatch.notify.redact import Redactor, redact, redact_url, url_secrets
from wirewatch.notify.webhook import WebhookSettings

SLACK = "https://hooks.slack.com/services/T0001/B0002/XXXXxxxxXXXXxxxx"
DISCORD = "https://discord.com/api/webhooks/1234567890/abcDEF-token_value"
TEAMS = (
    "https://prod-01.westus.logic.azure.com:443/workflows/0a1b2c3d4e5f/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S3cr3tSigValue"
)


def test_redact_replaces_every_occurrence_of_each_secret() -> None:
    """Each secret is masked wherever it appears; longer secrets first, so no fragment is left."""
    text = "token abc123 and abc123456 again abc123"

    assert "token *** and *** again ***" == redact(text, ["abc123", "abc123456"])


def test_redact_ignores_empty_secrets() -> None:
    """An empty or missing secret masks nothing."""
    assert "plain text" == redact("plain text", ["", ""])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (SLACK, "https://hooks.slack.com/services/***/***/***"),
        (DISCORD, "https://discord.com/api/webhooks/***/***"),
        (
            TEAMS,
            "https://prod-01.westus.logic.azure.com:443/workflows/***/triggers/manual/paths/"
            "invoke?api-version=***&sp=***&sv=***&sig=***",
        ),
        (
            "https://user:hunter2@example.org/hook?token=t0k3n",
            "https://***@example.org/hook?token=***",
        ),
        ("https://example.org/wirewatch", "https://example.org/wirewatch"),
    ],
)
def test_redact_url_masks_tokens_userinfo_and_query_values(url: str, expected: str) -> None:
    """Path tokens, query values and userinfo become ***; plain words and the host stay."""
    assert expected == redact_url(url)


def test_url_secrets_cover_what_redact_url_hides() -> None:
    """Masking a URL's secrets in free text leaves none of its tokens readable."""
    text = f"failed to reach {SLACK} (token XXXXxxxxXXXXxxxx)"

    redacted = Redactor(url_secrets(SLACK))(text)

    assert "XXXXxxxxXXXXxxxx" not in redacted
    assert "failed to reach *** (token ***)" == redacted


def test_webhook_settings_repr_hides_url_tokens_secrets_bearer_and_header_values() -> None:
    """repr() shows the shape of the settings but none of their secrets."""
    settings = WebhookSettings(
        name="ops",
        url=SLACK,
        format="slack",
        secrets=("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",),
        headers={"X-Api-Key": "key-0123456789"},
        bearer_token="bearer-0123456789",
    )

    expected = (
        "WebhookSettings(name='ops', url='https://hooks.slack.com/services/***/***/***', "
        "format='slack', secrets=('***',), headers={'X-Api-Key': '***'}, "
        "bearer_token='***', timeout=10.0)"
    )
    assert expected == repr(settings)


def test_email_settings_repr_hides_the_password() -> None:
    """The SMTP password is shown as *** and the rest as configured."""
    settings = EmailSettings(
        name="mail",
        host="smtp.example.org",
        sender="wirewatch@example.org",
        to=("desk@example.org",),
        username="alerts",
        password="pa55-w0rd",
    )

    assert "pa55-w0rd" not in repr(settings)
    assert "password='***'" in repr(settings)
