"""A UTF-8 feed with a few invalid bytes keeps its text; other encodings are left alone."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from wirewatch.ingest._charset import repair_utf8
from wirewatch.ingest.parse import parse_feed
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import load_watchlist

ARABIC = "قوات المعارضة تدخل حماة"


def rss(title: str, summary: str, declaration: str = '<?xml version="1.0"?>') -> bytes:
    return (
        (
            f'{declaration}\n<rss version="2.0"><channel><title>أخبار</title>'
            f"<item><guid>a1</guid><title>{title}</title><description>__SUMMARY__</description></item>"
            "</channel></rss>"
        )
        .encode()
        .replace(b"__SUMMARY__", summary.encode() + b" \xff")
    )


@pytest.mark.parametrize(
    ("declaration", "content_type"),
    [
        ('<?xml version="1.0"?>', None),  # undeclared: detected
        ('<?xml version="1.0" encoding="utf-8"?>', None),
        ('<?xml version="1.0"?>', "application/rss+xml; charset=UTF-8"),
    ],
    ids=["detected", "xml-declaration", "content-type"],
)
def test_one_invalid_byte_keeps_the_arabic_alert(
    declaration: str, content_type: str | None
) -> None:
    """One \\xff in a UTF-8 feed: the Arabic title survives and still raises its alert."""
    body = rss(ARABIC, "دخلت فصائل المعارضة مدينة حماة", declaration)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    [item] = parse_feed(body, feed_url="", feed_name="f", content_type=content_type).items
    assert ARABIC == item.title
    assert item.summary.startswith("دخلت فصائل المعارضة مدينة حماة")
    result = Matcher(load_watchlist(REPO / "config/watchlists/syria.yaml")).classify(item)
    assert result.alert
    assert "hama" in result.entities


def test_the_bad_bytes_become_replacement_characters() -> None:
    assert "حماة \ufffd!".encode() == repair_utf8("حماة ".encode() + b"\xff!", declared="UTF-8")


def test_a_body_declared_in_another_encoding_is_left_alone() -> None:
    body = b'<?xml version="1.0" encoding="windows-1252"?><rss/>' + b"caf\xe9"
    assert body == repair_utf8(body)
    assert b"caf\xe9" == repair_utf8(b"caf\xe9", "text/xml; charset=ISO-8859-1")


def test_an_undeclared_latin_body_is_left_to_feedparser() -> None:
    """No declaration and hardly any valid UTF-8: windows-1252 is the better guess."""
    body = rss("Café in Hama", "Crème brûlée").replace("Café".encode(), b"Caf\xe9")
    body = body.replace("Crème brûlée".encode(), b"Cr\xe8me br\xfbl\xe9e")
    assert body == repair_utf8(body)
    [item] = parse_feed(body, feed_url="", feed_name="f").items
    assert "Café in Hama" == item.title


def test_a_json_feed_with_an_invalid_byte_is_read() -> None:
    body = (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": '
        f'[{{"id": "1", "title": "{ARABIC}", "content_text": "x'
    ).encode() + b'\xff"}]}'
    [item] = parse_feed(body, feed_url="", feed_name="f").items
    assert ARABIC == item.title
