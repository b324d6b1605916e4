"""The routing tree (routing.py), the labels an alert carries into it and the label matchers
it uses (matchers.py): table tests, then config problems and the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_pipeline import Web
from wirewatch.delivery import matchers as m
from wirewatch.delivery.matchers import Labels
from wirewatch.delivery.routing import (
    RouteConfig,
    Router,
    labels_of,
    legacy_tree,
    severity_and_tags,
)
from wirewatch.demo import SampleItem
from wirewatch.errors import ConfigError
from wirewatch.ingest.fetch import Fetcher
from wirewatch.loading import load_everything
from wirewatch.match.watchlist import parse_watchlist
from wirewatch.model import Alert, Classification, EntityKind, Match
from wirewatch.observability.metrics import Metrics
from wirewatch.pipeline import Pipeline
from wirewatch.storage.base import DeliveryRecord
from wirewatch.storage.sqlite import SqliteStore
from wirewatch.stories.index import StoryIndex
from wirewatch.testing import FixedClock

HOMS = Labels(
    watchlist="syria",
    entities=("homs", "assad"),
    kinds=("place", "actor"),
    severity="high",
    tags=("city", "regime"),
    feed=("BBC", "https://bbc.example/rss"),
    action="advance",
)
QUIET = Labels(watchlist="syria", entities=("un",), kinds=("actor",), severity=None)


MATCHED = {
    HOMS: [
        "entity = homs",
        "entity != hama",
        "tag =~ 'reg.*'",
        "severity >= high",
        "severity < critical",
        "feed = BBC",
        "feed = 'https://bbc.example/rss'",
        "action = advance",
    ],
    QUIET: [
        "severity = normal",  # no severity counts as normal
        "severity >= low",
        "action != advance",
        "watchlist =~ 'sy.*'",
    ],
}
MISSED = {
    HOMS: [
        "entity = hama",
        "entity != assad",  # != holds only when no value is equal
        "tag =~ reg",  # the whole value must match
        "tag !~ 'c.*'",
        "severity > high",
    ],
    QUIET: ["kind = place", "action = advance"],
}


@pytest.mark.parametrize(
    ("labels", "text", "expected"),
    [(labels, text, True) for labels, texts in MATCHED.items() for text in texts]
    + [(labels, text, False) for labels, texts in MISSED.items() for text in texts],
)
def test_matchers(labels: Labels, text: str, expected: bool) -> None:
    """Each operator, on single and many-valued labels."""
    assert expected == m.parse(text).matches(labels)


BAD_MATCHERS = {
    "entity homs": "is not a matcher; write KEY OP VALUE",
    "place = homs": "unknown matcher key 'place'; use one of watchlist, entity",
    "severity = hihg": "unknown severity 'hihg'; use one of info, low, normal, high",
    "tag >= x": ">= compares severities only",
    "kind = plac": "unknown kind 'plac'; use place or actor",
    "entity =~ '('": "is not a regular expression",
    "entity = ": "'entity =' needs a value",
}


@pytest.mark.parametrize(("text", "message"), BAD_MATCHERS.items())
def test_bad_matchers_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        m.parse(text)
    assert message in str(caught.value)


def tree(data: dict[str, Any]) -> Router:
    return Router(RouteConfig.model_validate(data), ("slack", "mail", "hook"))


TREE = {
    "notifiers": "all",
    "routes": [
        {"name": "noise", "matchers": ["tag = noise"], "drop": True},
        {
            "name": "desk",
            "matchers": ["severity >= high"],
            "notifiers": ["slack"],
            "continue": True,
            "routes": [{"name": "homs", "entities": ["homs"], "notifiers": ["hook"]}],
        },
        {"name": "places", "kinds": ["place"], "notifiers": ["mail"]},
        {"name": "never", "kinds": ["place"], "notifiers": ["hook"]},
    ],
}


@pytest.mark.parametrize(
    ("labels", "notifiers", "taken"),
    [
        # desk continues; its child homs takes it; then places takes it and stops the walk
        (HOMS, ("hook", "mail"), ["route.routes[1].routes[0]", "route.routes[2]"]),
        # high but not homs: desk keeps it itself, then places
        (
            Labels("syria", ("hama",), ("place",), "critical"),
            ("slack", "mail"),
            ["route.routes[1]", "route.routes[2]"],
        ),
        # no child matches: the root's default receiver
        (QUIET, ("slack", "mail", "hook"), ["route"]),
        # the first matching route without continue stops the walk, even if it drops
        (Labels("syria", ("homs",), ("place",), "critical", ("noise",)), (), ["route.routes[0]"]),
    ],
)
def test_the_tree_is_walked_like_alertmanagers(
    labels: Labels, notifiers: tuple[str, ...], taken: list[str]
) -> None:
    routed = tree(TREE).route(labels)
    assert (notifiers, taken) == (routed.notifiers, [p[-1].path for p in routed.taken])


def test_an_explicit_drop_says_which_route() -> None:
    routed = tree(TREE).route(Labels("syria", ("x",), tags=("noise",)))
    assert "drop: route.routes[0] (noise)" == routed.muted


def test_a_route_without_notifiers_inherits_its_parents() -> None:
    router = tree(
        {"notifiers": ["mail"], "routes": [{"entities": ["homs"], "routes": [{"tags": ["city"]}]}]}
    )
    assert ("mail",) == router.route(HOMS).notifiers


@pytest.mark.parametrize(
    ("labels", "notifiers", "muted"),
    [
        (HOMS, ("slack", "mail"), None),  # both old routes match: the union, as before
        (Labels("syria", ("hama",), ("place",)), ("mail",), None),
        (QUIET, (), "drop: route (no route matched)"),  # silently lost before; counted now
    ],
)
def test_the_old_routes_list_keeps_its_meaning(
    labels: Labels, notifiers: tuple[str, ...], muted: str | None
) -> None:
    old = [
        RouteConfig.model_validate({"notifiers": ["slack"], "severities": ["high"]}),
        RouteConfig.model_validate({"notifiers": ["mail"], "kinds": ["place"]}),
    ]
    routed = Router(legacy_tree(old), ("slack", "mail")).route(labels)
    assert (notifiers, muted) == (routed.notifiers, routed.muted)


def test_no_routes_means_every_notifier() -> None:
    assert ("a", "b") == Router(legacy_tree(()), ("a", "b")).route(QUIET).notifiers


def test_continue_routes_add_up_and_each_notifier_is_named_once() -> None:
    """Every matching route with `continue` takes the alert; the notifiers are their union,
    in the order of the routes, without repeats."""
    router = tree(
        {
            "notifiers": "all",
            "routes": [
                {"entities": ["homs"], "notifiers": ["slack"], "continue": True},
                {"tags": ["city"], "notifiers": ["hook", "slack"], "continue": True},
                {"severities": ["high"], "notifiers": ["mail"]},
            ],
        }
    )
    routed = router.route(HOMS)

    assert ("slack", "hook", "mail") == routed.notifiers
    assert ["route.routes[0]", "route.routes[1]", "route.routes[2]"] == [
        p[-1].path for p in routed.taken
    ]


def test_a_child_of_a_dropping_route_inherits_the_drop() -> None:
    """A route without notifiers inherits its parent's, and a drop has none to give."""
    router = tree(
        {
            "notifiers": "all",
            "routes": [{"name": "mute", "drop": True, "routes": [{"tags": ["city"]}]}],
        }
    )
    routed = router.route(HOMS)

    assert ((), "drop: route.routes[0].routes[0]") == (routed.notifiers, routed.muted)


