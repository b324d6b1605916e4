"""From an article to a watchlist: `propose` finds and ranks, `render` writes, `merge` adds.

text ──read_article──▶ sentences, tokens ──places (gazetteer, country context)──┐
                                         ──actors (acronyms, people, states)────┴▶ ranked
ranked suggestions ──render──▶ commented YAML   (or ──merge──▶ an existing watchlist)
"""

from __future__ import annotations

from wirewatch.errors import WirewatchError
from wirewatch.gazetteer import Gazetteer


def suggest_watchlist(
    text: str, gazetteer: Gazetteer, *, name: str, source: str, merge: str | None = None,
    scripts: tuple[str, ...] = ("latin", "arabic"),
) -> str:  # fmt: skip
    """The watchlist YAML suggested for `text`, or `merge` with the new entities added."""
    from wirewatch.suggest.propose import ACTIVE, propose
    from wirewatch.suggest.render import render

    suggestions = propose(text, gazetteer, scripts=scripts)
    if not any(s.confidence >= ACTIVE for s in suggestions):
        raise NothingFound(f"{source}: found no place or actor to propose; nothing written")
    if merge:
        from wirewatch.suggest.merge import merge_into

        return merge_into(merge, suggestions, source=source)
    return render(suggestions, name=name, source=source)


class NothingFound(WirewatchError):
    """The article names nothing worth a watchlist (exit code 1: the work found nothing)."""
