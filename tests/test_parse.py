"""The parse stage: feed documents in, plain-text UTC `FeedItem`s out, or one `ParseError`."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wirewatch.commands.inputs import sniff
from wirewatch.errors import ParseError
from wirewatch.ingest.parse import ParsedFeed, parse_feed
from wirewatch.ingest.plaintext import to_text
from wirewatch.model import FeedItem

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEED_URL = "https://example.org/feeds/main.xml"
NOW = datetime(2024, 12, 8, 12, 0, tzinfo=UTC)


def parse(name: str, content_type: str | None = None) -> ParsedFeed:
    body = (FIXTURES / name).read_bytes()
    return parse_feed(body, feed_url=FEED_URL, feed_name="desk", content_type=content_type, now=NOW)


def test_rss20() -> None:
    """RSS 2.0: guid as id, canonical link, HTML made plain, content:encoded, author, categories."""
    feed = parse("rss20.xml")

    assert ("rss", "Levant Desk", ()) == (feed.kind, feed.title, feed.warnings)
    assert (
        FeedItem(
            id="levant-2024-0042",
            feed="desk",
            title="Rebels enter Hama after a week of fighting",
            summary="Opposition fighters said they had reached the centre of Hama.",
            content="Opposition fighters said they had reached the centre of Hama. "
            "The army said it had pulled back to protect civilians.",
            url="https://news.example.org/levant/hama-entered?id=42",
            published=datetime(2024, 12, 5, 12, 30, tzinfo=UTC),
            authors=("Rana Haddad",),
            tags=("Syria", "Conflict"),
            language="en-GB",
        )
        == feed.items[0]
    )


def test_rss20_content_equal_to_summary_is_dropped() -> None:
    """Without content:encoded, content is empty rather than a copy of the summary."""
    item = parse("rss20.xml").items[1]

    assert ("", ("Omar Saleh",)) == (item.content, item.authors)


def test_atom10() -> None:
    """Atom: entities decoded, xhtml content made plain, updated as the date, xml:lang used."""
    feed = parse("atom10.xml")

    assert ("atom", "Veille Proche-Orient") == (feed.kind, feed.title)
    assert (
        FeedItem(
            id="tag:veille.example.net,2024:homs-1",
            feed="desk",
            title="Homs: the road north is cut & the city empties",
            summary="Les combats approchent de Homs.",
            content="Les combats approchent de Homs. "
            "Des milliers d'habitants quittent la ville vers l'ouest.",
            url="https://veille.example.net/2024/12/homs",
            published=datetime(2024, 12, 7, 15, 45, tzinfo=UTC),
            authors=("Claire Martin",),
            tags=("syrie",),
            language="fr",
        )
        == feed.items[0]
    )


def test_atom10_published_wins_over_updated() -> None:
    """An entry with both dates is dated when it was published, not when it was updated."""
    assert datetime(2024, 12, 6, 7, 0, tzinfo=UTC) == parse("atom10.xml").items[1].published


def test_rdf() -> None:
    """RSS 1.0 (RDF): Dublin Core date, creator, subject and language are read."""
    feed = parse("rdf.xml")

    assert ("rdf", "Wire Digest") == (feed.kind, feed.title)
    assert (
        FeedItem(
            id="https://wire.example.com/a/aleppo",
            feed="desk",
            title="Aleppo airport changes hands",
            summary="Control of the airport passed to the advancing groups.",
            url="https://wire.example.com/a/aleppo?ref=front",
            published=datetime(2024, 11, 30, 20, 10, tzinfo=UTC),
            authors=("Jana Vogel",),
            tags=("Syrien",),
            language="de",
        )
        == feed.items[0]
    )


def test_json_feed_11() -> None:
    """JSON Feed 1.1: content_html is made plain, relative URLs resolve, odd tags are dropped."""
    feed = parse("jsonfeed11.json")

    assert ("json", "Field Notes") == (feed.kind, feed.title)
    assert ("items skipped as not JSON objects: 1",) == feed.warnings
    assert (
        FeedItem(
            id="https://notes.example.io/p/busra",
            feed="desk",
            title="Busra al-Sham calm after talks",
            summary="Elders negotiated a handover & the town stayed calm.",
            content="Elders negotiated a handover & the town stayed calm. More to follow.",
            url="https://example.org/p/busra",
            published=datetime(2024, 12, 7, 7, 0, tzinfo=UTC),
            authors=("Lina K.",),
            tags=("syria", "daraa"),
            language="ar",
        )
        == feed.items[0]
    )


def test_json_feed_numeric_id_and_old_author() -> None:
    """A numeric id reads as its digits; a 1.0 `author` counts; the summary falls back to text."""
    item = parse("jsonfeed11.json").items[1]

    assert ("1017", "", ("Old-style author",), "en") == (
        item.id,
        item.url,
        item.authors,
        item.language,
    )
    assert "Deir Ezzor: the SDF said it had moved into the city." == item.summary
    assert datetime(2024, 12, 6, 23, 15, tzinfo=UTC) == item.published


def test_json_feed_10() -> None:
    """JSON Feed version 1 is read as well, and an RFC 822 date in it is understood."""
    feed = parse("jsonfeed10.json")

    assert [("n-1", "A note about Nawa.", ("Sami",), datetime(2024, 12, 1, 8, 0, tzinfo=UTC))] == [
        (i.id, i.summary, i.authors, i.published) for i in feed.items
    ]


def test_relative_links_resolve_against_the_feed_url() -> None:
    """Relative links and permalink guids resolve against the configured feed URL."""
    feed = parse("relative_links.xml")

    assert [
        ("story-one", "https://example.org/stories/one.html"),
        ("https://example.org/stories/two.html#comments", "https://example.org/stories/two.html"),
    ] == [(i.id, i.url) for i in feed.items]


def test_relative_ids_are_stable_whatever_the_headers() -> None:
    """Ids do not depend on the Content-Type or on anything but the body and the feed URL."""
    ids = {tuple(i.id for i in parse("relative_links.xml", ct).items) for ct in (None, "text/html")}

    assert 1 == len(ids)


def test_entities_and_tags_in_summaries() -> None:
    """Entities are decoded, tags and scripts dropped, whitespace collapsed."""
    feed = parse("entities.xml")

    assert "Entities & tags" == feed.title
    assert ("Café talk & more", "Assad’s forces left Hama… Second paragraph") == (
        feed.items[0].title,
        feed.items[0].summary,
    )


def test_double_escaped_entities_are_decoded() -> None:
    """A feed that escapes its entities twice (`&amp;amp;nbsp;`) still yields clean text."""
    assert "Testaccio, Roma à la carte" == parse("entities.xml").items[1].summary


def test_missing_guid_falls_back_to_link_then_hash() -> None:
    """Without a guid the canonical link is the id; without a link, a hash of title and summary."""
    feed = parse("missing_guid.xml")
    digest = hashlib.sha256(b"Has neither guid nor link\nOnly words: Idlib.").hexdigest()

    assert ["https://noguid.example.org/a", f"sha256:{digest}"] == [i.id for i in feed.items]
    assert ("entries skipped for want of an id, link, title or summary: 1",) == feed.warnings


def test_future_dates_are_clamped_to_now() -> None:
    """A date more than a day ahead becomes the fetch time, with a warning; a nearer one stays."""
    feed = parse("future_dates.xml")

    assert [NOW, datetime(2024, 12, 8, 20, 0, tzinfo=UTC)] == [i.published for i in feed.items]
    assert (
        "entries dated more than a day ahead, dated at the fetch time instead: 1",
    ) == feed.warnings


def test_missing_or_unreadable_dates_are_none() -> None:
    """An item without a readable date has no date, and that is not worth a warning."""
    feed = parse("no_dates.xml")

    assert ([None], ()) == ([i.published for i in feed.items], feed.warnings)


def test_malformed_but_recoverable_feed_warns() -> None:
    """A broken document that still yields entries parses, with the problem as a warning."""
    feed = parse("malformed.xml")

    assert ["Still readable despite the markup"] == [i.title for i in feed.items]
    assert (
        "malformed feed, parsed anyway: line 4, column 19: not well-formed (invalid token)",
    ) == (feed.warnings)


def test_empty_feed_is_fine() -> None:
    """A valid feed with no items yet is no error."""
    feed = parse("empty.xml")

    assert ((), "Quiet feed", ()) == (feed.items, feed.title, feed.warnings)


def test_empty_feed_served_as_text_html_is_fine() -> None:
    """The Content-Type's media type does not matter: feeds are recognised by content."""
    assert () == parse("empty.xml", "text/html; charset=utf-8").warnings