def test_compiled_routes_show_their_receivers_and_labels() -> None:
    """What `routes show` prints per route: the path with the name, and where it sends."""
    root = tree(TREE).root

    assert [
        ("route.routes[0] (noise)", "drop"),
        ("route.routes[1] (desk)", "slack"),
        ("route.routes[2] (places)", "mail"),
        ("route.routes[3] (never)", "hook"),
    ] == [(r.label, r.receiver) for r in root.children]
    assert ("route", "slack, mail, hook") == (root.label, root.receiver)


LABELLED = parse_watchlist(
    {
        "name": "syria",
        "severity": "low",
        "tags": ["country"],
        "entities": [
            {"id": "homs", "kind": "place", "names": ["Homs"], "tags": ["city"]},
            {"id": "hts", "kind": "actor", "names": ["HTS"], "severity": "high", "tags": ["rebel"]},
            {"id": "un", "kind": "actor", "names": ["UN"], "severity": "critical"},
        ],
    },
    source="test",
)


def matched(*pairs: tuple[str, EntityKind]) -> Classification:
    found = tuple(Match(e, kind, e, "title", 0, 1, e) for e, kind in pairs)
    return Classification("syria", "1", True, found)


@pytest.mark.parametrize(
    ("result", "severity", "tags"),
    [
        (matched(("homs", "place")), "low", ("country", "city")),  # the watchlist's severity
        (matched(("homs", "place"), ("hts", "actor")), "high", ("country", "city", "rebel")),
        (matched(("hts", "actor"), ("homs", "place")), "high", ("country", "rebel", "city")),
    ],
)
def test_an_alert_takes_its_highest_entity_severity_and_every_matched_tag(
    result: Classification, severity: str, tags: tuple[str, ...]
) -> None:
    """Unmatched entities (un, critical) add nothing; tags keep their first order, once."""
    assert (severity, tags) == severity_and_tags(LABELLED, result)


