"""`wirewatch deliveries`: list outbox rows, and `wirewatch deliveries retry` to requeue them.

    wirewatch deliveries [--state pending|held|failed|dead|delivered|all] [--notifier NAME]
                         [--json] [--limit N]
    wirewatch deliveries retry ID [ID ...]     requeue these (dead or failed) rows
    wirewatch deliveries retry --dead|--failed [--notifier NAME]
                                               requeue every dead (or failed) row
    wirewatch deliveries --health [--json]     delivery health by notifier (as /api/notifiers)

Without `--state`, every row not yet delivered is listed. `tries` is how often a row was sent;
rows that are final (delivered, dead) show no due time; `held` is a pending row waiting for a
digest or the rate limit, with the reason in the last column; the last error shows only while
a row is failed or dead, in full. Secrets of the configured notifiers are masked (they are
masked when stored, too). Requeuing a notifier's rows also probes it at once if it was failing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from wirewatch.commands.check_config import add_config_argument, config_path

if TYPE_CHECKING:
    from wirewatch.config.settings import Config
    from wirewatch.storage import DeliveryRecord, Store

STATES = ("pending", "held", "failed", "dead", "delivered", "all")
OPEN_STATES = ("pending", "failed", "dead")
HELD = "held "
"""How the notes of postponed rows start (see dispatch.py)."""
_WHERE = re.compile(r"^[a-z]+ '[^']*'(?: \([^)]*\))?: ")
"""The `webhook 'name' (url): ` prefix of an error, which the table's columns already say."""


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
    parser.add_argument("--notifier", metavar="NAME", help="only this notifier's rows")
    parser.add_argument(
        "--health", action="store_true", help="one line per notifier: state, queue, oldest, error"
    )
    parser.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    parser.add_argument("--limit", type=int, default=1000, help="at most N rows (default 1000)")
    add_config_argument(parser)
    parser.set_defaults(run=run, ids=None, dead=False, failed=False)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    retry = actions.add_parser(
        "retry", help="requeue dead or failed deliveries: IDs, or --dead for every dead one"
    )
    retry.add_argument("ids", nargs="*", metavar="ID", help="delivery ids to requeue")
    retry.add_argument("--dead", action="store_true", help="requeue every dead delivery")
    retry.add_argument("--failed", action="store_true", help="requeue every failed delivery")
    retry.add_argument(
        "--notifier", default=argparse.SUPPRESS, metavar="NAME", help="only this notifier's rows"
    )
    retry.add_argument("--config", default=argparse.SUPPRESS, metavar="FILE", help="config file")


def run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.config.settings import load_config
    from wirewatch.errors import UserError

    bulk = args.dead or args.failed
    if args.action == "retry" and bool(args.ids) == bool(bulk):
        raise UserError("deliveries retry: give delivery IDs, or --dead and/or --failed")
    if args.action == "retry" and args.ids and args.notifier:
        raise UserError("deliveries retry: --notifier goes with --dead or --failed, not IDs")
    config = load_config(config_path(args))
    return asyncio.run(_run(args, config))


async def _run(args: argparse.Namespace, config: Config) -> int:
    from wirewatch.parts import open_store

    store = open_store(config)
    await store.open()
    try:
        await store.migrate()
        if args.action == "retry":
            return await _retry(store, args)
        if args.health:
            return await _health(store, config, args.json)
        rows = await _rows(store, args.state, args.limit, args.notifier)
    finally:
        await store.close()
    show = _redactor(config)
    (_print_json if args.json else _print_table)(rows, sys.stdout, show)
    return 0


async def _rows(
    store: Store, state: str | None, limit: int, notifier: str | None
) -> list[DeliveryRecord]:
    from wirewatch.storage import DeliveryState

    rows: list[DeliveryRecord] = []
    if state == "all":
        rows = await store.list_deliveries(None, limit=limit)
    else:
        stored = "pending" if state == "held" else state
        for name in (stored,) if stored else OPEN_STATES:
            rows += await store.list_deliveries(DeliveryState(name), limit=limit)
    if state in ("held", "pending"):
        rows = [r for r in rows if (shown_state(r) == state)]
    if notifier is not None:
        rows = [r for r in rows if r.notifier == notifier]
    return sorted(rows, key=lambda r: (r.created_at, r.id))[:limit]


