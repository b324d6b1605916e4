"""The HTTP server: health, readiness, metrics and the API, over real requests on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from wirewatch.errors import StoreError
from wirewatch.observability.http import HttpServer
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.query import AlertQuery
from wirewatch.observability.readiness import Check, CheckFunc

NOW = datetime(2024, 12, 8, 6, 0, tzinfo=UTC)
TOKEN = "s3cret-token-for-tests"
ALERTS = [{"id": f"a{i}", "created_at": NOW - timedelta(minutes=i)} for i in range(5)]
FEEDS = [{"key": "https://example.org/rss", "status": "ok", "consecutive_failures": 0}]


class Sources:
    """Fake alert and feed sources that remember what they were asked."""

    def __init__(self) -> None:
        self.queries: list[AlertQuery] = []
        self.fail_with: Exception | None = None

    async def alerts(self, query: AlertQuery) -> Sequence[Mapping[str, Any]]:
        self.queries.append(query)
        if self.fail_with is not None:
            raise self.fail_with
        return ALERTS[query.offset : query.offset + query.limit]

    async def feeds(self) -> Sequence[Mapping[str, Any]]:
        return FEEDS

    async def notifiers(self) -> Sequence[Mapping[str, Any]]:
        return [{"notifier": "ops", "state": "failing", "queued": 3}]


def ready_checks() -> dict[str, CheckFunc]:
    async def store() -> Check:
        return Check(ok=True)

    return {"store": store, "scheduler": lambda: Check(ok=True), "config": lambda: Check(ok=True)}


async def _client(
    sources: Sources, checks: Mapping[str, CheckFunc], token: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    metrics = Metrics()
    metrics.poll("ok", 0.2)
    server = HttpServer(
        metrics=metrics,
        checks=checks,
        alerts=sources.alerts,
        feeds=sources.feeds,
        notifiers=sources.notifiers,
        token=token,
        clock=lambda: NOW,
    )
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        await server.stop()


@pytest.fixture
def sources() -> Sources:
    return Sources()


@pytest.fixture
async def client(sources: Sources) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a server without a token, all checks passing."""
    async for c in _client(sources, ready_checks()):
        yield c


@pytest.fixture
async def locked(sources: Sources) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a server that requires the bearer token TOKEN."""
    async for c in _client(sources, ready_checks(), token=TOKEN):
        yield c


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    """/healthz answers 200 {"status": "ok"}."""
    response = await client.get("/healthz")

    assert (200, {"status": "ok"}) == (response.status_code, response.json())


async def test_readyz_lists_passing_checks(client: httpx.AsyncClient) -> None:
    """All checks passing: 200, status ready, each check listed."""
    response = await client.get("/readyz")

    assert 200 == response.status_code
    assert "ready" == response.json()["status"]
    assert {"store", "scheduler", "config"} == set(response.json()["checks"])


async def test_readyz_fails_when_a_required_check_fails(sources: Sources) -> None:
    """A failed or raising check makes /readyz 503, with the reason in its detail."""

    async def store() -> Check:
        raise StoreError("database is locked")

    checks: dict[str, CheckFunc] = {**ready_checks(), "store": store}
    async for client in _client(sources, checks):
        response = await client.get("/readyz")

    assert 503 == response.status_code
    assert "not_ready" == response.json()["status"]
    expected = {"ok": False, "required": True, "detail": "StoreError: database is locked"}
    assert expected == response.json()["checks"]["store"]


async def test_a_failed_optional_check_shows_but_stays_ready(sources: Sources) -> None:
    """The last reload error is shown without making the instance unready."""
    reload = Check(ok=False, detail="watchlist syria.yaml: entities.3.kind: bad", required=False)
    checks: dict[str, CheckFunc] = {**ready_checks(), "last_reload": lambda: reload}
    async for client in _client(sources, checks):
        response = await client.get("/readyz")

    assert 200 == response.status_code
    assert ("ready", ["last_reload"]) == (response.json()["status"], response.json()["degraded"])
    assert reload.detail == response.json()["checks"]["last_reload"]["detail"]


async def test_metrics_serves_prometheus_text(client: httpx.AsyncClient) -> None:
    """/metrics returns the exposition format with wirewatch's metrics."""
    response = await client.get("/metrics")

    assert 200 == response.status_code
    assert response.headers["content-type"].startswith("text/plain")
    assert 'wirewatch_polls_total{outcome="ok"} 1.0' in response.text


