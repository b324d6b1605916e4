"""`wirewatch notify test NAME`: send a clearly marked test message to one notifier.

The message goes through the real path (the notifier's format, signature and headers, its
URL and timeout) but not through the outbox: it is sent once, without retries, and the
receiver's answer is printed. Exit 0 when it was accepted, 1 when it was not, 2 when there is
no notifier of that name.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from wirewatch.commands.check_config import add_config_argument, config_path

if TYPE_CHECKING:
    from wirewatch.notify.base import Message

TEST_TITLE = "wirewatch test message: please ignore"


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "notify", help="check a notifier: `notify test NAME` sends it a test message"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    test = actions.add_parser("test", help="send one clearly marked test message, no retries")
    test.add_argument("name", metavar="NAME", help="a notifier's name from the config")
    add_config_argument(test)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from wirewatch.errors import UserError
    from wirewatch.loading import load_everything

    loaded = load_everything(config_path(args))
    names = [n.name for n in loaded.config.notifiers] or ["console"]
    if args.name not in names:
        raise UserError(
            f"notify test: no notifier named {args.name!r}; configured: {', '.join(names)}"
        )
    return asyncio.run(_send(loaded, args.name))


async def _send(loaded: Any, name: str) -> int:
    import httpx

    from wirewatch import parts
    from wirewatch.errors import DeliveryError
    from wirewatch.model import utc_now

    answers: list[httpx.Response] = []

    async def note(response: httpx.Response) -> None:
        answers.append(response)

    async with httpx.AsyncClient(
        follow_redirects=False,
        transport=parts.webhook_transport(),
        event_hooks={"response": [note]},
    ) as client:
        notifiers, _ = parts.build_notifiers(loaded, client=client)
        message = test_message(name, utc_now())
        try:
            await notifiers[name].send(message)
        except DeliveryError as e:
            print(f"{name}: not accepted: {e}")
            return 1
    answer = f"HTTP {answers[-1].status_code}" if answers else "accepted"
    print(f"{name}: test message {message.delivery_id} sent; the receiver answered {answer}")
    return 0


def test_message(notifier: str, now: datetime) -> Message:
    """One alert, marked as a test in its title, watchlist and ids."""
    from wirewatch.model import Alert, FeedItem, Source
    from wirewatch.notify.base import Message

    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    item = FeedItem(
        id=f"test-{stamp}",
        feed="wirewatch",
        title=TEST_TITLE,
        summary=f"A test of the notifier {notifier!r}, sent by `wirewatch notify test`.",
        published=now,
    )
    alert = Alert(
        id=f"test_{stamp}",
        story_id=f"test_{stamp}",
        watchlist="test",
        event="alert.created",
        created_at=now,
        item=item,
        matches=(),
        sources=(Source("wirewatch", item.id, item.title, "", now, now, "wirewatch test"),),
        tags=("test",),
        feed_name="wirewatch test",
    )
    return Message(f"msg_test_{stamp}_{notifier}", "alert.created", (alert,))
