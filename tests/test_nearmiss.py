"""`classify --explain`'s near misses (_nearmiss.py), the per-entity surname and plural
switches, and the warning about JSON Lines fields classify does not read."""

from __future__ import annotations

import pytest

from wirewatch.commands.classify import unknown_fields
from wirewatch.match.classifier import Matcher
from wirewatch.match.watchlist import Watchlist
from wirewatch.model import FeedItem

WATCHLIST = Watchlist.model_validate(
    {
        "name": "w",
        "alert": {"fields": ["title", "summary"], "min_entities": 1},
        "entities": [
            {"id": "russia", "kind": "place", "names": ["Moscow"], "exclude": ["Moscow, Idaho"]},
            {"id": "turkey", "kind": "place", "names": ["Turkey"]},
            {"id": "homs", "kind": "place", "names": ["Homs"]},
            {"id": "un", "kind": "actor", "names": ["UN"]},
        ],
    }
)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            FeedItem("1", title="Potato prices in Moscow, Idaho"),
            [("russia", "title", "Moscow", "inside the exclude phrase 'Moscow, Idaho'")],
        ),
        (
            FeedItem("2", title="Turkey prices climb", summary="turkey farmers worry"),
            [
                ("turkey", "title", "Turkey", "common-word rule: the item also writes 'turkey'"),
                ("turkey", "summary", "turkey", "common-word rule: 'Turkey' counts only"),
            ],
        ),
        (
            FeedItem("3", title="Un accord signé", summary="Homsy wins"),
            [
                ("un", "title", "Un", "capitals rule: 'UN' counts only written in capitals"),
                ("homs", "summary", "Homs", "not a whole word ('Homsy')"),
            ],
        ),
        (
            FeedItem("4", title="Quiet day", content="Shelling in Homs"),
            [("homs", "content", "Homs", "content is not in alert.fields")],
        ),
        (FeedItem("5", title="Shelling in Homs"), []),  # what counts is no near miss
    ],
)
def test_near_misses_say_which_rule(
    item: FeedItem, expected: list[tuple[str, str, str, str]]
) -> None:
    misses = Matcher(WATCHLIST).near_misses(item)
    assert len(expected) == len(misses), misses
    for (entity, field, text, reason), miss in zip(expected, misses, strict=True):
        assert (entity, field, text) == (miss.entity, miss.field, miss.text)
        assert miss.reason.startswith(reason), miss.reason


def test_the_alert_rule_that_was_missed_is_named() -> None:
    strict = WATCHLIST.model_copy(
        update={"alert": WATCHLIST.alert.model_copy(update={"min_entities": 2})}
    )
    matcher = Matcher(strict)
    result = matcher.classify(FeedItem("1", title="Shelling in Homs"))
    assert (False, "1 entity named; alert.min_entities is 2") == (
        result.alert,
        matcher.rule_problem(result),
    )


def actor(**switches: bool) -> Matcher:
    entity = {"id": "qassem", "kind": "actor", "names": ["Naim Qassem"], **switches}
    return Matcher(Watchlist.model_validate({"name": "w", "entities": [entity]}))


@pytest.mark.parametrize(
    ("switches", "title", "alerts"),
    [
        ({}, "Qassem speaks", True),  # the surname rule
        ({"surname": False}, "Qassem speaks", False),
        ({"surname": False}, "Naim Qassem speaks", True),
        ({}, "Two Naim Qassems", True),  # the plural rule
        ({"plural": False}, "Two Naim Qassems", False),
    ],
)
def test_surname_and_plural_rules_can_be_switched_off(
    switches: dict[str, bool], title: str, alerts: bool
) -> None:
    assert alerts == actor(**switches).classify(FeedItem("1", title=title)).alert


def test_unknown_fields_are_warned_about_once_each() -> None:
    data = b'{"id": "1", "description": "x"}\n{"id": "2", "description": "y", "url": "u"}\n'
    assert [
        "input field 'description' is not read (did you mean 'summary'?); classify reads id,"
        " title, summary, content, url, link, feed"
    ] == unknown_fields(data)
