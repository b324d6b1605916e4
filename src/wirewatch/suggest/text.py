"""An article as sentences of tokens, and the capitalised spans that may name something."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE = re.compile(r"(?<=[.!?\"”’])\s+(?=[\"“‘'A-Z\u0600-\u06ff])|\n+")
_TOKEN = re.compile(r"[\w\u0600-\u06ff][\w'’‘ʼʿ\u0600-\u06ff]*(?:-[\w'’\u0600-\u06ff]+)*|[()]")
_PARTICLE = re.compile(r"^(?:al|el|ad|ash|as|az|ez|an|ar|at|ad|ed|es|ibn|bin|bint|de|van)-", re.I)
_LOWER_LINKS = frozenset(["al", "el", "ash", "ez", "bin", "ibn", "de", "of", "for"])


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int  # offset in the article
    sentence: int
    first: bool  # the first word of its sentence
    suffix: str = ""  # "-backed" of "Iran-backed", split off


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    text: str
    sentences: tuple[tuple[int, int], ...]  # (start, end) offsets into text
    tokens: tuple[Token, ...]

    def sentence_of(self, token: Token) -> str:
        start, end = self.sentences[token.sentence]
        return " ".join(self.text[start:end].split())


def read_article(text: str) -> Article:
    """Split plain text into sentences and tokens; the first non-empty line is the title."""
    text = text.replace("\r\n", "\n").strip()
    title = text.split("\n", 1)[0].strip()
    bounds: list[tuple[int, int]] = []
    tokens: list[Token] = []
    start = 0
    for cut in [*(m for m in _SENTENCE.finditer(text)), None]:
        end = cut.start() if cut else len(text)
        if text[start:end].strip():
            _tokenize(text, start, end, len(bounds), tokens)
            bounds.append((start, end))
        start = cut.end() if cut else end
    return Article(title, text, tuple(bounds), tuple(tokens))


def _tokenize(text: str, start: int, end: int, sentence: int, out: list[Token]) -> None:
    first = True
    for match in _TOKEN.finditer(text, start, end):
        word, suffix = _split_suffix(match.group(0))
        out.append(Token(word, match.start(), sentence, first, suffix))
        first = False


def _split_suffix(word: str) -> tuple[str, str]:
    """ "Iran-backed" is Iran plus "-backed"; "al-Assad" and "Deir-Ezzor" stay whole."""
    parts = word.split("-")
    for index in range(1, len(parts)):
        if parts[index][:1].islower() and parts[index - 1][:1].isupper():
            return "-".join(parts[:index]), "-" + "-".join(parts[index:])
    return word, ""


def capitalised(token: Token) -> bool:
    """Whether a token can be part of a name: Capitalised, al-Capitalised, ALLCAPS or Arabic."""
    word = _PARTICLE.sub("", token.text)
    return bool(word) and (word[0].isupper() or "\u0600" <= word[0] <= "\u06ff")


def spans(article: Article) -> list[tuple[int, int]]:
    """Runs of name tokens (index ranges), joined by al/bin/of/for, never across a sentence."""
    found: list[tuple[int, int]] = []
    tokens, index = article.tokens, 0
    while index < len(tokens):
        if not capitalised(tokens[index]) or tokens[index].text in "()":
            index += 1
            continue
        end = index + 1
        while end < len(tokens) and tokens[end].sentence == tokens[index].sentence:
            word = tokens[end].text
            link = word.lower() in _LOWER_LINKS and end + 1 < len(tokens)
            if tokens[end - 1].suffix or not (capitalised(tokens[end]) or link):
                break
            if not _adjacent(article, tokens[end - 1], tokens[end]):
                break
            if link and not capitalised(tokens[end + 1]):
                break
            end += 1
        found.append((index, end))
        index = end
    return found


def _adjacent(article: Article, left: Token, right: Token) -> bool:
    gap = article.text[left.start + len(left.text) + len(left.suffix) : right.start]
    return not gap.strip() and "\n" not in gap


def bare(word: str) -> str:
    """A name without its possessive: Homs' and Assad's are Homs and Assad."""
    for ending in ("'s", "’s", "'", "’"):
        if word.endswith(ending) and len(word) > len(ending) + 1:
            return word[: -len(ending)]
    return word


def phrase(article: Article, first: int, end: int) -> str:
    """The text of tokens [first, end) as written."""
    tokens = article.tokens
    text = article.text[tokens[first].start : tokens[end - 1].start + len(tokens[end - 1].text)]
    return bare(text)