def test_charset_from_content_type_decodes_undeclared_body() -> None:
    """The charset of the Content-Type decodes a body that declares no encoding."""
    body = "<rss version='2.0'><channel><item><title>Ḩamāh café</title></item></channel></rss>"
    feed = parse_feed(
        body.encode("utf-16"),
        feed_url=FEED_URL,
        feed_name="desk",
        content_type='text/xml; charset="utf-16"',
        now=NOW,
    )

    assert ["Ḩamāh café"] == [i.title for i in feed.items]


def test_repeated_ids_keep_the_first_item() -> None:
    """An id that occurs twice in one document yields one item, the first, and a warning."""
    entry = "<item><guid>same</guid><title>{}</title></item>"
    body = f"<rss version='2.0'><channel>{entry.format('one')}{entry.format('two')}</channel></rss>"
    feed = parse_feed(body.encode(), feed_url=FEED_URL, feed_name="desk", now=NOW)

    assert (["one"], ("entries skipped as repeats of an earlier id: 1",)) == (
        [i.title for i in feed.items],
        feed.warnings,
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the body is empty"),
        (b" \n\t", "the body is empty"),
        ((FIXTURES / "garbage.html").read_bytes(), "no RSS, Atom or RDF document found"),
        (b"hello, world", "line 1, column 0: syntax error"),
        (b"\x00\xff\x13binary", "line 1, column 0: not well-formed (invalid token)"),
        (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": [}',
            "invalid JSON: Expecting value: line 1 column 59 (char 58)",
        ),
        (b'{"items": []}', "JSON without a version starting with https://jsonfeed.org/version/"),
        (
            b'{"version": "https://jsonfeed.org/version/1", "items": {}}',
            "JSON Feed without an items array",
        ),
    ],
)
def test_garbage_raises_one_clear_parse_error(body: bytes, reason: str) -> None:
    """Anything that yields no entries and is not a valid feed raises ParseError: what, where, why."""
    with pytest.raises(ParseError) as caught:
        parse_feed(body, feed_url=FEED_URL, feed_name="desk", now=NOW)

    assert f"feed 'desk' ({FEED_URL}): not a feed: {reason}" == str(caught.value)


