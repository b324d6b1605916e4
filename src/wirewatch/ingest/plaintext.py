"""HTML and whitespace reduced to plain text: the one definition every stage shares.

Offsets reported by the classifier point into the text this module returns, so parse and
classify must both use it.
"""

from __future__ import annotations

import html
import re

_DROP = re.compile(r"<(script|style|head|template)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->|<!\[CDATA\[|\]\]>", re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<![^<>]*>|<\?[^<>]*\?>")


# Removed: C0 controls other than whitespace, DEL and NUL (no feed means them, and PostgreSQL
# refuses NUL); C1 controls (U+0080-U+009F); and the bidirectional embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069), with which a title can show "exe.txt" for "txt.exe"
# or reorder a chat message or an email subject. The marks U+200E, U+200F and U+061C stay:
# Arabic text uses them, and they reorder nothing beyond a neutral character.
_CONTROLS: dict[int, str | None] = dict.fromkeys(
    [*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F)]
)
_CONTROLS.update(dict.fromkeys(range(0x2066, 0x206A)))
_CONTROLS[0x85] = " "  # NEL, a line break
MAX_SOURCE = 1 << 20
"""Characters of a value that `to_text` reads: the rest is dropped first. Every step below makes
copies, and splitting makes a string per word (10 MB of "Homs " took 500 MB); no field is kept
longer than `limits.text_chars` (20,000) anyway."""


def to_text(value: str | None) -> str:
    """Return `value` as plain text: tags stripped, entities decoded, whitespace collapsed.

    A tag becomes a space only where it separates words (block tags and line breaks), so
    `<b>Homs</b>'s` stays `Homs's`. Plain text passes through unchanged but for whitespace.
    Only the first `MAX_SOURCE` characters are read.
    """
    if not value:
        return ""
    if len(value) > MAX_SOURCE:
        value = value[:MAX_SOURCE]
    if "<" in value:
        value = _DROP.sub(" ", value)
        value = _COMMENT.sub(" ", value)
        value = _TAG.sub(_tag_replacement, value)
    if "&" in value:
        value = html.unescape(value)
    if value.isprintable():  # then its only whitespace is the ASCII space
        if "  " not in value and not value.startswith(" ") and not value.endswith(" "):
            return value  # already plain: most items' text, kept without a copy
    else:
        value = value.translate(_CONTROLS)  # only now can there be control characters
    return " ".join(value.split())


_INLINE = frozenset(
    [
        "a",
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "data",
        "dfn",
        "em",
        "font",
        "i",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "u",
        "var",
    ]
)


def _tag_replacement(match: re.Match[str]) -> str:
    tag = match.group(0)
    name = re.match(r"</?([A-Za-z][A-Za-z0-9]*)", tag)
    if name and name.group(1).lower() in _INLINE:
        return ""
    return " "