def test_labels_of_an_alert_name_each_kind_and_feed_once() -> None:
    result = matched(("homs", "place"), ("hts", "actor"), ("homs", "place"))
    labels = labels_of(LABELLED, result, feed=("BBC", "", "BBC"), action="attack")

    assert (
        Labels(
            "syria",
            ("homs", "hts"),
            ("place", "actor"),
            "high",
            ("country", "city", "rebel"),
            ("BBC",),
            "attack",
        )
        == labels
    )
    assert m.parse("severity >= high").matches(labels)


WATCHLIST = """\
name: syria
tags: [country]
entities:
  - {id: homs, kind: place, names: [Homs], tags: [city], severity: high}
  - {id: hama, kind: place, names: [Hama]}
"""


def load_problems(tmp_path: Path, routing: str) -> list[str]:
    (tmp_path / "syria.yaml").write_text(WATCHLIST, encoding="utf-8")
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        "watchlists: [syria.yaml]\n"
        "notifiers: [{name: slack, type: console}, {name: mail, type: console}]\n" + routing,
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_everything(config)
    return caught.value.problems


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        (
            "route: {routes: [{notifiers: [slack]}]}\n",
            "route: the root route needs a default receiver: `notifiers: all`",
        ),
        (
            "route: {notifiers: all, matchers: ['tag = city']}\n",
            "route: the root route takes every alert; put matchers on its routes",
        ),
        (
            "route: {notifiers: all, routes: [{notifiers: [slak]}]}\n",
            "route.routes[0].notifiers: no notifier 'slak' is defined; did you mean 'slack'?",
        ),
        (
            "route: {notifiers: all, routes: [{notifiers: [pager]}]}\n",
            "route.routes[0].notifiers: no notifier 'pager' is defined; known: slack, mail",
        ),
        (
            "routes: [{notifiers: [slack], tags: [lebanno]}]\n",
            "routes[0].tags: no tag 'lebanno' is defined; known: country, city",
        ),
        (
            "route: {notifiers: all, routes: [{matchers: ['entity = homz'], drop: true}]}\n",
            "route.routes[0].matchers[0]: no entity 'homz' is defined; did you mean 'homs'?",
        ),
        (
            "routes: [{notifiers: [slack], severities: [hihg]}]\n",
            "unknown severity 'hihg'; use one of info, low, normal, high, critical",
        ),
        ("routes: [{watchlists: [syria]}]\n", "routes[0]: name its notifiers"),
        (
            "route: {notifiers: all}\nroutes: [{notifiers: [slack]}]\n",
            "route and routes: use one",
        ),
    ],
)
def test_config_problems_name_the_route_and_the_known_names(
    tmp_path: Path, routing: str, expected: str
) -> None:
    found = load_problems(tmp_path, routing)
    assert any(expected in p for p in found), found


