"""Caps on what one feed can make wirewatch hold, store and send (the config's `limits:`).

A stranger's feed decides how long its texts are, how many items it lists and how often a name
recurs; without caps one 10 MB description of "Homs Homs ..." made a 3.7 GB daemon, a 150 MB
webhook and a 239 MB alert row. Each cap is applied once, where every path passes:

- `clip_item`: where items are made from outside input (`parse` for feeds, `classify` for
  JSON Lines): texts are cut after they are plain text, so offsets still point into them;
- `parse`: the newest `items_per_feed` items of a document (undated ones count as oldest);
- `classify.Matcher.classify`: `matches_per_entity` matches reported per entity and item,
  the rest counted in `Classification.omitted`;
- `notify.payload.Payloads.build`: `payload_bytes`, the most a JSON webhook body (and a
  console line) may weigh, 256 KiB by default; a longer one is shrunk and says `truncated`.
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wirewatch.model import FeedItem, Match

PAYLOAD_BYTES = 256 * 1024
MIN_PAYLOAD_BYTES = 16 * 1024
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024


class Limits(BaseModel):
    """The `limits:` section of the config; the defaults suit news feeds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title_chars: int = Field(default=1_000, ge=100)
    """Characters kept of an item's title (and of each author and tag)."""
    text_chars: int = Field(default=20_000, ge=1_000, le=500_000)
    """Characters kept of an item's summary and of its content, after HTML is removed (from
    at most the first `plaintext.MAX_SOURCE` characters, 1 Mi, of the field as written)."""
    matches_per_entity: int = Field(default=20, ge=1)
    """Matches reported per entity and item; the others are only counted."""
    items_per_feed: int = Field(default=500, ge=1)
    """Items taken from one feed document per poll, the newest first."""
    payload_bytes: int = Field(default=PAYLOAD_BYTES, ge=MIN_PAYLOAD_BYTES, le=MAX_PAYLOAD_BYTES)
    """Bytes (UTF-8) a JSON webhook body may weigh; a longer one is shrunk (docs/webhooks.md).
    At least 16 KiB, so that one shrunk alert always fits; at most 16 MiB."""

    @field_validator("payload_bytes", mode="before")
    @classmethod
    def _payload_bytes_in_range(cls, value: object) -> object:
        if type(value) is int and not MIN_PAYLOAD_BYTES <= value <= MAX_PAYLOAD_BYTES:
            raise ValueError(
                f"{value:,} bytes is outside {MIN_PAYLOAD_BYTES:,}..{MAX_PAYLOAD_BYTES:,} "
                f"(16 KiB to 16 MiB; the default is {PAYLOAD_BYTES:,}, 256 KiB)"
            )
        return value


DEFAULT = Limits()
MAX_LABELS = 50  # authors and tags kept per item


def clip(text: str, limit: int) -> str:
    """The first `limit` characters of `text` (a prefix: offsets into it stay valid)."""
    return text if len(text) <= limit else text[:limit].rstrip()


def clip_item(item: FeedItem, limits: Limits = DEFAULT) -> FeedItem:
    """`item` with every text within its cap (the same object when nothing is over)."""
    title, text = limits.title_chars, limits.text_chars
    if (
        len(item.title) <= title
        and len(item.summary) <= text
        and len(item.content) <= text
        and len(item.authors) <= MAX_LABELS
        and len(item.tags) <= MAX_LABELS
        and all(len(label) <= title for label in (*item.authors, *item.tags))
    ):
        return item
    return dataclasses.replace(
        item,
        title=clip(item.title, title),
        summary=clip(item.summary, text),
        content=clip(item.content, text),
        authors=tuple(clip(a, title) for a in item.authors[:MAX_LABELS]),
        tags=tuple(clip(t, title) for t in item.tags[:MAX_LABELS]),
    )


def cap_matches(
    matches: list[Match], per_entity: int
) -> tuple[tuple[Match, ...], tuple[tuple[str, int], ...]]:
    """The first `per_entity` matches of each entity, and per entity how many were left out."""
    seen: dict[str, int] = {}
    kept = []
    for m in matches:
        seen[m.entity] = seen.get(m.entity, 0) + 1
        if seen[m.entity] <= per_entity:
            kept.append(m)
    omitted = tuple((e, n - per_entity) for e, n in seen.items() if n > per_entity)
    return tuple(kept), omitted
