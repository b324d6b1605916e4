"""The human view of `wirewatch classify --explain`: highlighted matches, outcome, counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

from wirewatch.model import Classification, FeedItem, Match

if TYPE_CHECKING:
    from wirewatch.match.nearmiss import NearMiss

_BOLD, _RESET, _GREEN, _DIM = "\033[1;33m", "\033[0m", "\033[32m", "\033[2m"


class Explainer:
    def __init__(self, out: IO[str], *, color: bool) -> None:
        self.out = out
        self.color = color
        self.items = 0
        self.alerts = 0
        self.entities: Counter[str] = Counter()
        self.mentions: Counter[str] = Counter()

    def show(
        self,
        item: FeedItem,
        result: Classification,
        misses: Sequence[NearMiss] = (),
        rule: str | None = None,
    ) -> None:
        self.items += 1
        self.alerts += result.alert
        self.entities.update(result.entities)
        self.mentions.update(m.entity for m in result.matches)
        verdict = "ALERT" if result.alert else "no alert"
        if self.color and result.alert:
            verdict = f"{_GREEN}{verdict}{_RESET}"
        self.out.write(f"{item.id}  {verdict}\n")
        for field in ("title", "summary", "content"):
            text = item.text_of(field)
            found = [m for m in result.matches if m.field == field]
            if text:
                self.out.write(f"  {field}: {self._highlight(text, found)}\n")
        for match in result.matches:
            self.out.write(
                f"    {match.entity} ({match.kind}) by {match.name!r} as {match.text!r} "
                f"in {match.field} [{match.start}:{match.end}]\n"
            )
        for miss in misses:
            self.out.write(
                f"    not counted: {miss.text!r} in {miss.field} [{miss.start}:{miss.end}]"
                f" ({miss.entity}): {miss.reason}\n"
            )
        if rule:
            self.out.write(f"    no alert: {rule}\n")

    def _highlight(self, text: str, matches: list[Match]) -> str:
        parts, last = [], 0
        for m in sorted(matches, key=lambda m: m.start):
            open_, close = (_BOLD, _RESET) if self.color else ("[", f"|{m.entity}]")
            parts += [text[last : m.start], open_, text[m.start : m.end], close]
            last = m.end
        parts.append(text[last:])
        snippet = "".join(parts)
        return snippet if len(snippet) <= 600 else snippet[:597] + "..."

    def summary(self) -> None:
        self.out.write(f"\n{self.items} items, {self.alerts} alerts\n")
        if self.entities:
            self.out.write(f"{'entity':<24} {'items':>6} {'mentions':>9}\n")
        for entity, count in self.entities.most_common():
            self.out.write(f"{entity:<24} {count:>6} {self.mentions[entity]:>9}\n")