def test_deeply_nested_json_is_a_parse_error() -> None:
    """JSON nested too deep to decode is a ParseError, not a RecursionError."""
    body = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 100_000 + b"}"

    with pytest.raises(ParseError):
        parse_feed(body, feed_url=FEED_URL, feed_name="desk", now=NOW)


def test_entity_expansion_bomb_stops_at_the_parser_limit() -> None:
    """A "billion laughs" document ends in a warning (expat's amplification limit), not a hang."""
    entities = "".join(f'<!ENTITY e{n + 1} "{f"&e{n};" * 10}">' for n in range(8))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e0 "laugh">{entities}]>'
        "<rss version='2.0'><channel><item><guid>1</guid><title>&e8;</title></item></channel></rss>"
    )
    feed = parse_feed(body.encode(), feed_url=FEED_URL, feed_name="desk", now=NOW)

    assert (["https://example.org/feeds/1"], True) == (
        [i.id for i in feed.items],
        "limit on input amplification factor" in feed.warnings[0],
    )


def test_every_text_field_is_plaintext_output() -> None:
    """Every text field is what `to_text` returns, so classifier offsets point into it."""
    items = [
        i for f in sorted(FIXTURES.iterdir()) if f.suffix != ".html" for i in parse(f.name).items
    ]
    fields = [getattr(i, n) for i in items for n in ("title", "summary", "content")]
    fields += [name for i in items for name in i.authors + i.tags]

    assert [to_text(f) for f in fields] == fields


