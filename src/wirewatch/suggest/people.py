"""People named in an article, found by the cues news writing puts around a name.

A run of two to four capitalised words is a person when a title or role stands before it
("President Bashar al-Assad", "envoy Geir Pedersen", "director Rami Abdel Rahman"), when a role
follows after a comma ("Zaher Sahloul, a doctor", "Jihad Yazigi, editor-in-chief"), when it is
followed by said or told, or when it starts with Abu or Umm. The byline of an embedded post
("— Joseph Haboush (@jhaboush)") is kept apart: it is marked, not proposed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wirewatch.suggest.text import Article, Token, capitalised

TITLES = frozenset(
    "president leader envoy director secretary-general minister spokesman spokeswoman "
    "spokesperson commander general chief editor editor-in-chief king prince sheikh emir "
    "ambassador analyst researcher colonel lieutenant major captain premier mayor governor "
    "founder head chairman activist journalist correspondent".split()
)
_SAID = frozenset(["said", "told", "added", "wrote", "says", "tweeted", "explained", "stressed"])
_OPENERS = frozenset(["abu", "umm", "sheikh"])
_PARTICLE = re.compile(r"^(?:al|el|ad|ash|as|az|ez|an|ar|at)-", re.I)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    surname: str
    first: int  # token index
    byline: bool
    nickname: str = ""  # "known as Hemedti"


def find_people(article: Article, not_names: frozenset[str]) -> list[Person]:
    """People of the article, each once, by first mention; `not_names` are folded place and
    organisation words that never belong to a person's name."""
    found: dict[str, Person] = {}
    tokens = article.tokens
    for index in range(len(tokens)):
        if not capitalised(tokens[index]) or (index and _continues(tokens, index)):
            continue
        run = _run(tokens, index)
        if not 2 <= len(run) <= 4 or any(t.text.lower() in not_names for t in run):
            continue
        cue = _cue(article, index, index + len(run))
        if cue:
            name = " ".join(t.text for t in run).removesuffix("'s").removesuffix("’s")
            surname = _PARTICLE.sub("", run[-1].text.removesuffix("'s"))
            end = tokens[index + len(run) - 1]
            after = article.text[end.start + len(end.text) :][:60]
            known = re.match(r",?\s+(?:known as|called|nicknamed) ([A-Z][\w'-]+)", after)
            person = Person(name, surname, index, cue == "byline", known.group(1) if known else "")
            found.setdefault(name, person)
    return list(found.values())


def _continues(tokens: tuple[Token, ...], index: int) -> bool:
    before = tokens[index - 1]
    return (
        before.sentence == tokens[index].sentence
        and capitalised(before)
        and before.text.lower() not in TITLES
        and not before.suffix
    )


def _run(tokens: tuple[Token, ...], index: int) -> list[Token]:
    run = [tokens[index]]
    while (
        len(run) < 5
        and index + len(run) < len(tokens)
        and not run[-1].suffix
        and not run[-1].text.endswith(("'s", "’s"))
    ):
        following = tokens[index + len(run)]
        if following.sentence != run[0].sentence or not capitalised(following):
            break
        run.append(following)
    return run


def _cue(article: Article, first: int, end: int) -> str | None:
    tokens = article.tokens
    if tokens[first].text.lower() in _OPENERS:
        return "opener"
    if first and tokens[first - 1].text.lower() in TITLES:
        return "title"
    after = article.text[tokens[end - 1].start + len(tokens[end - 1].text) :][:40]
    if re.match(r"\s*\(@\w+\)", after):
        return "byline"
    if re.match(r",\s+(?:a|an|the|who|known as|[a-z]+-in-chief|[a-z]+ of)\b", after):
        return "apposition"
    if end < len(tokens) and tokens[end].text.lower() in _SAID and not after.startswith((",", ".")):
        return "said"
    return None
