"""How `poll --once` shows its work: a progress line on a terminal, a table, the matches."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO

from wirewatch.pipeline import PollReport


class Progress:
    """`[ 12/300] feeds polled` on a terminal when there are many feeds; silent otherwise."""

    def __init__(self, total: int, out: IO[str], *, threshold: int = 10) -> None:
        self.total = total
        self.count = 0
        self.out = out
        self.enabled = total >= threshold and out.isatty()

    def step(self) -> None:
        self.count += 1
        if self.enabled:
            self.out.write(f"\r[{self.count:>{len(str(self.total))}}/{self.total}] feeds polled")
            self.out.flush()

    def done(self) -> None:
        if self.enabled:
            self.out.write("\n")


def print_table(reports: Sequence[PollReport], out: IO[str]) -> None:
    width = max([len(r.feed) for r in reports] + [4])
    width = min(width, 40)
    out.write(
        f"{'feed':<{width}}  {'status':<12} {'http':>4} {'items':>5} {'new':>4} "
        f"{'matched':>7} {'time':>6}\n"
    )
    for r in reports:
        http = str(r.http_status or "-")
        out.write(
            f"{r.feed[:width]:<{width}}  {r.status:<12} {http:>4} {r.items:>5} {r.new:>4} "
            f"{r.matched:>7} {r.elapsed:>5.2f}s\n"
        )
        if r.error:
            out.write(f"{'':<{width}}  ! {r.error}\n")
    failed = sum(r.failed for r in reports)
    alerts = [a for r in reports for a in r.alerts]
    out.write(
        f"\n{len(reports)} feeds, {failed} failed, {sum(r.new for r in reports)} new items, "
        f"{len(alerts)} alerts, {sum(r.joined for r in reports)} joined a story already open\n"
    )
    for alert in alerts:
        entities = ", ".join(dict.fromkeys(m.entity for m in alert.matches))
        out.write(f"\n* [{alert.watchlist}] {alert.item.title}\n  {entities}\n")
        if alert.item.url:
            out.write(f"  {alert.item.url}\n")


def print_json(reports: Sequence[PollReport], out: IO[str]) -> None:
    for r in reports:
        row = {
            "feed": r.feed,
            "url": r.url,
            "status": r.status,
            "http_status": r.http_status,
            "items": r.items,
            "new": r.new,
            "matched": r.matched,
            "alerts": len(r.alerts),
            "joined": r.joined,
            "elapsed": round(r.elapsed, 3),
            "error": r.error,
        }
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
