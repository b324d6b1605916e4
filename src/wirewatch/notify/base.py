"""What every notifier is: the `Message` it is handed and the `Notifier` protocol it meets.

The dispatcher builds one `Message` per outbox row and calls `Notifier.send`. A notifier either
returns (delivered) or raises `DeliveryError`, whose `retryable`, `retry_after` and `disable`
tell the dispatcher what to do next. Notifiers never retry, sleep or log on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from wirewatch.model import EVENTS, Alert, Clock, Event

__all__ = ["EVENTS", "Clock", "Event", "Message", "Notifier", "delivery_id"]


def delivery_id(alert_id: str, notifier: str) -> str:
    """Return the stable id of one alert's delivery to one notifier (the `webhook-id`)."""
    return f"msg_{alert_id}_{notifier}"


@dataclass(frozen=True, slots=True)
class Message:
    """One delivery as the dispatcher hands it over.

    `delivery_id` stays the same across retries, so receivers can drop repeats by it.
    `alerts` holds one alert, or several for an `alert.digest`.
    """

    delivery_id: str
    event: Event
    alerts: tuple[Alert, ...]
    attempt: int = 1

    def __post_init__(self) -> None:
        if not self.alerts:
            raise ValueError("a Message needs at least one alert")
        if self.event not in EVENTS:
            raise ValueError(f"unknown event {self.event!r}; expected one of {EVENTS}")
        if self.event != "alert.digest" and len(self.alerts) != 1:
            raise ValueError(f"{self.event} carries exactly one alert, not {len(self.alerts)}")

    @property
    def is_digest(self) -> bool:
        return self.event == "alert.digest"


class Notifier(Protocol):
    """Delivers messages to one configured destination."""

    name: str

    async def send(self, message: Message) -> None:
        """Deliver `message` or raise `DeliveryError` saying whether to retry."""
        ...
