"""`wirewatch backtest`: what a candidate watchlist would change on the stored items."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import IO, Any

from wirewatch.commands._common import opened_store, since_arg
from wirewatch.commands.check_config import add_config_argument, config_path


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backtest", help="re-classify stored items with a candidate watchlist and compare"
    )
    parser.add_argument(
        "--watchlist", required=True, metavar="CANDIDATE.yaml", help="the watchlist to try"
    )
    parser.add_argument("--since", type=since_arg, default="7d", help="7d, 48h or an ISO time")
    parser.add_argument("--json", action="store_true", help="one JSON line per changed item")
    add_config_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.loading import load_everything
    from wirewatch.match.classifier import Matcher
    from wirewatch.match.watchlist import load_watchlist

    loaded = load_everything(config_path(args))
    candidate = Matcher(load_watchlist(args.watchlist))
    current = loaded.matchers.get(candidate.watchlist.name)

    async def items() -> list[Any]:
        async with opened_store(loaded) as store:
            return await store.stored_items(args.since)

    stored = asyncio.run(items())
    changes = [c for c in (_compare(s.item, current, candidate) for s in stored) if c]
    (_json if args.json else _report)(changes, len(stored), current is not None, sys.stdout)
    return 0


def _compare(item: Any, current: Any, candidate: Any) -> dict[str, Any] | None:
    new = candidate.classify(item)
    old = current.classify(item) if current else None
    was, now = bool(old and old.alert), new.alert
    old_entities = set(old.entities) if old else set()
    if was == now and (not now or old_entities == set(new.entities)):
        return None
    return {
        "id": item.id,
        "feed": item.feed,
        "title": item.title,
        "url": item.url,
        "change": "gained" if now and not was else "lost" if was and not now else "changed",
        "entities_added": sorted(set(new.entities) - old_entities),
        "entities_removed": sorted(old_entities - set(new.entities)),
    }


def _json(changes: list[dict[str, Any]], total: int, compared: bool, out: IO[str]) -> None:
    for change in changes:
        out.write(json.dumps(change, ensure_ascii=False) + "\n")


def _report(changes: list[dict[str, Any]], total: int, compared: bool, out: IO[str]) -> None:
    base = "the configured watchlist of the same name" if compared else "nothing (a new watchlist)"
    out.write(f"{total} stored items compared against {base}\n\n")
    for kind, label in (
        ("gained", "would now alert"),
        ("lost", "would no longer alert"),
        ("changed", "alert with other entities"),
    ):
        rows = [c for c in changes if c["change"] == kind]
        out.write(f"{label}: {len(rows)}\n")
        for row in rows[:50]:
            delta = " ".join(
                [
                    *(f"+{e}" for e in row["entities_added"]),
                    *(f"-{e}" for e in row["entities_removed"]),
                ]
            )
            out.write(f"  {row['title'][:90]}  [{delta}]\n")
    added = Counter(e for c in changes for e in c["entities_added"])
    removed = Counter(e for c in changes for e in c["entities_removed"])
    if added or removed:
        out.write(f"\n{'entity':<24} {'items gained':>12} {'items lost':>10}\n")
        for entity in sorted(set(added) | set(removed)):
            out.write(f"{entity:<24} {added[entity]:>12} {removed[entity]:>10}\n")
