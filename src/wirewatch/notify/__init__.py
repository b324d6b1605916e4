"""Notifiers: render a `Message` for one destination and deliver it, or say why not.

base.py      Message, Notifier protocol, Clock
config.py    NotifierBase: the config keys every notifier type shares
render.py    format-neutral views (headline, snippet, facts)
payload.py   the generic JSON payload v1 and its JSON Schema
slack.py, discord.py, teams.py   chat formats
webhook.py   HTTP delivery with Standard Webhooks signatures (`type: webhook`)
status.py    HTTP status -> delivered / retry / give up / disable
email.py     SMTP delivery (aiosmtplib, `type: email`)
console.py   JSON Lines on stdout (`type: console`)
apprise.py   Apprise's services (`type: apprise`)
redact.py    secrets out of errors, reprs and logs
registry.py  every type and format: the config union, settings -> notifier
(wirewatch.testing holds the fakes: a recording notifier, a fixed clock)
"""

from wirewatch.notify.base import Clock, Event, Message, Notifier, delivery_id
from wirewatch.notify.config import NotifierSettings
from wirewatch.notify.email import EmailSettings
from wirewatch.notify.registry import FORMATS, build_notifier
from wirewatch.notify.webhook import WebhookSettings

__all__ = [
    "FORMATS",
    "Clock",
    "EmailSettings",
    "Event",
    "Message",
    "Notifier",
    "NotifierSettings",
    "WebhookSettings",
    "build_notifier",
    "delivery_id",
]
