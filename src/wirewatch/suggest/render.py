"""Suggestions written as a commented watchlist YAML that `check-config` and `classify` accept.

Each entity carries its evidence as comments (where it is, how sure we are, the sentence it
came from), so that the analyst deletes rather than types. Entities below the confidence
threshold, and those an analyst would not track, are written commented out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from wirewatch.suggest.model import Suggestion
from wirewatch.suggest.propose import ACTIVE

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 .-]*[A-Za-z0-9.]$")
_WIDTH = 96


def render(suggestions: Iterable[Suggestion], *, name: str, source: str) -> str:
    """The watchlist text: a header, the places, the actors, then the commented-out doubts."""
    items = list(suggestions)
    active = [s for s in items if s.confidence >= ACTIVE]
    doubtful = [s for s in items if s.confidence < ACTIVE]
    lines = header(name, source, len(active), len(doubtful))
    for kind, title in (("place", "places"), ("actor", "actors")):
        chosen = [s for s in active if s.kind == kind]
        if chosen:
            lines.append(f"  # ---- {title} " + "-" * (_WIDTH - 12 - len(title)))
            for suggestion in chosen:
                lines += entity_lines(suggestion)
    if doubtful:
        lines.append("  # ---- doubtful: uncomment what you want to track " + "-" * 44)
        for suggestion in doubtful:
            lines += [line if line.lstrip().startswith("#") else f"  # {line[2:]}"
                      for line in entity_lines(suggestion)]  # fmt: skip
    return "\n".join(lines) + "\n"


def header(name: str, source: str, active: int, doubtful: int) -> list[str]:
    return [
        f"# Suggested by `wirewatch watchlist suggest` from {source}.",
        f"# {active} entities proposed, {doubtful} doubtful ones commented out at the end.",
        "# Ranked by salience (mentions, title and lede); confidence runs from 0 to 1.",
        "# Delete what you do not want to track; `wirewatch check-config` validates the file.",
        f"name: {name}",
        f"description: {_scalar('Places and actors suggested from ' + source)}",
        "entities:",
    ]


def entity_lines(s: Suggestion) -> list[str]:
    lines = [f"  # {line}" for line in _evidence(s)]
    lines.append(f"  - id: {s.id}")
    lines.append(f"    kind: {s.kind}")
    if s.place is not None and s.kind == "place":
        if s.place.kind == "city":
            lines.append(f"    geonames: {s.place.id}")
        elif s.place.code:
            lines.append(f"    iso3166: {s.place.code}")
    lines.append(f"    names: [{', '.join(_scalar(n) for n in s.names)}]")
    if s.place is not None and s.kind == "place" and s.place.kind == "country":
        lines.append("    tags: [country]")
    return lines


def _evidence(s: Suggestion) -> list[str]:
    first = f"{s.label}: {_where(s)}" if s.kind == "place" else f"{s.label}: {s.source}"
    times = "once" if s.mentions == 1 else f"{s.mentions} times"
    second = f"confidence {s.confidence:.2f}, named {times}" + (
        ", in the title" if s.in_title else ""
    )
    lines = [first, second]
    if s.note:
        lines.append(f"note: {s.note}")
    quote = s.sentence if len(s.sentence) <= _WIDTH - 6 else s.sentence[: _WIDTH - 9] + "..."
    lines.append(f'"{quote}"')
    return lines


def _where(s: Suggestion) -> str:
    place = s.place
    if place is None:
        return s.source
    if place.kind == "country":
        return f"country {place.code}"
    parts: list[str] = [place.kind if place.kind != "city" else "town"]
    if s.area is not None:
        parts.append(f"in {s.area.name} ({s.area.code})")
    parts.append(s.country_name)
    if place.lat is not None and place.lon is not None:
        parts.append(f"{place.lat:.4f}, {place.lon:.4f}")
    if place.kind == "city":
        parts.append(f"GeoNames {place.id}, population {place.population:,}")
    return "; ".join(parts)


def _scalar(text: str) -> str:
    """A YAML scalar: plain when that is safe, else a JSON string (valid YAML too)."""
    if _PLAIN.match(text) and text.lower() not in ("yes", "no", "on", "off", "true", "false",
                                                   "null"):  # fmt: skip
        return text
    return json.dumps(text, ensure_ascii=False)
