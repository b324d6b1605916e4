"""Slack, Discord and Teams bodies: structure, platform limits, and escaping of hostile feed
text (`<!channel>`, `@everyone`, `<http://x|y>`, markdown)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.notify.scenarios import (
    SECRET,
    hostile_alert,
    make_alert,
    make_digest,
    make_message,
)
from tests.notify.servers import Receiver
from wirewatch.model import FeedItem
from wirewatch.notify import discord, slack, teams
from wirewatch.notify.base import Message
from wirewatch.notify.registry import build_notifier
from wirewatch.notify.webhook import WebhookSettings
from wirewatch.testing import FixedClock


def strings(document: Any) -> list[str]:
    """Every string anywhere in a JSON document."""
    if isinstance(document, str):
        return [document]
    if isinstance(document, dict):
        return [s for value in document.values() for s in strings(value)]
    if isinstance(document, list):
        return [s for value in document for s in strings(value)]
    return []


def check_slack(body: dict[str, Any]) -> None:
    assert {"text", "blocks"} == set(body)
    assert "header" == body["blocks"][0]["type"]
    assert len(body["blocks"][0]["text"]["text"]) <= slack.HEADER_LIMIT
    assert len(body["blocks"]) <= 50
    kinds = {block["type"] for block in body["blocks"]}
    assert kinds <= {"header", "section", "context", "divider"}


def check_discord(body: dict[str, Any]) -> None:
    assert {"parse": []} == body["allowed_mentions"]
    assert len(body["content"]) <= discord.CONTENT_LIMIT
    assert 1 <= len(body["embeds"]) <= discord.MAX_EMBEDS
    assert sum(discord.embed_size(e) for e in body["embeds"]) <= discord.EMBEDS_TOTAL_LIMIT
    for embed in body["embeds"]:
        assert len(embed["title"]) <= discord.TITLE_LIMIT
        assert len(embed.get("description", "")) <= discord.DESCRIPTION_LIMIT


def check_teams(body: dict[str, Any]) -> None:
    assert "message" == body["type"]
    [attachment] = body["attachments"]
    assert "application/vnd.microsoft.card.adaptive" == attachment["contentType"]
    card = attachment["content"]
    assert ("AdaptiveCard", "1.4") == (card["type"], card["version"])
    assert "TextBlock" == card["body"][0]["type"]


CHECKS = {"slack": check_slack, "discord": check_discord, "teams": check_teams}


@pytest.mark.integration
@pytest.mark.parametrize("fmt", sorted(CHECKS))
@pytest.mark.parametrize("message", [make_message(), make_digest(3)], ids=["single", "digest"])
async def test_real_delivery_of_each_chat_format(
    receiver: Receiver, client: httpx.AsyncClient, fmt: str, message: Message
) -> None:
    """Each chat format reaches a real receiver as one well-formed JSON request."""
    settings = WebhookSettings(name="chat", url=receiver.url, format=fmt, secrets=(SECRET,))

    await build_notifier(settings, client=client, clock=FixedClock()).send(message)

    [request] = receiver.received()
    CHECKS[fmt](json.loads(request.body))
    assert "msg_" in request.headers["webhook-id"]


FORBIDDEN = {
    "slack": ("<!channel>", "<!here>", "<http://evil.example|"),
    "discord": ("@everyone", "@here", "[x](http", "<!channel>"),
}


@pytest.mark.parametrize("fmt", sorted(FORBIDDEN))
def test_hostile_text_cannot_mention_or_inject_links(fmt: str) -> None:
    """No raw mention or link syntax of the platform survives from feed text."""
    render = {"slack": slack.render, "discord": discord.render}[fmt]
    body = render(make_message(hostile_alert()))
    text = "\n".join(strings(body))

    CHECKS[fmt](body)
    assert [] == [raw for raw in FORBIDDEN[fmt] if raw in text]


def test_slack_escapes_control_characters_and_keeps_our_link() -> None:
    """Feed text has &, < and > escaped; the item link is the only link, with `|` encoded."""
    body = slack.render(make_message(hostile_alert()))
    section = body["blocks"][1]["text"]["text"]

    assert section.startswith("*<https://example.org/a?b=1&amp;c=&lt;2&gt;%7C3|&lt;!channel&gt;")
    assert "&lt;http://evil.example|click&gt;" in section
    assert "&lt;!here&gt;" in section


def test_discord_escapes_markdown_and_mass_mentions() -> None:
    """Markdown gets backslashes and @everyone/@here a zero-width space."""
    embed = discord.render(make_message(hostile_alert()))["embeds"][0]

    assert embed["title"].startswith("\\<!channel\\> @\u200beveryone \\*Homs\\* falls")
    assert "@\u200bhere see" in embed["description"]
    assert "\\`code\\` \\~strike\\~" in embed["description"]


def test_discord_long_title_is_cut_to_256_after_escaping() -> None:
    """A title full of escapable characters still fits the 256-character limit."""
    item = FeedItem(id="x", title="*_" * 400, url="https://example.org/x")
    embed = discord.render(make_message(make_alert(item=item)))["embeds"][0]

    assert len(embed["title"]) <= discord.TITLE_LIMIT
    assert not embed["title"].endswith("\\")


def test_discord_digest_keeps_within_ten_embeds_and_says_so() -> None:
    """A digest of 14 alerts shows 10 embeds and the content says how many were left out."""
    body = discord.render(make_digest(14))

    check_discord(body)
    assert 10 == len(body["embeds"])
    assert body["content"].endswith("(showing 10 of 14)")


def test_slack_digest_is_one_message_within_50_blocks() -> None:
    """A digest of 40 alerts is one message of at most 50 blocks ending with a note."""
    body = slack.render(make_digest(40))

    check_slack(body)
    assert "and 25 more alerts" == body["blocks"][-1]["elements"][0]["text"]


def test_teams_digest_stacks_one_container_per_alert_with_a_link() -> None:
    """Each alert of a digest is a container with its facts and an Open article button."""
    card = teams.render(make_digest(3))["attachments"][0]["content"]
    containers = [element for element in card["body"] if element["type"] == "Container"]

    assert 3 == len(containers)
    action = containers[0]["items"][-1]["actions"][0]
    expected = "https://www.reuters.com/world/middle-east/homs-1/"
    assert ("Action.OpenUrl", expected) == (action["type"], action["url"])


def test_teams_feed_text_is_never_read_as_markdown() -> None:
    """A headline's link and bold markup reach the card as text runs, which Adaptive Cards
    show as written; no TextBlock (which reads Markdown) carries feed text."""
    item = FeedItem(
        id="x",
        title="[Verify your account](https://evil.example/login) **bold**",
        summary="_urgent_ [log in](https://evil.example/) {{DATE(2017-02-14T06:08:00Z)}}",
        url="https://example.org/x",
    )
    card = teams.render(make_message(make_alert(item=item)))["attachments"][0]["content"]
    blocks = [e for c in card["body"] if c["type"] == "Container" for e in c["items"]]
    runs = [run for b in blocks if b["type"] == "RichTextBlock" for run in b["inlines"]]
    text_blocks = [b["text"] for b in card["body"] + blocks if b["type"] == "TextBlock"]

    assert item.title == runs[0]["text"]
    assert ("TextRun", "Bolder") == (runs[0]["type"], runs[0]["weight"])
    assert runs[1]["text"].startswith("_urgent_ [log in](https://evil.example/) {\u200b{DATE(")
    assert [] == [t for t in text_blocks if "evil.example" in t or "**" in t]


@pytest.mark.parametrize("title", ["&" * 4000, "<b> " * 1000, "Homs " * 700, "a" * 5000])
def test_slack_section_cut_at_3000_keeps_its_link_whole(title: str) -> None:
    """A long title full of characters to escape is cut before escaping: the section ends its
    link with `>*`, holds no half entity, and stays within 3,000 characters."""
    item = FeedItem(id="x", title=title, summary="<b>&</b> " * 1000, url="https://example.org/x")
    section = slack.render(make_message(make_alert(item=item)))["blocks"][1]["text"]["text"]
    head = section.split("\n")[0]

    assert len(section) <= slack.TEXT_LIMIT
    assert head.startswith("*<https://example.org/x|") and head.endswith(">*")
    assert head.count("<") == 1 and head.count(">") == 1
    for part in section[1:].split("&")[1:]:
        assert part.startswith(("amp;", "lt;", "gt;")), part[:8]
