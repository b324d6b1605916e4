"""The generic JSON payload v1: its fields, its schema and the docs copy of that schema."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.notify.scenarios import AP, REUTERS, make_alert, make_digest, make_message
from wirewatch.model import FeedItem, Match
from wirewatch.notify import payload
from wirewatch.notify.render import SNIPPET_LIMIT, iso, truncate

DOCS_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "webhook-payload.schema.json"


def validate(document: Any) -> None:
    schema = payload.load_schema()
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(document)


def test_docs_schema_is_the_shipped_schema() -> None:
    """docs/webhook-payload.schema.json is a byte-for-byte copy of the packaged schema."""
    shipped = payload.load_schema()

    assert shipped == json.loads(DOCS_SCHEMA.read_text(encoding="utf-8"))


def test_schema_is_valid_draft_2020_12() -> None:
    """The schema itself passes the 2020-12 meta-schema."""
    jsonschema.Draft202012Validator.check_schema(payload.load_schema())


def test_single_alert_payload_has_the_documented_fields() -> None:
    """One alert: envelope plus the alert's fields at the top level, entities grouped."""
    document = payload.build(make_message())

    assert "1" == document["version"]
    assert "alert.created" == document["type"]
    assert "msg_a1_ops" == document["id"]
    assert "a1" == document["alert_id"]
    assert "2024-12-07T18:30:00Z" == document["created_at"]
    assert ["homs", "assad", "hts"] == [e["id"] for e in document["entities"]]
    homs = document["entities"][0]
    expected_matches = [
        {"field": "title", "start": 20, "end": 24, "text": "Homs", "alias": "Homs"},
        {"field": "summary", "start": 38, "end": 42, "text": "Homs", "alias": "Homs"},
    ]
    assert expected_matches == homs["matches"]
    assert 2 == len(document["sources"])
    validate(document)


def test_feed_is_the_configured_name_with_its_url_beside_it() -> None:
    """`feed` is the feed's configured name and `feed_url` its URL, in items and sources; a
    feed without a name shows its URL in both."""
    document = payload.build(make_message())
    [item] = document["items"]
    assert ("Reuters World", REUTERS) == (item["feed"], item["feed_url"])
    assert [("Reuters World", REUTERS), ("AP Top News", AP)] == [
        (s["feed"], s["feed_url"]) for s in document["sources"]
    ]
    unnamed = payload.build(make_message(make_alert(feed_name="")))
    assert (REUTERS, REUTERS) == (unnamed["items"][0]["feed"], unnamed["items"][0]["feed_url"])


def test_an_entity_carries_its_display_name_apart_from_the_text_matched() -> None:
    """An entity found as "Moscow" but labelled "Russia" is named Russia; the match keeps
    the text found and which alias matched."""
    moscow = Match("russia", "actor", "Moscow", "title", 0, 6, "Moscow")
    alert = make_alert(matches=(moscow,), labels=(("russia", "Russia"),))
    [entity] = payload.build(make_message(alert))["entities"]
    assert ("Russia", "Moscow", "Moscow") == (
        entity["name"],
        entity["matches"][0]["text"],
        entity["matches"][0]["alias"],
    )
    older = make_alert(matches=(moscow,), labels=())  # stored before labels: the alias
    assert "Moscow" == payload.build(make_message(older))["entities"][0]["name"]


def test_summary_is_a_snippet_of_at_most_300_characters() -> None:
    """The item's summary is cut at a word boundary and ends with an ellipsis."""
    summary = payload.build(make_message())["items"][0]["summary"]

    assert len(summary) <= SNIPPET_LIMIT
    assert summary.endswith("…")


def test_digest_payload_lists_alerts_and_validates() -> None:
    """A digest carries every alert under `alerts`, each in the single-alert shape."""
    document = payload.build(make_digest(3))

    assert "alert.digest" == document["type"]
    assert ["a1", "a2", "a3"] == [a["alert_id"] for a in document["alerts"]]
    assert "alert_id" not in document
    validate(document)


def test_every_emitted_field_is_documented() -> None:
    """No field reaches receivers without a place in the schema."""
    schema = payload.load_schema()
    defs = schema["$defs"]
    document = payload.build(make_message())
    alert_fields = set(defs["alert"]["properties"])

    assert set(document) - {"version", "type", "id"} <= alert_fields
    assert set(document["items"][0]) <= set(defs["item"]["properties"])
    assert set(document["sources"][0]) <= set(defs["source"]["properties"])
    assert set(document["entities"][0]) <= set(defs["entity"]["properties"])


def test_schema_rejects_a_payload_missing_an_alert_field() -> None:
    """The schema is strict about required fields, so it catches a broken payload."""
    document = payload.build(make_message())
    del document["story_id"]

    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_payload_without_dates_or_severity_validates() -> None:
    """Unknown publication date and severity are null, which the schema allows."""
    alert = make_alert(item=FeedItem(id="x", title="Homs"), severity=None, sources=())

    document = payload.build(make_message(alert))

    assert None is document["items"][0]["published"]
    validate(document)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("one two three four", 12, "one two…"),
        ("abcdefghijklmnop", 8, "abcdefg…"),
    ],
)
def test_truncate_cuts_at_a_word_boundary(text: str, limit: int, expected: str) -> None:
    """Text over the limit is cut, at a space when one is near, and marked with an ellipsis."""
    assert expected == truncate(text, limit)


def test_iso_treats_naive_times_as_utc() -> None:
    """A naive datetime is taken as UTC and written with a Z."""
    assert "2024-12-07T10:00:00Z" == iso(datetime(2024, 12, 7, 10, 0))
