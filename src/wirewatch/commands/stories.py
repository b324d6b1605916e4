"""`wirewatch stories`: the stories found, and why each report joined its story or did not.

    wirewatch stories [--since 24h] [--json]
    wirewatch stories explain STORY_ID [--json]

`explain` rebuilds the grouping of the reports seen around the story from the store (the same
members, built by the same code, in the order they were seen) and shows, for each source, the
evidence that made it join (entities and names shared, action kind, figures, time gap, word
similarity, score), and the closest reports that stayed in other stories with the reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from typing import Any

from wirewatch.commands._common import local, opened_store, require, since_arg
from wirewatch.commands.check_config import add_config_argument, config_path


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "stories", help="list stories with their sources, or explain how one was grouped"
    )
    parser.add_argument(
        "action", nargs="?", choices=["list", "explain"], default="list", help="list or explain"
    )
    parser.add_argument("story_id", nargs="?", help="the story to explain (st_...)")
    parser.add_argument("--since", type=since_arg, default="24h", help="24h, 7d or an ISO time")
    parser.add_argument("--json", action="store_true", help="JSON instead of text")
    add_config_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `classify` starts faster

    from wirewatch.loading import load_everything

    require(
        args.action == "list" or bool(args.story_id),
        "stories explain needs a story id: wirewatch stories explain st_...",
    )
    loaded = load_everything(config_path(args))
    if args.action == "explain":
        text = asyncio.run(_explain(loaded, args.story_id, as_json=args.json))
    else:
        text = asyncio.run(_list(loaded, args.since, as_json=args.json))
    sys.stdout.write(text)
    return 0


async def _list(loaded: Any, since: Any, *, as_json: bool) -> str:
    async with opened_store(loaded) as store:
        records = await store.story_members(since)
    stories: dict[str, list[Any]] = {}
    for record in records:
        stories.setdefault(record.story_id, []).append(record)
    if as_json:
        return "".join(
            json.dumps(_story_json(k, v), ensure_ascii=False) + "\n" for k, v in stories.items()
        )
    if not stories:
        return "no stories in this period\n"
    out = []
    for story_id, members in stories.items():
        out.append(f"{story_id}  {len(members)} sources  {members[0].item.title}\n")
        for record in members:
            out.append(
                f"    {local(record.seen_at)}  {record.item.feed} {record.item.id}: "
                f"{record.item.title}\n"
            )
    out.append(f"\n{len(stories)} stories, {len(records)} sources\n")
    return "".join(out)


async def _explain(loaded: Any, story_id: str, *, as_json: bool) -> str:
    from datetime import UTC, datetime

    window = timedelta(seconds=loaded.config.stories.window)
    async with opened_store(loaded) as store:
        own = await store.story_members(datetime.min.replace(tzinfo=UTC), story_id=story_id)
        require(bool(own), f"no story {story_id!r} in the store: `wirewatch stories` lists them")
        around = await store.story_members(own[0].seen_at - 2 * window)
    last = max(r.seen_at for r in own) + 2 * window
    records = [r for r in around if r.seen_at <= last]
    explained = _members(loaded, records, story_id)
    misses = _near_misses(loaded, records, story_id)
    if as_json:
        return (
            json.dumps(
                {"story_id": story_id, "members": explained, "near_misses": misses},
                ensure_ascii=False,
            )
            + "\n"
        )
    return _explain_text(story_id, explained, misses)


def _members(loaded: Any, records: list[Any], story_id: str) -> list[dict[str, Any]]:
    """Each source of the story with how it joined, replaying the reports in seen order."""
    from wirewatch.stories.grouping import replay, stored_member

    index = replay(loaded, [])
    explained = []
    for record in records:
        member = stored_member(loaded, record)
        if record.story_id == story_id:
            entry = _member_json(member)
            if story_id in index:
                score, evidence = index.score(member, story_id)
                best = max(evidence, key=lambda e: (e.veto is None, e.score))
                entry |= {"joined": True, "score": round(score, 2), "because": _evidence_json(best)}
                decision = index.decide(member)
                if decision.story_id == story_id and decision.reason:
                    entry["reason"] = decision.reason  # joined on the quiet rule
            else:
                entry |= {"joined": False, "founded": True}
            explained.append(entry)
        index.add(record.story_id, member)
    return explained


def _near_misses(loaded: Any, records: list[Any], story_id: str) -> list[dict[str, Any]]:
    """The reports of other stories closest to this one, with why they stayed out."""
    from wirewatch.stories.grouping import replay, stored_member

    index = replay(loaded, records)
    threshold = index.threshold_score
    misses = []
    for record in records:
        if record.story_id == story_id:
            continue
        member = stored_member(loaded, record)
        score, evidence = index.score(member, story_id)
        vetoes = [e.veto for e in evidence if e.veto and e.gap <= index.window]
        counted = [e for e in evidence if not e.veto]
        if not counted and not vetoes:
            continue
        reason = (
            vetoes[0]
            if score == float("-inf") and vetoes
            else f"score {score:.2f} below {threshold:.2f}"
        )
        if score >= threshold:
            reason = f"fits ({score:.2f}) but fits its own story {record.story_id} better"
        best = max(evidence, key=lambda e: (e.veto is None, e.score))
        misses.append(
            _member_json(member)
            | {
                "story_id": record.story_id,
                "score": None if score == float("-inf") else round(score, 2),
                "reason": reason,
                "closest": _evidence_json(best),
            }
        )
    misses.sort(key=lambda m: -(m["score"] if m["score"] is not None else -1e9))
    return misses[:5]


def _member_json(member: Any) -> dict[str, Any]:
    event = member.event
    return {
        "feed": member.feed,
        "item_id": member.item_id,
        "title": member.title,
        "at": member.at.isoformat(),
        "action": event.action,
        "entities": sorted(event.entities),
    }


def _evidence_json(evidence: Any) -> dict[str, Any]:
    return {
        "with": f"{evidence.other.feed} {evidence.other.item_id}",
        "score": round(evidence.score, 2),
        "entities": list(evidence.entities),
        "names": list(evidence.terms),
        "figures": list(evidence.figures),
        "action": evidence.action,
        "gap_hours": round(evidence.gap.total_seconds() / 3600, 1),
        "similarity": round(evidence.similarity, 2),
        "veto": evidence.veto,
        "only_story_of_action": evidence.alone,
    }


def _story_json(story_id: str, members: list[Any]) -> dict[str, Any]:
    return {
        "story_id": story_id,
        "title": members[0].item.title,
        "sources": [
            {
                "feed": r.item.feed,
                "item_id": r.item.id,
                "title": r.item.title,
                "url": r.item.url,
                "published": r.item.published.isoformat() if r.item.published else None,
                "seen_at": r.seen_at.isoformat(),
            }
            for r in members
        ],
    }


def _explain_text(
    story_id: str, members: list[dict[str, Any]], misses: list[dict[str, Any]]
) -> str:
    out = [f"story {story_id}: {len(members)} sources\n"]
    for m in members:
        out.append(f"\n  {m['feed']} {m['item_id']}  {m['title']}\n")
        out.append(
            f"    action: {m['action'] or '-'}  entities: {', '.join(m['entities']) or '-'}\n"
        )
        if m.get("founded"):
            out.append("    founded the story\n")
        else:
            out.append(f"    joined with score {m['score']}: {_because(m['because'])}\n")
            if m.get("reason"):
                out.append(f"    joined because it was {m['reason']}\n")
    out.append("\nnear misses:\n" if misses else "\nno near misses\n")
    for m in misses:
        out.append(f"  {m['feed']} {m['item_id']}  {m['title']}\n")
        out.append(
            f"    stayed in {m['story_id']}: {m['reason']}; closest {_because(m['closest'])}\n"
        )
    return "".join(out)


def _because(e: dict[str, Any]) -> str:
    shared = [*e["entities"], *e["names"], *e["figures"]]
    parts = [
        f"with {e['with']}",
        f"shares {', '.join(shared)}" if shared else "shares no name",
        f"same action ({e['action']})" if e["action"] else "no common action",
        *(["the only story of that action in those days"] if e.get("only_story_of_action") else []),
        f"{e['gap_hours']} h apart",
        f"words {e['similarity']}",
    ]
    if e["veto"]:
        parts.append(f"not counted: {e['veto']}")
    return ", ".join(parts)
