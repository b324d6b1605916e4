"""What `suggest` proposes: one entity with its evidence, before it is written as YAML."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from wirewatch.gazetteer import Place

Source = Literal[
    "gazetteer", "country", "state", "acronym", "initials", "organisation", "person", "group"
]


@dataclass(slots=True)
class Suggestion:
    """One proposed entity: its names, where it came from, and how sure we are."""

    id: str
    kind: Literal["place", "actor"]
    label: str
    source: Source
    names: list[str]  # the article's spellings first, then aliases
    forms: set[str] = field(default_factory=set)  # spellings seen in the article
    sentence: str = ""  # the first sentence it came from
    first: int = 0  # offset of its first mention
    place: Place | None = None
    area: Place | None = None
    country_name: str = ""
    mentions: int = 0
    in_title: bool = False
    salience: float = 0.0
    confidence: float = 0.0
    note: str = ""

    def add_name(self, name: str) -> None:
        from wirewatch.match.fold import fold_name

        if fold_name(name) not in {fold_name(n) for n in self.names}:
            self.names.append(name)


def slug(text: str) -> str:
    """An entity id from a name: ASCII, lowercase, words joined by underscores."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("'", ""))
    return "_".join(words)[:60] or "entity"
