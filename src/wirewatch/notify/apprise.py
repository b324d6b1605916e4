"""Apprise notifiers (`type: apprise`): Telegram, Matrix, ntfy, Signal, Mattermost and the
rest of Apprise's services (`url: tgram://…`, `matrix://…`, `ntfy://…`, …), behind our outbox.

The Apprise library does the last hop; everything before it is ours: the outbox's durability
and destination health (a failed send raises a retryable `DeliveryError`, retried like any
other), the text (`render.plain_text`, with mass mentions neutralised, handed to Apprise as
plain text so that each service's converter escapes it), and redaction (the URL, its userinfo,
host and path carry the tokens, and none of them leaves in an error or a `repr`). The only
`apprise` import is here, and it is made only when an apprise notifier is configured (it takes
a fifth of a second).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal
from urllib.parse import urlsplit

from wirewatch.errors import DeliveryError
from wirewatch.notify.base import Message
from wirewatch.notify.config import Deps, UrlNotifierBase, check_settings, settings_of
from wirewatch.notify.redact import SECRET, Redactor, masked_repr, url_secrets
from wirewatch.notify.render import headline, plain_text

if TYPE_CHECKING:
    import apprise

_MENTION = re.compile(r"@(everyone|here|channel|room|all)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True, repr=False)
class AppriseSettings:
    """One `type: apprise` entry of the config's `notifiers:` section."""

    type: ClassVar[str] = "apprise"
    name: str
    url: str = field(metadata=SECRET)
    timeout: float = 10.0

    __repr__ = masked_repr

    def __post_init__(self) -> None:
        import apprise

        problems = []
        if not apprise.Apprise().add(self.url):
            problems.append(
                f"url: Apprise does not know {scheme_of(self.url)}:// URLs like this one"
            )
        check_settings(self.name, self.timeout, problems)


class AppriseConfig(UrlNotifierBase):
    """`type: apprise`: one Apprise URL (`tgram://…`, `ntfy://…`, …)."""

    type: Literal["apprise"]

    def settings(self) -> AppriseSettings:
        return settings_of(self, AppriseSettings)


def build(settings: AppriseSettings, deps: Deps) -> AppriseNotifier:
    return AppriseNotifier(settings)


def scheme_of(url: str) -> str:
    return url.partition("://")[0] or "?"


def apprise_secrets(url: str) -> tuple[str, ...]:
    """Every part of an Apprise URL that may hold a token: the URL, its network location and
    each piece of it, path segments and query values (Apprise puts tokens anywhere)."""
    rest = url.partition("://")[2]
    netloc, _, path = rest.partition("/")
    pieces = [url, netloc, *re.split(r"[:@]", netloc), *path.split("?")[0].split("/")]
    pieces += list(url_secrets(url))
    pieces += [v for pair in urlsplit(url).query.split("&") for v in [pair.partition("=")[2]]]
    return tuple(p for p in pieces if len(p) >= 4)


def neutralise(text: str) -> str:
    """Mass mentions (`@everyone`, `@here`, `@channel`, `@room`) get a zero-width space."""
    return _MENTION.sub("@\u200b\\1", text)


class AppriseNotifier:
    """Sends each message through one Apprise URL."""

    def __init__(self, settings: AppriseSettings) -> None:
        import apprise

        self.name = settings.name
        self._settings = settings
        self._apprise = apprise.Apprise()
        self._apprise.add(settings.url)
        self._redact = Redactor(apprise_secrets(settings.url))
        self._where = f"apprise {settings.name!r} ({scheme_of(settings.url)}://***)"

    def __repr__(self) -> str:
        return f"AppriseNotifier({self._settings!r})"

    async def send(self, message: Message) -> None:
        import apprise

        try:
            async with asyncio.timeout(self._settings.timeout + 1):
                result = await self._apprise.async_notify(
                    body=neutralise(plain_text(message)),
                    title=neutralise(headline(message)),
                    body_format=apprise.NotifyFormat.TEXT,
                    timeout=self._settings.timeout,
                    log_level=logging.WARNING,
                )
        except TimeoutError:
            raise DeliveryError(
                f"{self._where}: no answer within {self._settings.timeout:g} s", retryable=True
            ) from None
        if not result:
            raise DeliveryError(
                self._redact(f"{self._where}: {self._reason(result)}"), retryable=True
            )

    @staticmethod
    def _reason(result: apprise.AppriseResult) -> str:
        lines = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
        return "; ".join(dict.fromkeys(lines)) or f"the service refused it ({result.status!r})"
