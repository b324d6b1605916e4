"""The stories view: escaping, right-to-left text, highlights, filters, search, permalinks."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.conftest import ARABIC, NOW, SYRIA, WIRE, Desk
from wirewatch.model import FeedItem
from wirewatch.storage import BatchItem, IngestBatch, StoryDecision, Verdict
from wirewatch.stories.member import new_story_id

HOSTILE = "<img src=x onerror=alert(1)> Shelling in Hama"


def story_ids(html: str) -> list[str]:
    return re.findall(r'<article class="story[^"]*" id="a-([^"]+)"', html)


async def test_empty_state_says_nothing_matches(desk: Desk) -> None:
    """With no alert stored, the page says so instead of showing an empty list."""
    page = await desk.client.get("/")
    assert 200 == page.status_code
    assert "No stories match in the last 7d" in page.text


async def test_hostile_headline_is_text(desk: Desk) -> None:
    """A headline carrying markup is escaped: no element is made of it."""
    await desk.alert("x1", HOSTILE, "Hostile <script>alert(2)</script> summary near Hama")
    page = (await desk.client.get("/")).text
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(2)" not in page


async def test_every_response_has_a_strict_policy(desk: Desk) -> None:
    """The page forbids inline script and anything not from the daemon itself."""
    policy = (await desk.client.get("/")).headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy


async def test_matched_names_are_highlighted_with_their_entity(desk: Desk) -> None:
    """Each mention in the title is a <mark> naming the entity and the name that matched."""
    await desk.alert("h1", "Rebels enter Homs as HTS advances")
    page = (await desk.client.get("/")).text
    assert '<mark title="homs (place) by the name Homs">Homs</mark>' in page
    assert '<mark title="hts (actor) by the name HTS">HTS</mark>' in page


async def test_arabic_titles_and_outlets_are_direction_auto(desk: Desk) -> None:
    """Arabic text sits in dir=auto elements, so the browser lays it out right to left."""
    await desk.alert("ar1", "المعارضة تدخل حمص", "قالت مصادر إن المعارضة دخلت حمص", feed=ARABIC)
    page = (await desk.client.get("/")).text
    assert re.search(r'<h2 dir="auto">.*المعارضة تدخل <mark[^>]*>حمص</mark>', page)
    assert '<span class="outlet" dir="auto">الجزيرة</span>' in page


async def test_chips_use_the_watchlist_names(desk: Desk) -> None:
    """An entity chip shows the entity's first name in the watchlist and links to its filter."""
    await desk.alert("c1", "HTS fighters reach Hama")
    page = (await desk.client.get("/")).text
    assert (
        '<a dir="auto" href="/?entity=hts" title="actor: hts">Hay&#39;at Tahrir al-Sham</a>' in page
    )


async def test_newest_first_and_filters(desk: Desk) -> None:
    """Stories come newest first; entity, kind, feed and search narrow them."""
    old = await desk.alert("f1", "Shelling in Hama", at=NOW - timedelta(hours=3))
    new = await desk.alert("f2", "Assad leaves Damascus", at=NOW - timedelta(hours=1))
    arabic = await desk.alert("f3", "قصف في حمص", feed=ARABIC, at=NOW - timedelta(hours=2))

    async def ids(query: str) -> list[str]:
        return story_ids((await desk.client.get(f"/?{query}")).text)

    assert [new, arabic, old] == await ids("")
    assert [old] == await ids("entity=hama")
    assert [new] == await ids("kind=actor")
    assert [arabic] == await ids(f"feed={ARABIC}")
    assert [new] == await ids("q=damascus")
    assert [arabic] == await ids("q=حمص")
    assert [new] == await ids("since=90m")


async def test_a_bad_filter_is_one_line(desk: Desk) -> None:
    """An unknown filter is a 400 naming it, not a traceback."""
    response = await desk.client.get("/?colour=red")
    assert (400, "bad_request") == (response.status_code, response.json()["error"])
    assert "colour" in response.json()["message"]


async def test_permalink_shows_one_story_and_a_missing_one_is_404(desk: Desk) -> None:
    """/story/<id> shows that story with its deliveries; an unknown id is a page saying so."""
    first = await desk.alert("p1", "Shelling in Hama")
    await desk.alert("p2", "Assad leaves Damascus")
    page = await desk.client.get(f"/story/{first}")
    missing = await desk.client.get("/story/al_nothing")
    assert [first] == story_ids(page.text)
    assert "hook" in page.text
    assert (404, "No such story") == (
        missing.status_code,
        re.search("<h1>(.*)</h1>", missing.text)[1],
    )


async def test_only_web_links_are_links(desk: Desk) -> None:
    """A feed's javascript: link is not made a link; the title still shows."""
    item = FeedItem("j1", WIRE, "Shelling in Hama", url="javascript:alert(1)", published=NOW)
    result = SYRIA.classify(item)
    story = StoryDecision(new_story_id(WIRE, "j1"), "sig j1")
    await desk.store.ingest(
        IngestBatch(
            feed=WIRE, now=NOW, items=(BatchItem(item, (Verdict(result, ("hook",)),), story),)
        )
    )
    page = (await desk.client.get("/")).text
    assert "javascript:" not in page
    assert "Shelling in" in page


async def test_search_folds_arabic_variants_and_reads_source_titles(desk: Desk) -> None:
    """q=حماه finds حماة (ة and ه fold together), and a word only in a joined source's title
    finds its story."""
    hama = await desk.alert("q1", "قصف على حماة")
    homs = await desk.alert("q2", "Rebels enter Homs")
    story = await desk.story_of(homs)
    await desk.alert("q3", "Rebels enter Homs at dawn", feed=ARABIC, story=story)

    async def ids(query: str) -> list[str]:
        return story_ids((await desk.client.get(f"/?{query}")).text)

    assert ([hama], [homs]) == (await ids("q=حماه"), await ids("q=dawn"))


async def test_action_kind_shows_and_filters(desk: Desk) -> None:
    """A story's action kind is shown on its card, and ?action= keeps only those stories."""
    taken = await desk.alert("k1", "Rebels take Hama", action="control")
    await desk.alert("k2", "Assad speaks at the UN", action="meet")
    page = (await desk.client.get("/?action=control")).text
    assert [taken] == story_ids(page)
    assert '<span class="action" title="action">control</span>' in page