async def _retry(store: Store, args: argparse.Namespace) -> int:
    from wirewatch.model import utc_now
    from wirewatch.storage import DeliveryState

    now = utc_now()
    if args.ids:
        count = await store.requeue(now, args.ids)
        print(f"requeued {count} of {len(args.ids)} deliveries")
        if count < len(args.ids):
            print("  the others are unknown, pending or delivered", file=sys.stderr)
            return 1
        return 0
    states = [
        s for s, on in ((DeliveryState.DEAD, args.dead), (DeliveryState.FAILED, args.failed)) if on
    ]
    count = await store.requeue(now, states=states, notifier=args.notifier)
    await _probe_now(store, args.notifier, now)
    which = " or ".join(s.value for s in states)
    of = f" of {args.notifier!r}" if args.notifier else ""
    print(f"requeued {count} {which} deliveries{of}")
    return 0


async def _health(store: Store, config: Config, as_json: bool) -> int:
    from wirewatch.delivery.destinations import read_destinations
    from wirewatch.model import utc_now

    names = [n.name for n in config.notifiers] or ["console"]
    found = (await read_destinations(store, names, utc_now())).values()
    show = _redactor(config)
    for d in found:
        if as_json:
            print(
                json.dumps(d.as_json() | {"last_error": _masked(d.last_error, show)}, default=str)
            )
            continue
        oldest = (
            f"{d.oldest_pending_seconds:.0f} s" if d.oldest_pending_seconds is not None else "-"
        )
        probe = f" next probe {_short(d.next_probe)}" if d.next_probe else ""
        error = f"  last error: {_masked(d.last_error, show)}" if d.last_error else ""
        print(
            f"{d.notifier:<16} {d.state:<12} queued {d.queued:>5}  dead {d.dead:>5}  "
            f"oldest {oldest}{probe}{error}"
        )
    return 0


def _masked(text: str | None, show: Callable[[str], str]) -> str | None:
    return show(text) if text else None


async def _probe_now(store: Store, notifier: str | None, now: datetime) -> None:
    """A failing destination whose rows are requeued is probed at once, not at its next probe."""
    from dataclasses import replace

    for health in await store.notifier_health():
        if health.failing and notifier in (None, health.notifier):
            await store.save_notifier_health(replace(health, probe_at=now, updated_at=now))


def _redactor(config: Config) -> Callable[[str], str]:
    """Masks every secret any configured notifier holds."""
    from wirewatch.loading import notifier_settings
    from wirewatch.notify.redact import Redactor, secrets_of

    secrets: list[str] = []
    for notifier in config.notifiers:
        secrets += secrets_of(notifier_settings(notifier))
    return Redactor(secrets)


def shown_state(row: DeliveryRecord) -> str:
    """The stored state, except that a pending row postponed on purpose shows as `held`."""
    held = row.state.value == "pending" and (row.last_error or "").startswith(HELD)
    return "held" if held else row.state.value


def _final(row: DeliveryRecord) -> bool:
    return row.state.value in ("delivered", "dead")


def _reason(row: DeliveryRecord, show: Callable[[str], str]) -> str | None:
    """What the last column says: the error of a failed or dead row, a held row's note."""
    if row.last_error is None or row.state.value in ("delivered",):
        return None
    if row.state.value == "pending" and shown_state(row) != "held":
        return None
    return show(row.last_error)


def _record(row: DeliveryRecord, show: Callable[[str], str]) -> dict[str, Any]:
    return {
        "id": row.id,
        "notifier": row.notifier,
        "event": row.event,
        "state": shown_state(row),
        "attempts": row.attempts,
        "created_at": _iso(row.created_at),
        "due_at": None if _final(row) else _iso(row.due_at),
        "delivered_at": _iso(row.delivered_at),
        "last_error": _reason(row, show),
        "digest_id": row.digest_id,
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
        f"{'due':<20} last error / note\n"
    )
    for r in rows:
        text = _reason(r, show)
        reason = _WHERE.sub("", " ".join(text.split())) if text else "-"
        due = "-" if _final(r) else _short(r.due_at)
        out.write(
            f"{_cut(r.id, width):<{width}}  {_cut(r.notifier, 12):<12} {r.event:<13} "
            f"{shown_state(r):<9} {r.attempts:>5}  {due:<20} {reason}\n"
        )
    out.write(f"\n{len(rows)} deliveries\n")


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
