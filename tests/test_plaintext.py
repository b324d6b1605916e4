"""`to_text` removes the characters that can disguise text in chat, email subjects and storage."""

from __future__ import annotations

import pytest

from wirewatch.ingest.parse import parse_feed
from wirewatch.ingest.plaintext import to_text

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
C1 = [chr(c) for c in range(0x80, 0xA0) if c != 0x85]


@pytest.mark.parametrize("char", BIDI + C1, ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_and_c1_controls_are_removed(char: str) -> None:
    assert "Rebels enter Hama" == to_text(f"Rebels {char}enter{char} Hama")


def test_next_line_is_a_line_break() -> None:
    assert "Homs Hama" == to_text("Homs\x85Hama")


def test_arabic_direction_marks_stay() -> None:
    """U+200E, U+200F and U+061C are used in Arabic text and reorder nothing."""
    text = "حماة\u200f (Hama)\u200e \u061cحمص"
    assert text == to_text(text)


def test_a_feed_title_reaches_items_without_them() -> None:
    """An RLO in a headline would show "gpj.exe" reversed: it is gone from the parsed item,
    so from storage and every notifier's text."""
    body = (
        '<rss version="2.0"><channel><item><guid>1</guid>'
        "<title>Invoice \u202egpj.exe\u202c from \u2067Hama\u2069</title>"
        "<description>See \u2066attachment\u2069</description></item></channel></rss>"
    ).encode()
    [item] = parse_feed(body, feed_url="", feed_name="f").items
    assert "Invoice gpj.exe from Hama" == item.title
    assert "See attachment" == item.summary


def test_a_json_feed_title_loses_its_c1_controls() -> None:
    """(feedparser itself turns C1 controls in XML into their windows-1252 characters.)"""
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": '
        b'[{"id": "1", "title": "Hama\\u009b\\u0090 falls\\u202e"}]}'
    )
    [item] = parse_feed(body, feed_url="", feed_name="f").items
    assert "Hama falls" == item.title


def test_only_the_first_mebi_characters_are_read() -> None:
    """A 10 MB value costs no more than its first 1 Mi characters (the rest is never kept)."""
    from wirewatch.ingest.plaintext import MAX_SOURCE

    text = to_text("<p>Homs </p>" * 1_000_000)
    assert text.startswith("Homs Homs") and len(text) <= MAX_SOURCE
    assert len(text) > MAX_SOURCE // 3
