"""Slack incoming webhooks (`format: slack`): `text` for notifications plus Block Kit `blocks`.

Feed text is escaped (`&`, `<`, `>`), so a title cannot write `<!channel>` or a disguised
`<http://x|y>` link; only links we build from the item URL are links.
"""

from __future__ import annotations

from typing import Any

from wirewatch.notify.base import Message
from wirewatch.notify.render import AlertView, headline, title, truncate, views
from wirewatch.notify.webhook import WebhookFormat

HEADER_LIMIT = 150
TEXT_LIMIT = 3000
MAX_ALERTS = 15  # 1 header + 3 blocks per alert + 1 note stays under Slack's 50 blocks

Block = dict[str, Any]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str, limit: int = TEXT_LIMIT) -> str:
    """A mrkdwn link of at most `limit` characters, its label cut to fit after escaping, or the
    escaped label alone when there is no web URL (or the URL alone would not fit)."""
    target = escape(url).replace("|", "%7C").replace(" ", "%20")
    if not url or len(target) + 3 > limit // 2:
        return fit(label, limit)
    return f"<{target}|{fit(label, limit - len(target) - 3)}>"


def fit(text: str, limit: int) -> str:
    """`text` escaped, cut first (at a word where possible) so that the escaped text fits
    `limit`: a cut never splits an `&amp;` or leaves a link without its `>`."""
    if limit <= 0:
        return ""
    cut = limit
    while True:
        escaped = escape(truncate(text, cut))
        if len(escaped) <= limit:
            return escaped
        cut -= max(1, (len(escaped) - limit) // 5)


def render(message: Message) -> dict[str, Any]:
    shown = views(message)[:MAX_ALERTS]
    blocks: list[Block] = [_header(headline(message))]
    for index, v in enumerate(shown):
        if index:
            blocks.append({"type": "divider"})
        blocks += [_section(v), _context(v)]
    hidden = len(message.alerts) - len(shown)
    if hidden:
        blocks.append(_note(f"and {hidden} more alert{'s' if hidden != 1 else ''}"))
    text = fit(f"{headline(message)}: {title(message)}", TEXT_LIMIT)
    return {"text": text, "blocks": blocks}


def _header(text: str) -> Block:
    plain = {"type": "plain_text", "text": truncate(text, HEADER_LIMIT), "emoji": False}
    return {"type": "header", "text": plain}


def _section(v: AlertView) -> Block:
    """The title as a bold link, then the snippet: cut to fit before escaping, so the section
    stays within Slack's 3,000 characters with its markup whole."""
    text = f"*{link(v.url, v.title, TEXT_LIMIT - 2)}*"
    room = TEXT_LIMIT - len(text) - 1
    if v.snippet and room > 0:
        text += "\n" + fit(v.snippet, room)
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(v: AlertView) -> Block:
    elements = [
        {"type": "mrkdwn", "text": f"*{name}:* {escape(truncate(value, 500))}"}
        for name, value in v.facts
    ]
    return {"type": "context", "elements": elements}


def _note(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(text)}]}


FORMAT = WebhookFormat("slack", render)