async def test_alerts_default_to_the_last_day(client: httpx.AsyncClient, sources: Sources) -> None:
    """Without parameters: the last 24 hours, 50 per page, from the first."""
    response = await client.get("/api/alerts")

    assert 200 == response.status_code
    assert AlertQuery(since=NOW - timedelta(hours=24), limit=51) == sources.queries[0]
    body = response.json()
    assert ["a0", "a1", "a2", "a3", "a4"] == [a["id"] for a in body["alerts"]]
    assert None is body["next_offset"]
    assert ALERTS[0]["created_at"].isoformat() == body["alerts"][0]["created_at"]


async def test_alerts_pass_filters_and_paginate(
    client: httpx.AsyncClient, sources: Sources
) -> None:
    """limit, offset, since, watchlist and entity reach the source; next_offset pages on."""
    params = {"limit": "2", "offset": "1", "since": "2h", "watchlist": "syria", "entity": "homs"}
    response = await client.get("/api/alerts", params=params)

    expected = AlertQuery(
        since=NOW - timedelta(hours=2), limit=3, offset=1, watchlist="syria", entity="homs"
    )
    assert expected == sources.queries[0]
    assert ["a1", "a2"] == [a["id"] for a in response.json()["alerts"]]
    assert 3 == response.json()["next_offset"]


async def test_alerts_since_accepts_an_iso_time(
    client: httpx.AsyncClient, sources: Sources
) -> None:
    """An ISO 8601 time is taken as is; without an offset it is UTC."""
    await client.get("/api/alerts", params={"since": "2024-12-07T18:30:00"})

    assert datetime(2024, 12, 7, 18, 30, tzinfo=UTC) == sources.queries[0].since


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "0"}, "limit='0' must be a whole number from 1 to 500"),
        ({"limit": "many"}, "limit='many' must be a whole number from 1 to 500"),
        ({"offset": "-1"}, "offset='-1' must be a whole number"),
        ({"since": "yesterday"}, "since='yesterday' is neither a duration"),
        ({"since": "999999w"}, "since='999999w' reaches back before year 1"),
        ({"watchlsit": "syria"}, "unknown query parameter 'watchlsit'"),
        ({"entity": " "}, "entity must be between 1 and 200 characters"),
    ],
)
async def test_bad_alert_parameters_are_rejected(
    client: httpx.AsyncClient, sources: Sources, params: dict[str, str], message: str
) -> None:
    """A parameter that cannot be used gives 400 with a message naming it; the source is not asked."""
    response = await client.get("/api/alerts", params=params)

    assert 400 == response.status_code
    assert "bad_request" == response.json()["error"]
    assert message in response.json()["message"]
    assert [] == sources.queries


async def test_a_repeated_parameter_is_rejected(client: httpx.AsyncClient) -> None:
    """limit=1&limit=2 is ambiguous: 400."""
    response = await client.get("/api/alerts?limit=1&limit=2")

    assert 400 == response.status_code
    assert "more than once" in response.json()["message"]


async def test_store_failure_is_503(client: httpx.AsyncClient, sources: Sources) -> None:
    """A StoreError from the alert source becomes 503 store_unavailable."""
    sources.fail_with = StoreError("disk I/O error")

    response = await client.get("/api/alerts")

    assert (503, "store_unavailable") == (response.status_code, response.json()["error"])


async def test_unexpected_failure_is_a_json_500(
    client: httpx.AsyncClient, sources: Sources
) -> None:
    """Any other error becomes 500 internal_error, without its text."""
    sources.fail_with = RuntimeError("boom at postgres://u:pw@db/x")

    response = await client.get("/api/alerts")

    assert (500, "internal_error") == (response.status_code, response.json()["error"])
    assert "pw" not in response.text


async def test_feeds_lists_feed_health(client: httpx.AsyncClient) -> None:
    """/api/feeds returns what the feeds source gives, under "feeds"."""
    response = await client.get("/api/feeds")

    assert (200, {"feeds": FEEDS}) == (response.status_code, response.json())


async def test_unknown_path_is_a_json_404(client: httpx.AsyncClient) -> None:
    """An unknown path: 404 with a JSON body listing the real ones."""
    response = await client.get("/nope")

    assert (404, "not_found") == (response.status_code, response.json()["error"])
    assert "/api/alerts" in response.json()["message"]


