"""From settings to notifiers: the one place that knows every notifier type and webhook format.

A new webhook format is a module exporting `FORMAT` plus one line in `FORMATS`; a new notifier
type is a module with its settings class plus one line in `build_notifier`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import httpx

from wirewatch.errors import ConfigError
from wirewatch.notify import discord, payload, slack, teams
from wirewatch.notify.base import Clock, Notifier
from wirewatch.notify.email import EmailNotifier, EmailSettings
from wirewatch.notify.webhook import WebhookFormat, WebhookNotifier, WebhookSettings

FORMATS: dict[str, WebhookFormat] = {
    payload.FORMAT.name: payload.FORMAT,
    slack.FORMAT.name: slack.FORMAT,
    discord.FORMAT.name: discord.FORMAT,
    teams.FORMAT.name: teams.FORMAT,
}

if TYPE_CHECKING:
    from wirewatch.notify.apprise import AppriseSettings

NotifierSettings: TypeAlias = "WebhookSettings | EmailSettings | AppriseSettings"


def build_notifier(
    settings: NotifierSettings,
    *,
    client: httpx.AsyncClient,
    clock: Clock,
    payloads: payload.Payloads = payload.DEFAULT,
) -> Notifier:
    """Return the notifier `settings` describe; `client` serves every webhook notifier, and
    `payloads` builds `format: json` bodies (the config's cap, the watchlists' places)."""
    if isinstance(settings, EmailSettings):
        return EmailNotifier(settings, clock=clock)
    if not isinstance(settings, WebhookSettings):  # apprise: imported only when configured
        from wirewatch.notify.apprise import AppriseNotifier

        return AppriseNotifier(settings)
    fmt = webhook_format(settings, payloads)
    return WebhookNotifier(settings, fmt, client=client, clock=clock)


def webhook_format(
    settings: WebhookSettings, payloads: payload.Payloads = payload.DEFAULT
) -> WebhookFormat:
    if settings.format == payload.FORMAT.name:
        return payloads.format()
    try:
        return FORMATS[settings.format]
    except KeyError:
        known = ", ".join(FORMATS)
        problem = f"format: {settings.format!r} is not one of {known}"
        raise ConfigError(f"notifier {settings.name!r}", [problem]) from None
