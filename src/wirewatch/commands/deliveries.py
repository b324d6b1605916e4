"""`wirewatch deliveries`: list outbox rows, and `wirewatch deliveries retry` to requeue them.

    wirewatch deliveries [--state pending|failed|dead|delivered|all] [--json] [--limit N]
    wirewatch deliveries retry ID [ID ...]     requeue these (dead or failed) rows
    wirewatch deliveries retry --dead          requeue every dead row

Without `--state`, every row not yet delivered is listed. Errors are shown with every secret
of the configured notifiers masked (they are masked when stored, too).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from wirewatch.commands.check_config import add_config_argument, config_path

if TYPE_CHECKING:
    from wirewatch.config import Config
    from wirewatch.storage import DeliveryRecord, Store

STATES = ("pending", "failed", "dead", "delivered", "all")
OPEN_STATES = ("pending", "failed", "dead")
ERROR_WIDTH = 60


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "deliveries",
        help="list outbox deliveries; `deliveries retry` requeues them",
        description=(
            "List outbox deliveries (default: every row not yet delivered), or requeue them "
            "with the optional `retry` action."
        ),
        epilog="Requeue with `wirewatch deliveries retry ID...` or `... retry --dead`.",
    )
    parser.add_argument(
        "--state", choices=STATES, default=None, help="only rows in this state (all: every row)"
    )
    parser.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    parser.add_argument("--limit", type=int, default=1000, help="at most N rows (default 1000)")
    add_config_argument(parser)
    parser.set_defaults(run=run, ids=None, dead=False)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    retry = actions.add_parser(
        "retry", help="requeue dead or failed deliveries: IDs, or --dead for every dead one"
    )
    retry.add_argument("ids", nargs="*", metavar="ID", help="delivery ids to requeue")
    retry.add_argument("--dead", action="store_true", help="requeue every dead delivery")
    retry.add_argument("--config", default=argparse.SUPPRESS, metavar="FILE", help="config file")


def run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.config import load_config
    from wirewatch.errors import UserError

    if args.action == "retry" and bool(args.ids) == bool(args.dead):
        raise UserError("deliveries retry: give delivery IDs or --dead (not both)")
    config = load_config(config_path(args))
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    from wirewatch.app import open_store

    store = open_store(config)
    await store.open()
    try:
        await store.migrate()
        if args.action == "retry":
            return await _retry(store, args.ids or None)
        rows = await _rows(store, args.state, args.limit)
    finally:
        await store.close()
    show = _redactor(config)
    (_print_json if args.json else _print_table)(rows, sys.stdout, show)
    return 0


async def _rows(store: Store, state: str | None, limit: int) -> list[DeliveryRecord]:
    from wirewatch.storage import DeliveryState

    if state == "all":
        return await store.list_deliveries(None, limit=limit)
    rows: list[DeliveryRecord] = []
    for name in (state,) if state else OPEN_STATES:
        rows += await store.list_deliveries(DeliveryState(name), limit=limit)
    return sorted(rows, key=lambda r: (r.created_at, r.id))[:limit]


async def _retry(store: Store, ids: Sequence[str] | None) -> int:
    from wirewatch.app import utc_now

    count = await store.requeue(utc_now(), ids)
    if ids is None:
        print(f"requeued {count} dead deliveries")
        return 0
    print(f"requeued {count} of {len(ids)} deliveries")
    if count < len(ids):
        print("  the others are unknown, pending or delivered", file=sys.stderr)
        return 1
    return 0


def _redactor(config: Config) -> Callable[[str], str]:
    """Masks every secret any configured notifier holds."""
    from wirewatch.app import notifier_settings
    from wirewatch.config import NotifierConfig
    from wirewatch.notify.redact import Redactor, secrets_of

    secrets: list[str] = []
    for notifier in config.notifiers:
        settings = notifier_settings(notifier)
        if not isinstance(settings, NotifierConfig):
            secrets += secrets_of(settings)
    return Redactor(secrets)


def _record(row: DeliveryRecord, show: Callable[[str], str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "notifier": row.notifier,
        "event": row.event,
        "state": row.state.value,
        "attempts": row.attempts,
        "created_at": _iso(row.created_at),
        "due_at": _iso(row.due_at),
        "delivered_at": _iso(row.delivered_at),
        "last_error": show(row.last_error) if row.last_error else None,
        "alert_id": row.alert_id,
        "title": row.alert.item.title,
    }


def _print_json(rows: Sequence[DeliveryRecord], out: IO[str], show: Callable[[str], str]) -> None:
    for row in rows:
        out.write(json.dumps(_record(row, show), ensure_ascii=False) + "\n")


def _print_table(rows: Sequence[DeliveryRecord], out: IO[str], show: Callable[[str], str]) -> None:
    if not rows:
        out.write("no deliveries\n")
        return
    width = min(max(len(r.id) for r in rows), 48)
    out.write(
        f"{'id':<{width}}  {'notifier':<12} {'event':<13} {'state':<9} {'tries':>5}  "
        f"{'due':<20} last error\n"
    )
    for r in rows:
        error = _cut(show(r.last_error or "-"), ERROR_WIDTH)
        out.write(
            f"{_cut(r.id, width):<{width}}  {_cut(r.notifier, 12):<12} {r.event:<13} "
            f"{r.state.value:<9} {r.attempts:>5}  {_short(r.due_at):<20} {error}\n"
        )
    out.write(f"\n{len(rows)} deliveries\n")


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
