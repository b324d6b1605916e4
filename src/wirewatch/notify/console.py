"""The `console` notifier: each alert as one JSON line on stdout, for when none is configured.

Each line is the generic webhook payload (`payload.Payloads.build`, version 1) of one alert,
within `limits.payload_bytes`. A digest becomes one line per alert, each with its own row's
delivery id (`msg_<alert>_<notifier>`), so a reader that drops repeats by `id` keeps every
alert. Logs go to stderr, never here.
"""

from __future__ import annotations

import sys
from typing import Literal, TextIO

from wirewatch.errors import DeliveryError
from wirewatch.notify import payload
from wirewatch.notify.base import Message, delivery_id
from wirewatch.notify.config import Deps, NotifierBase


class ConsoleConfig(NotifierBase):
    """`type: console`: nothing to set but the shared keys."""

    type: Literal["console"]


def build(settings: ConsoleConfig, deps: Deps) -> ConsoleNotifier:
    return ConsoleNotifier(settings.name, payloads=deps.payloads)


class ConsoleNotifier:
    """Writes JSON Lines to `stream` (default: the current `sys.stdout`)."""

    def __init__(
        self,
        name: str = "console",
        stream: TextIO | None = None,
        payloads: payload.Payloads = payload.DEFAULT,
    ) -> None:
        self.name = name
        self._stream = stream
        self._payloads = payloads

    def __repr__(self) -> str:
        return f"ConsoleNotifier(name={self.name!r})"

    async def send(self, message: Message) -> None:
        stream = self._stream or sys.stdout
        try:
            stream.write("".join(self._line(m) for m in self._singles(message)))
            stream.flush()
        except (OSError, ValueError) as e:  # a closed pipe or stream
            reason = f"console {self.name!r}: cannot write to stdout: {type(e).__name__}"
            raise DeliveryError(reason, retryable=True) from e

    def _singles(self, message: Message) -> tuple[Message, ...]:
        if not message.is_digest:
            return (message,)
        return tuple(
            Message(delivery_id(a.id, self.name), a.event, (a,), message.attempt)
            for a in message.alerts
        )

    def _line(self, message: Message) -> str:
        return self._payloads.encoded(message).decode() + "\n"
