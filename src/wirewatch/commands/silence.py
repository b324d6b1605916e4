"""`wirewatch silence add|list|expire`: mute matching alerts for a while (see silences.py).

    wirewatch silence add --entity homs --for 6h --comment "covered live" [--author NAME]
    wirewatch silence add --match "tag =~ 'city|town'" --until 2024-12-08T18:00Z --comment ...
    wirewatch silence list [--all] [--json]
    wirewatch silence expire ID [ID ...]

Silences live in the database, so a running daemon (every instance, on PostgreSQL) obeys one
from its next poll on; the HTTP API (/api/silences) does the same as these commands.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from wirewatch.commands._common import local, opened_store
from wirewatch.commands.check_config import add_config_argument, config_path
from wirewatch.errors import UserError
from wirewatch.severity import SCALE

_EQUALITIES = ("watchlist", "entity", "kind", "severity", "tag", "feed")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("silence", help="mute matching alerts for a while")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add a silence; prints its id")
    for key in _EQUALITIES:
        extra: dict[str, Any] = {"choices": SCALE} if key == "severity" else {}
        if key == "kind":
            extra = {"choices": ("place", "actor")}
        add.add_argument(
            f"--{key}", action="append", default=[], help=f"alerts whose {key} is this", **extra
        )
    add.add_argument(
        "--action-kind", dest="action_kind", action="append", default=[], help="the story's action"
    )
    add.add_argument(
        "--match", action="append", default=[], metavar="EXPR", help="e.g. \"tag =~ 'a|b'\""
    )
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--for", dest="duration", metavar="DURATION", help="30m, 6h, 2d")
    when.add_argument("--until", metavar="TIME", help="an ISO 8601 time (UTC if no zone)")
    add.add_argument("--comment", required=True, help="why (shown with every muted alert)")
    add.add_argument("--author", default=None, help="who (default: your user name)")
    add_config_argument(add)
    add.set_defaults(run=run_add)
    listing = actions.add_parser("list", help="list silences in force or to come")
    listing.add_argument("--all", action="store_true", help="expired ones too")
    listing.add_argument("--json", action="store_true", help="JSON Lines")
    add_config_argument(listing)
    listing.set_defaults(run=run_list)
    expire = actions.add_parser("expire", help="end silences now")
    expire.add_argument("ids", nargs="+", metavar="ID", help="silence ids (silence list)")
    add_config_argument(expire)
    expire.set_defaults(run=run_expire)


def _matchers(args: argparse.Namespace) -> list[Any]:
    from wirewatch.delivery import matchers as m

    found = [m.make(key, "=", v) for key in _EQUALITIES for v in getattr(args, key)]
    found += [m.make("action", "=", v) for v in args.action_kind]
    return found + [m.parse(text) for text in args.match]


def _silence(args: argparse.Namespace, now: datetime, loaded: Any) -> Any:
    from wirewatch.config.durations import duration
    from wirewatch.delivery.routing import matcher_problems
    from wirewatch.delivery.silences import new_silence

    try:
        found = _matchers(args)
        problems = matcher_problems(found, loaded.known)
        if problems:
            raise ValueError(problems[0])
        return new_silence(
            found,
            now=now,
            duration=timedelta(seconds=duration(args.duration)) if args.duration else None,
            ends_at=_until(args.until) if args.until else None,
            comment=args.comment.strip(),
            author=args.author if args.author is not None else _user(),
        )
    except ValueError as e:
        raise UserError(f"silence add: {e}") from None


def _until(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--until {text!r} is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def run_add(args: argparse.Namespace) -> int:
    import asyncio

    from wirewatch.loading import load_everything

    loaded = load_everything(config_path(args))
    silence = _silence(args, datetime.now(UTC), loaded)

    async def add() -> None:
        async with opened_store(loaded) as store:
            await store.add_silence(silence)

    asyncio.run(add())
    matchers = ", ".join(map(str, silence.matchers))
    print(f"{silence.id}  {matchers}  until {local(silence.ends_at)}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    import asyncio

    from wirewatch.delivery.silences import to_json
    from wirewatch.loading import load_everything

    loaded = load_everything(config_path(args))

    async def fetch() -> list[Any]:
        async with opened_store(loaded) as store:
            return await store.list_silences()

    now = datetime.now(UTC)
    silences = [s for s in asyncio.run(fetch()) if args.all or s.state(now) != "expired"]
    for silence in silences:
        if args.json:
            print(json.dumps(to_json(silence, now), ensure_ascii=False))
            continue
        matchers = ", ".join(map(str, silence.matchers))
        print(f"{silence.id}  {silence.state(now):<8} {matchers}")
        author = silence.author or "-"
        print(f"    {local(silence.starts_at)} to {local(silence.ends_at)}  by {author}")
        print(f"    {silence.comment}")
    if not silences and not args.json:
        print("no silences" + ("" if args.all else " in force (--all shows expired ones)"))
    return 0


def run_expire(args: argparse.Namespace) -> int:
    import asyncio

    from wirewatch.loading import load_everything

    loaded = load_everything(config_path(args))

    async def expire() -> list[tuple[str, Any]]:
        now = datetime.now(UTC)
        async with opened_store(loaded) as store:
            return [(i, await store.expire_silence(i, now)) for i in args.ids]

    missing = 0
    for silence_id, found in asyncio.run(expire()):
        if found is None:
            print(f"wirewatch: no silence {silence_id!r} (silence list --all)", file=sys.stderr)
            missing += 1
        else:
            print(f"{silence_id}  expired at {local(found.ends_at)}")
    return 1 if missing else 0
