"""The desk in a real browser (Debian's chromium) over a real daemon and local feeds."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.integration.test_daemon import wait_for
from tests.notify.servers import Receiver
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, Daemon, need_chromium
from wirewatch.demo import FeedServer, SampleItem

pytestmark = pytest.mark.integration
TOKEN = "browser-test-token"
HOSTILE = "<img src=x onerror=alert(1)> Shelling near Hama"
# Escaped so that what the parse stage stores is HOSTILE itself: the XML, feedparser's HTML
# handling and the plain-text stage each decode one level (the feed server adds the fourth).
HOSTILE_IN_FEED = HOSTILE.replace("<", "&amp;amp;lt;").replace(">", "&amp;amp;gt;")
SCREENSHOTS = os.environ.get("WIREWATCH_SCREENSHOTS", "")
UNLABELLED = """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
  .filter(e => !e.closest("label") && !(e.id && document.querySelector(`label[for="${e.id}"]`))
    && !e.getAttribute("aria-label"))
  .map(e => e.outerHTML)"""


@pytest.fixture
def browser() -> Iterator[Browser]:
    need_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    server.add_feed(
        "wire", "Wire", [SampleItem("w0", "Old report from Aleppo", "", "http://127.0.0.1/w0")]
    )
    server.add_feed("arabic", "Arabic", [])
    yield server
    server.stop()


@pytest.fixture
def receiver(receiver: Receiver) -> Receiver:
    """The shared receiver, refusing the first delivery with a 400 (a dead letter)."""
    receiver.reply(400)
    return receiver


@pytest.fixture
def daemon(tmp_path: Path, feeds: FeedServer, receiver: Receiver) -> Iterator[Daemon]:
    config: dict[str, Any] = {
        "feeds": [
            {"url": feeds.url("wire"), "name": "Wire", "interval": 1},
            {"url": feeds.url("arabic"), "name": "الجزيرة", "interval": 1},
            {
                "url": "http://127.0.0.1:9/gone.xml",  # nothing listens on the discard port
                "name": "Closed port",
                "interval": 60,
            },
        ],
        "notifiers": [{"name": "hook", "type": "webhook", "url": receiver.url}],
        "http": {"token": TOKEN},
        "fetch": {"allow_networks": ["127.0.0.0/8"]},  # the feeds are local
        "daemon": {"grace": 5},
    }
    started = Daemon(tmp_path, config)
    yield started.start()
    started.stop()


def shot(page: Page, tmp_path: Path, name: str) -> None:
    """A screenshot in the test's folder; also in $WIREWATCH_SCREENSHOTS when set (docs/)."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(SCREENSHOTS) / path.name)


def story(page: Page, text: str) -> Any:
    return page.locator("#stories article.story", has_text=text)


