"""The fast RSS reader gives what feedparser gives, or refuses the document to feedparser.

The corpus test is the proof: on every file of `../shared/corpus` (or `$WIREWATCH_CORPUS`) that
the fast reader accepts, `parse_feed` with and without it must return equal results. It prints
how many files it accepted; without the corpus it skips.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wirewatch.config.limits import DEFAULT, Limits
from wirewatch.errors import ParseError
from wirewatch.ingest import _fastrss
from wirewatch.ingest._charset import repair_utf8
from wirewatch.ingest._cut import first_entries
from wirewatch.ingest.parse import ParsedFeed, parse_feed

CORPUS = Path(
    os.environ.get("WIREWATCH_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
NOW = datetime(2024, 12, 8, 12, 0, tzinfo=UTC)
URL = "https://news.example.org/feeds/world.xml"

ITEMS = """
<item><title>Talks resume in Geneva</title><link>/world/talks</link>
  <guid isPermaLink="false">urn:wirewatch:1</guid>
  <description><![CDATA[<p>Envoys met <b>again</b> &amp; agreed.</p>]]></description>
  <author>desk@news.example.org (World Desk)</author>
  <category domain="topics">Diplomacy</category><category>Diplomacy</category>
  <pubDate>Sat, 07 Dec 2024 09:30:00 +0100</pubDate></item>
<item><title>Convoy reaches the border</title><guid>https://news.example.org/world/convoy</guid>
  <content:encoded>&lt;p&gt;Forty trucks crossed at dawn.&lt;/p&gt;</content:encoded>
  <dc:creator>Field Team</dc:creator><dc:date>2024-12-06T22:15:00Z</dc:date>
  <comments>https://news.example.org/world/convoy#comments</comments></item>
<item><title>Markets reopen \u20ac</title><guid>relative-7</guid>
  <description>Trading resumed after the holiday.</description>
  <pubDate>Fri, 06 Dec 2024 08:00:00 GMT</pubDate></item>
"""


def rss(items: str = ITEMS, *, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{head}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>World</title>'
        f"<language>en-gb</language>{items}</channel></rss>"
    ).encode()


def both(body: bytes, limits: Limits = DEFAULT) -> tuple[ParsedFeed, ParsedFeed]:
    """`parse_feed`'s results with the fast reader and without it."""
    return tuple(  # type: ignore[return-value]
        parse_feed(body, feed_url=URL, feed_name="world", now=NOW, limits=limits, fast=fast)
        for fast in (True, False)
    )


def accepts(body: bytes, content_type: str | None = None) -> bool:
    try:
        _fastrss.read(repair_utf8(body, content_type), URL, content_type)
    except _fastrss.Refused:
        return False
    return True


def test_plain_rss_is_read_fast_and_equals_feedparser() -> None:
    """Relative links and ids, permalink guids, authors with addresses, repeated categories,
    content:encoded standing in for the summary, RFC 822 and W3C dates: the same items."""
    fast, slow = both(rss())

    assert accepts(rss())
    assert slow == fast
    assert [
        ("urn:wirewatch:1", "https://news.example.org/world/talks"),
        ("https://news.example.org/world/convoy", "https://news.example.org/world/convoy"),
        ("https://news.example.org/feeds/relative-7", "https://news.example.org/feeds/relative-7"),
    ] == [(i.id, i.url) for i in fast.items]
    assert ("World Desk",) == fast.items[0].authors
    assert "Forty trucks crossed at dawn." == fast.items[1].summary
    assert datetime(2024, 12, 7, 8, 30, tzinfo=UTC) == fast.items[0].published


def test_windows_1252_bytes_in_a_utf8_feed_are_repaired_alike() -> None:
    """A UTF-8 feed with a stray windows-1252 byte goes through the same repair either way."""
    body = rss().replace(b"Markets reopen", b"Markets \x93reopen\x94")

    fast, slow = both(body)

    assert accepts(body)
    assert slow == fast