async def test_wrong_method_is_a_json_405(client: httpx.AsyncClient) -> None:
    """POST on a GET endpoint: 405 in JSON, with the Allow header."""
    response = await client.post("/api/alerts")

    assert (405, "method_not_allowed") == (response.status_code, response.json()["error"])
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize("path", ["/readyz", "/metrics", "/api/alerts", "/api/feeds", "/nope"])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
async def test_with_a_token_every_path_but_healthz_needs_it(
    locked: httpx.AsyncClient, path: str, authorization: str | None
) -> None:
    """With a token set, a missing or wrong Authorization header gives 401."""
    headers = {} if authorization is None else {"Authorization": authorization}

    response = await locked.get(path, headers=headers)

    assert (401, "unauthorized") == (response.status_code, response.json()["error"])
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_token_that_is_not_utf8_is_401_not_500(locked: httpx.AsyncClient) -> None:
    """Header bytes that are not UTF-8 are just a wrong token."""
    headers = {"Authorization": b"Bearer \xff\xfe"}

    response = await locked.get("/api/alerts", headers=headers)

    assert (401, "unauthorized") == (response.status_code, response.json()["error"])


@pytest.mark.parametrize("path", ["/readyz", "/metrics", "/api/alerts", "/api/feeds"])
async def test_the_right_token_opens_every_path(locked: httpx.AsyncClient, path: str) -> None:
    """With `Authorization: Bearer <token>` every endpoint answers 200."""
    response = await locked.get(path, headers={"Authorization": f"Bearer {TOKEN}"})

    assert 200 == response.status_code


async def test_healthz_needs_no_token(locked: httpx.AsyncClient) -> None:
    """Container health checks do not carry the token: /healthz stays open."""
    assert 200 == (await locked.get("/healthz")).status_code


async def test_before_scrape_refreshes_gauges(sources: Sources) -> None:
    """before_scrape runs before /metrics renders, so gauges read from the store are fresh."""
    metrics = Metrics()

    async def refresh() -> None:
        metrics.outbox_depth.labels(notifier="hook", state="pending").set(7)

    server = HttpServer(
        metrics=metrics,
        checks={},
        alerts=sources.alerts,
        feeds=sources.feeds,
        before_scrape=refresh,
    )
    port = await server.start()
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        await server.stop()

    assert 'wirewatch_outbox_depth{notifier="hook",state="pending"} 7.0' in response.text


async def test_readyz_stays_ready_but_names_a_degraded_destination(sources: Sources) -> None:
    """A failing optional check (a dead receiver) keeps 200 and ready, and is listed under
    `degraded` with its detail."""
    checks: dict[str, CheckFunc] = {
        **ready_checks(),
        "destinations": lambda: Check(False, "ops failing, 3 queued", required=False),
    }
    async for client in _client(sources, checks):
        response = await client.get("/readyz")
    body = response.json()
    assert (200, "ready", ["destinations"]) == (
        response.status_code,
        body["status"],
        body["degraded"],
    )
    assert "ops failing, 3 queued" == body["checks"]["destinations"]["detail"]


async def test_api_notifiers_lists_the_source(client: httpx.AsyncClient) -> None:
    """/api/notifiers returns the notifiers source's objects under `notifiers`."""
    response = await client.get("/api/notifiers")
    assert (200, {"notifiers": [{"notifier": "ops", "state": "failing", "queued": 3}]}) == (
        response.status_code,
        response.json(),
    )


async def test_alerts_geojson_puts_alerts_at_their_places() -> None:
    """/api/alerts.geojson takes the /api/alerts parameters and answers a FeatureCollection."""
    from wirewatch.geojson import PlacePoint

    async def alerts(query: AlertQuery) -> Sequence[Mapping[str, Any]]:
        return [{"id": "a1", "watchlist": "w", "entities": ["homs"], "created_at": NOW}]

    async def feeds() -> Sequence[Mapping[str, Any]]:
        return []

    point = PlacePoint("homs", "Homs", 34.7, 36.7, ("Syria",))
    server = HttpServer(metrics=Metrics(), checks=ready_checks(), alerts=alerts, feeds=feeds,
                        clock=lambda: NOW, places=lambda: {("w", "homs"): point})  # fmt: skip
    port = await server.start("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            response = await client.get("/api/alerts.geojson", params={"since": "7d"})
    finally:
        await server.stop()
    assert 200 == response.status_code
    assert response.headers["content-type"].startswith("application/geo+json")
    [feature] = response.json()["features"]
    assert [36.7, 34.7] == feature["geometry"]["coordinates"]