def test_the_desk_in_a_browser(
    browser: Browser, daemon: Daemon, feeds: FeedServer, receiver: Receiver, tmp_path: Path
) -> None:
    """Sign in once; stories and their new sources arrive live, hostile markup stays text,
    Arabic reads right to left, a restart loses nothing, the bench highlights matches, and a
    dead letter is retried from the deliveries panel."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    daemon.wait_polled(TOKEN)
    page.goto(daemon.url + "/")
    expect(page).to_have_url(daemon.url + "/login?next=/")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    expect(page).to_have_url(daemon.url + "/")
    expect(page.locator("#live-state")).to_have_text("live", timeout=15_000)
    page.evaluate("window.sameDocument = true")

    feeds.publish(
        "wire",
        SampleItem(
            "w1",
            "Rebels enter Homs as HTS advances",
            "SOHR said fighters reached Homs.",
            "http://127.0.0.1/w1",
        ),
    )
    expect(story(page, "Rebels enter Homs")).to_be_visible(timeout=20_000)
    expect(story(page, "Rebels enter Homs").locator("h2 mark").first).to_have_text("Homs")
    feeds.publish(
        "arabic",
        SampleItem(
            "a0",
            "Rebels enter Homs as HTS advances",
            "SOHR said fighters reached Homs.",
            "http://127.0.0.1/a0",
        ),
    )
    expect(story(page, "Rebels enter Homs").locator("details.sources summary")).to_have_text(
        "2 sources", timeout=20_000
    )

    feeds.publish("wire", SampleItem("w2", HOSTILE_IN_FEED, "", "http://127.0.0.1/w2"))
    hostile = story(page, "Shelling near Hama")
    expect(hostile).to_be_visible(timeout=20_000)
    expect(hostile.locator("h2")).to_have_text(HOSTILE)
    assert 0 == page.locator("#stories img").count()

    # About Aleppo, so that it is a story of its own (a report on Homs may join the one above).
    feeds.publish(
        "arabic",
        SampleItem(
            "a1",
            "المعارضة تسيطر على حلب",
            "قالت مصادر إن المعارضة دخلت مدينة حلب",
            "http://127.0.0.1/a1",
        ),
    )
    arabic = page.locator("#stories article.story h2", has_text="المعارضة تسيطر")
    expect(arabic).to_be_visible(timeout=20_000)
    assert "rtl" == arabic.evaluate("e => getComputedStyle(e).direction")
    assert page.evaluate("window.sameDocument === true"), "the page reloaded"
    shot(page, tmp_path, "desk-stories")

    daemon.stop()
    expect(page.locator("#live-state")).to_have_text("reconnecting…", timeout=15_000)
    feeds.publish("wire", SampleItem("w3", "Assad leaves Damascus", "", "http://127.0.0.1/w3"))
    daemon.poll_once()  # the alert is made while the page is cut off
    daemon.start()
    expect(story(page, "Assad leaves Damascus")).to_be_visible(timeout=20_000)
    assert page.evaluate("window.sameDocument === true"), "the page reloaded"

    page.goto(daemon.url + "/bench")
    page.fill("#bench-text", "Hamas fighters near Homs; un accord")
    page.click("form.bench button[type=submit]")
    expect(page.locator("#bench-out mark")).to_have_text("Homs")
    expect(page.locator("#bench-misses")).to_contain_text("not a whole word ('Hamas')")
    shot(page, tmp_path, "desk-bench")

    for path in ("/", "/bench", "/silences"):
        page.goto(daemon.url + path)
        assert [] == page.evaluate(UNLABELLED), f"form controls without a label on {path}"
    page.keyboard.press("Tab")
    assert "Skip to content" == page.evaluate("document.activeElement.textContent")

    page.goto(daemon.url + "/feeds")
    expect(page.locator("#feeds tr.feed")).to_have_count(3)
    expect(page.locator("#feeds tr.feed").first).to_contain_text("Closed port")
    expect(page.locator("#feeds tr.feed").first).to_contain_text("nothing answers at that address")
    shot(page, tmp_path, "desk-feeds")
    page.goto(daemon.url + "/deliveries")
    dead = page.locator("#dead tbody tr")
    expect(dead).to_have_count(1)
    expect(dead).to_contain_text("Rebels enter Homs")
    shot(page, tmp_path, "desk-deliveries")
    dead.get_by_role("button").click()
    expect(page.locator(".flash")).to_have_text("1 delivery put back in the queue.")
    expect(page.locator("#dead tbody tr")).to_have_count(0)
    refused = receiver.received()[0].headers["webhook-id"]
    wait_for(
        lambda: [r.headers["webhook-id"] for r in receiver.received()].count(refused) == 2,
        "the dead letter sent again, with its webhook-id",
    )

    phone = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    phone.context.add_cookies(page.context.cookies())
    phone.goto(daemon.url + "/")
    expect(story(phone, "Rebels enter Homs")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(phone, tmp_path, "desk-phone-dark")

    assert [] == dialogs, "a feed string ran as script"
    assert [] == [e for e in errors if "Content Security Policy" in e]


def alert_titled(daemon: Daemon, title: str) -> dict[str, Any] | None:
    """The stored alert whose title starts with `title`, read over the API with the token."""
    rows = httpx.get(
        daemon.url + "/api/alerts?since=1h&limit=200",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    ).json()["alerts"]
    return next((a for a in rows if a["title"].startswith(title)), None)


def test_a_silence_from_a_chip_mutes_the_next_alert_until_it_is_expired(
    browser: Browser, daemon: Daemon, feeds: FeedServer
) -> None:
    """'mute 6 h' on a story's entity chip adds a silence over /api/silences: the next alert
    on that place is stored muted. Expired from the silences page, the one after is not."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    daemon.wait_polled(TOKEN)
    page.goto(daemon.url + "/login?next=/")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    expect(page.locator("#live-state")).to_have_text("live", timeout=15_000)
    feeds.publish("wire", SampleItem("s1", "Rebels enter Hama", "Fighters reached Hama.", ""))
    card = story(page, "Rebels enter Hama")
    expect(card).to_be_visible(timeout=20_000)
    mute = card.locator("button.mute[data-entity=hama]")
    mute.click()
    expect(mute).to_have_text("muted 6 h")

    feeds.publish("wire", SampleItem("s2", "Air strike on Hama market kills 12", "", ""))
    wait_for(lambda: alert_titled(daemon, "Air strike on Hama"), "the alert while muted")
    muted = alert_titled(daemon, "Air strike on Hama")
    assert muted is not None and muted["muted"], muted

    page.goto(daemon.url + "/silences")
    expire = page.locator("#silences button.expire")
    expect(expire).to_have_count(1)
    expire.click()
    expect(page.locator("#silences button.expire")).to_have_count(0)
    feeds.publish("wire", SampleItem("s3", "Aid convoy reaches Hama", "", ""))
    wait_for(lambda: alert_titled(daemon, "Aid convoy reaches Hama"), "the alert after expiry")
    after = alert_titled(daemon, "Aid convoy reaches Hama")
    assert after is not None and not after["muted"], after