def test_caps_and_the_cut_apply_on_the_fast_path() -> None:
    """`limits:` caps the items and titles, and a long document is cut, as with feedparser."""
    many = "".join(
        f"<item><title>{'Long title ' * 20}{n}</title><guid>https://x.example/{n}</guid>"
        f"<pubDate>Sat, 07 Dec 2024 {n % 24:02d}:00:00 GMT</pubDate></item>"
        for n in range(30)
    )
    limits = Limits(items_per_feed=5, title_chars=100)

    fast, slow = both(rss(many), limits=limits)

    assert accepts(rss(many))
    assert slow == fast
    assert 5 == len(fast.items)
    assert {100} == {len(i.title) for i in fast.items}
    assert "document read up to entry 10 of 30" in fast.warnings


@pytest.mark.parametrize(
    ("items", "head", "why"),
    [
        (ITEMS, '<?xml version="1.0" encoding="iso-8859-1"?>', "another encoding"),
        (ITEMS, '<!DOCTYPE rss [<!ENTITY w "World">]>', "a DOCTYPE"),
        (ITEMS.replace("<item>", '<item xml:lang="fr">', 1), "", "xml:lang"),
        ("<item><title>T</title><link href='https://a.example/'/></item>", "", "link href"),
        ("<item><title mode='base64'>VGl0bGU=</title></item>", "", "an attribute"),
        ("<item><title>T</title><pubDate>2024-12-07T09:30:00Z</pubDate></item>", "", "ISO date"),
        ("<item><title>T</title><pubDate>Sat, 07 Dec 2024 09:30 CEST</pubDate></item>", "", "zone"),
        ("<item><title>A</title><title>B</title></item>", "", "two titles"),
        ("<item><summary>S</summary></item>", "", "an element feedparser handles"),
        ("<item><description>a <b>b</b></description></item>", "", "markup"),
    ],
)
def test_what_the_fast_reader_refuses_feedparser_still_reads(
    items: str, head: str, why: str
) -> None:
    """Documents outside the fast reader's subset are refused, and parse still reads them."""
    body = rss(items, head=head)

    fast, slow = both(body)

    assert not accepts(body), why
    assert slow == fast


def test_a_charset_other_than_utf8_in_the_content_type_is_refused() -> None:
    assert not accepts(rss(), "application/rss+xml; charset=windows-1251")


def test_a_truncated_document_is_refused_and_fares_as_with_feedparser() -> None:
    """Not well-formed: refused (no other exception), then the same outcome as feedparser's."""
    body = rss()[:-40]

    assert not accepts(body)
    assert _outcome(body, URL, "world", fast=False) == _outcome(body, URL, "world", fast=True)


# ---- the corpus ---------------------------------------------------------------------------------


def _outcome(body: bytes, url: str, name: str, fast: bool) -> ParsedFeed | str:
    try:
        return parse_feed(body, feed_url=url, feed_name=name, now=NOW, fast=fast)
    except ParseError as e:
        return f"ParseError: {e}"


def test_fast_and_feedparser_paths_agree_on_the_corpus() -> None:
    """Every corpus file the fast reader accepts parses to equal results on both paths."""
    if not CORPUS.is_dir():
        pytest.skip(f"no feed corpus at {CORPUS} (set WIREWATCH_CORPUS)")
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in {".md", ".tsv"})
    accepted, differences = 0, []
    for path in files:
        body = path.read_bytes()
        cut, _ = first_entries(body, 1000)
        if body.lstrip()[:1] == b"{" or not accepts(cut):
            continue
        accepted += 1
        url = f"https://corpus.example/{path.relative_to(CORPUS).as_posix()}"
        fast, slow = (_outcome(body, url, path.name, fast) for fast in (True, False))
        if fast != slow:
            differences.append(path.relative_to(CORPUS).as_posix())
    print(f"fast RSS reader: accepted {accepted:,} of {len(files):,} corpus files")

    assert [] == differences
    assert accepted > 0