def test_dates_are_aware_utc() -> None:
    """Every date is timezone-aware and in UTC."""
    dates = [i.published for f in FIXTURES.glob("*.xml") for i in parse(f.name).items]

    assert {UTC} == {d.tzinfo for d in dates if d is not None}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ((FIXTURES / "rss20.xml").read_bytes(), "xml"),
        (b"\xef\xbb\xbf  <feed/>", "xml"),
        ("<rss/>".encode("utf-16"), "xml"),
        ("<rss/>".encode("utf-16-be"), "xml"),  # no byte order mark
        ("<rss/>".encode("utf-32"), "xml"),
        ("<rss/>".encode("utf-32-le"), "xml"),
        ((FIXTURES / "jsonfeed11.json").read_bytes(), "json"),
        (b'{"id": "1", "title": "Homs"}\n{"id": "2", "title": "Hama"}\n', "jsonl"),
        (b'{"id": "1", "title": "Homs"}', "jsonl"),
        (b"[1, 2]", "unknown"),
        (b"{not json", "jsonl"),  # JSON Lines whose first line is bad: reported by number
        (b'{\n  "version": "https://jsonfeed.org/version/1.1",\n  "items": []\n}', "json"),
        (b"plain words", "unknown"),
        (b"", "unknown"),
    ],
)
def test_sniff(body: bytes, expected: str) -> None:
    """Input is recognised by its content: feed document, JSON Lines of items, or neither."""
    assert expected == sniff(body)


def _mutations(rng: random.Random, seed_bodies: list[bytes]) -> list[bytes]:
    bodies = [rng.randbytes(rng.randrange(0, 600)) for _ in range(150)]
    for _ in range(350):
        body = bytearray(rng.choice(seed_bodies))
        for _ in range(rng.randrange(1, 8)):
            at = rng.randrange(len(body) + 1)
            if rng.random() < 0.5:
                body[at:at] = rng.choice([b"<", b"&", b"]]>", b"\x00", b"<item>", b'"', b"{"])
            else:
                del body[at : at + rng.randrange(1, 40)]
        bodies.append(bytes(body[: rng.randrange(len(body) + 1)]))
    return bodies


def test_fuzz_only_parse_error_escapes() -> None:
    """Random bytes and mangled fixtures either parse or raise ParseError, never anything else."""
    rng = random.Random(20241208)
    seeds = [f.read_bytes() for f in sorted(FIXTURES.iterdir())]
    outcomes = {"ok": 0, "error": 0}
    for body in _mutations(rng, seeds):
        try:
            parse_feed(body, feed_url=FEED_URL, feed_name="fuzz", now=NOW)
        except ParseError:
            outcomes["error"] += 1
        else:
            outcomes["ok"] += 1

    assert (500, True, True) == (
        sum(outcomes.values()),
        outcomes["ok"] > 0,
        outcomes["error"] > 0,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Rebels near Hama", "Rebels near Hama"),  # already plain: returned as it is
        ("  Rebels  near\tHama \n", "Rebels near Hama"),
        ("Deir\u00a0Ezzor\u2003today", "Deir Ezzor today"),  # Unicode spaces count as spaces
        ("a\x00b\x1fc", "abc"),  # control characters dropped
        ("<b></b>", ""),
        ("<p>Homs</p><p>Hama</p>", "Homs Hama"),
        ("<b>Homs</b>'s", "Homs's"),
        ("Hay&#39;at&nbsp;Tahrir", "Hay'at Tahrir"),
        ("", ""),
    ],
)
def test_to_text(value: str, expected: str) -> None:
    assert to_text(value) == expected
