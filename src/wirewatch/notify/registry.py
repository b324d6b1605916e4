"""From config to notifiers: the one place that knows every notifier type and webhook format.

A notifier type is a module with its config model (a `NotifierBase` with `type: Literal[...]`)
and a factory `build(settings, deps) -> Notifier`, plus one `register(...)` line below; the
config's `notifiers:` list is the union of the registered models, discriminated by `type`
(`NotifierConfig`), so each type rejects the keys it does not read. A webhook format is a module
exporting `FORMAT` plus one line in `FORMATS` (and its name in `WebhookConfig.format`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args

import httpx
from pydantic import GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

from wirewatch.errors import ConfigError
from wirewatch.notify import apprise, console, discord, email, payload, slack, teams
from wirewatch.notify.base import Clock, Notifier
from wirewatch.notify.config import Deps, NotifierBase, NotifierSettings
from wirewatch.notify.webhook import WebhookConfig, WebhookFormat, WebhookNotifier, WebhookSettings

FORMATS: dict[str, WebhookFormat] = {
    payload.FORMAT.name: payload.FORMAT,
    slack.FORMAT.name: slack.FORMAT,
    discord.FORMAT.name: discord.FORMAT,
    teams.FORMAT.name: teams.FORMAT,
}

Factory = Callable[[Any, Deps], Notifier]
"""Builds a notifier from what its config model's `settings()` returned."""


@dataclass(frozen=True, slots=True)
class NotifierType:
    """One registered type: its config model and its factory."""

    config: type[NotifierBase]
    build: Factory


TYPES: dict[str, NotifierType] = {}


def register(config: type[NotifierBase], build: Factory) -> None:
    """Add a notifier type, named by the `Literal` of its model's `type` field."""
    tags = get_args(config.model_fields["type"].annotation)
    if not tags:
        raise TypeError(f"{config.__name__}.type must be a Literal of the type's name")
    for tag in tags:
        TYPES[tag] = NotifierType(config, build)


def webhook_notifier(settings: WebhookSettings, deps: Deps) -> WebhookNotifier:
    fmt = webhook_format(settings, deps.payloads)
    return WebhookNotifier(settings, fmt, client=deps.client, clock=deps.clock)


register(WebhookConfig, webhook_notifier)
register(email.EmailConfig, email.build)
register(console.ConsoleConfig, console.build)
register(apprise.AppriseConfig, apprise.build)


class _Registered:
    """Pydantic metadata: the union of the registered models, discriminated by `type`.

    Built when a model that uses it builds its schema, so a type registered before then (in
    tests: before `model_rebuild`) is part of it; `models` lets error messages see inside."""

    @property
    def models(self) -> tuple[type[NotifierBase], ...]:
        return tuple(dict.fromkeys(t.config for t in TYPES.values()))

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        choices = {tag: handler.generate_schema(t.config) for tag, t in TYPES.items()}
        return core_schema.tagged_union_schema(choices, discriminator="type")


NotifierConfig = Annotated[NotifierBase, _Registered()]
"""One entry of the config's `notifiers:` list: the model its `type` names."""


def build_notifier(
    settings: NotifierSettings,
    *,
    client: httpx.AsyncClient,
    clock: Clock,
    payloads: payload.Payloads = payload.DEFAULT,
) -> Notifier:
    """Return the notifier `settings` (a config model's `settings()`) describe; `client` serves
    every webhook notifier, and `payloads` builds `format: json` bodies (the config's cap, the
    watchlists' places)."""
    return TYPES[settings.type].build(settings, Deps(client, clock, payloads))


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
