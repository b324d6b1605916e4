"""A quiet desk: when one story alone runs within hours of a report, weaker evidence joins it.

On a busy desk, two reports that share only an actor or an action may be two of the many events
of the day, so `StoryIndex` asks for rare names in common. When no other story has a report
within `QUIET` of a new one, the odds change: a report that names something the story names
and the same kind of action (or shares a figure with it), and that nothing keeps apart (an
incompatible action, other figures, towns far apart, another report of the same outlet),
reports that story, however common what it shares is that week. Counting
stories stops at the second one, so a busy index answers as fast as a quiet one.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from wirewatch.stories.evidence import WEAK_VETOES
from wirewatch.stories.member import Evidence, Member

QUIET = timedelta(hours=8)
QUIET_REASON = f"the only story within {QUIET.total_seconds() / 3600:g} hours"


class Timeline:
    """Every filed member's time and story, in time order."""

    def __init__(self) -> None:
        self._entries: list[tuple[datetime, str, str]] = []

    def add(self, member: Member, story_id: str) -> None:
        insort(self._entries, (member.at, story_id, member.key))

    def remove(self, member: Member, story_id: str) -> None:
        entries = self._entries
        position = bisect_left(entries, (member.at, story_id, member.key))
        if position < len(entries) and entries[position] == (member.at, story_id, member.key):
            del entries[position]

    def only_story(self, at: datetime, within: timedelta = QUIET) -> str | None:
        """The story that has every member filed within `within` of `at`, if there is one."""
        entries = self._entries
        low = bisect_left(entries, (at - within,))
        high = bisect_right(entries, (at + within, "\uffff"))
        return one_of(entries[position][1] for position in range(low, high))


def one_of(story_ids: Iterable[str]) -> str | None:
    """The story id when all of `story_ids` are one (None when there are none, or two: it
    stops reading at the second)."""
    found = None
    for story_id in story_ids:
        if found is None:
            found = story_id
        elif story_id != found:
            return None
    return found


def quiet_join(
    member: Member, members: Sequence[Member], compare: Callable[[Member, Member], Evidence]
) -> tuple[Evidence, ...] | None:
    """The evidence that `member` joins the only story around it (its `members`), or None when
    a member keeps it out or no member shares a figure, or a name and the action, with it."""
    found = []
    for other in members:
        evidence = compare(member, other)
        if evidence.veto and evidence.veto not in WEAK_VETOES:
            return None
        found.append(evidence)
    if not any(e.figures or (e.action and (e.entities or e.terms)) for e in found):
        return None
    return tuple(found)