def test_a_broken_watchlist_adds_no_second_error_on_routes(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: x\nentities: []\n", encoding="utf-8")
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        "watchlists: [broken.yaml]\n"
        "route: {notifiers: all, routes: [{watchlists: [x], entities: [homs], drop: true}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_everything(config)
    assert [] == [p for p in caught.value.problems if "route" in p]


async def poll_once(
    tmp_path: Path, notifiers: str, route: str, *items: SampleItem
) -> tuple[list[Alert], list[DeliveryRecord]]:
    """Poll one feed of `items` through the real pipeline with this routing; the alerts made
    and the outbox rows written."""
    (tmp_path / "syria.yaml").write_text(WATCHLIST, encoding="utf-8")
    config = tmp_path / "wirewatch.yaml"
    config.write_text(
        "watchlists: [syria.yaml]\n"
        "feeds: [{url: 'http://a.test/feed', name: a, backfill: true}]\n"
        f"notifiers: {notifiers}\nroute: {route}\n",
        encoding="utf-8",
    )
    loaded = load_everything(config)
    web = Web()
    web.feed("http://a.test/feed", *items)
    async with SqliteStore(tmp_path / "w.db") as store:
        await store.migrate()
        async with Fetcher(transport=httpx.MockTransport(web.handle)) as fetcher:
            pipeline = Pipeline(
                loaded, store=store, fetcher=fetcher, stories=StoryIndex(), clock=FixedClock()
            )
            alerts = (await pipeline.poll(loaded.config.feeds[0])).alerts
        return list(alerts), await store.list_deliveries()


async def test_a_dropped_alert_is_stored_muted_counted_and_sent_nowhere(tmp_path: Path) -> None:
    """Through the pipeline: the drop is stored on the alert, no outbox row is written, and
    the metric counts it under its reason."""
    [alert], deliveries = await poll_once(
        tmp_path,
        "[{name: slack, type: console}]",
        "{notifiers: all, routes: [{name: cities, tags: [city], drop: true}]}",
        SampleItem("1", "Shelling in Homs", "", "http://a.test/1"),
    )

    assert "drop: route.routes[0] (cities)" == alert.muted
    assert [] == deliveries
    metrics = Metrics()
    metrics.muted(alert.muted)
    metrics.muted("silence sil_1: x")
    metrics.muted("inhibited by al_1 (inhibit[0])")
    text = metrics.render()[0].decode()
    for reason in ("drop", "silence", "inhibit"):
        assert f'wirewatch_alerts_muted_total{{reason="{reason}"}} 1.0' in text


async def test_routes_match_the_action_kind_story_grouping_finds(tmp_path: Path) -> None:
    """`action = attack` reads the same action kind that the stored alert carries."""
    alerts, deliveries = await poll_once(
        tmp_path,
        "[{name: slack, type: console}, {name: mail, type: console}]",
        "{notifiers: [mail], routes: [{matchers: ['action = attack'], notifiers: [slack]}]}",
        SampleItem("1", "Shelling in Homs", "", "http://a.test/1"),
        SampleItem("2", "Talks on Hama open", "", "http://a.test/2"),
    )

    assert {"attack"} & {a.action for a in alerts}
    assert {("Shelling in Homs", "slack"), ("Talks on Hama open", "mail")} == {
        (d.alert.item.title, d.notifier) for d in deliveries
    }
