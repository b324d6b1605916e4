"""The silences API (/api/silences) over real requests on 127.0.0.1, on a SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from wirewatch.delivery.matchers import Matcher
from wirewatch.observability.http import HttpServer
from wirewatch.observability.metrics import Metrics
from wirewatch.observability.silences_api import SilencesApi
from wirewatch.storage.sqlite import SqliteStore

NOW = datetime(2024, 12, 8, 6, 0, tzinfo=UTC)
TOKEN = "token-for-silences"


def known_entities(matchers: Sequence[Matcher]) -> list[str]:
    return [f"no entity {x.value!r}" for x in matchers if x.key == "entity" and x.value == "homz"]


async def nothing() -> list[Any]:
    return []


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    store = SqliteStore(tmp_path / "w.db")
    await store.open()
    await store.migrate()
    server = HttpServer(
        metrics=Metrics(), checks={}, alerts=lambda q: nothing(), feeds=nothing, token=TOKEN
    )
    SilencesApi(store, clock=lambda: NOW, check=known_entities).install(server.app)
    port = await server.start("127.0.0.1", 0)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as c:
            yield c
    finally:
        await server.stop()
        await store.close()


async def test_create_list_expire(client: httpx.AsyncClient) -> None:
    made = await client.post(
        "/api/silences",
        json={"matchers": {"entity": "homs"}, "duration": "6h", "comment": "live", "author": "a"},
    )
    assert 201 == made.status_code
    silence = made.json()
    assert {
        "matchers": {"entity": "homs"},
        "expressions": ["entity = homs"],
        "starts_at": "2024-12-08T06:00:00+00:00",
        "ends_at": "2024-12-08T12:00:00+00:00",
        "created_at": "2024-12-08T06:00:00+00:00",
        "comment": "live",
        "author": "a",
        "state": "active",
    } == {k: v for k, v in silence.items() if k != "id"}
    listed = (await client.get("/api/silences")).json()
    assert [silence] == listed["silences"]
    expired = await client.delete(f"/api/silences/{silence['id']}")
    assert (200, "expired", NOW.isoformat()) == (
        expired.status_code,
        expired.json()["state"],
        expired.json()["ends_at"],
    )


async def test_ends_at_and_list_matchers(client: httpx.AsyncClient) -> None:
    made = await client.post(
        "/api/silences",
        json={
            "matchers": ["tag =~ 'city|town'", "severity < high"],
            "ends_at": "2024-12-08T09:30:00",
            "comment": "night",
        },
    )
    assert 201 == made.status_code, made.text
    assert ("2024-12-08T09:30:00+00:00", ["tag =~ city|town", "severity < high"], {}) == (
        made.json()["ends_at"],
        made.json()["expressions"],
        made.json()["matchers"],
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "send a JSON object"),
        ({"matchers": {"entity": "homs"}, "duration": "6h"}, "comment: say why"),
        ({"matchers": {}, "duration": "6h", "comment": "x"}, "at least one matcher"),
        ({"matchers": {"entity": "homs"}, "comment": "x"}, "either a duration"),
        ({"matchers": {"entity": "homs"}, "duration": "6x", "comment": "x"}, "not a duration"),
        ({"matchers": {"place": "homs"}, "duration": "1h", "comment": "x"}, "unknown matcher key"),
        ({"matchers": {"entity": "homz"}, "duration": "1h", "comment": "x"}, "no entity 'homz'"),
        (
            {"matchers": {"entity": "homs"}, "ends_at": "2024-12-08T05:00Z", "comment": "x"},
            "must end in the future",
        ),
        ({"matchers": {"entity": "homs"}, "duration": "1h", "comment": "x", "who": 1}, "'who'"),
    ],
)
async def test_a_bad_body_is_a_400_that_says_why(
    client: httpx.AsyncClient, body: Any, message: str
) -> None:
    answer = await client.post("/api/silences", json=body)
    assert (400, "bad_request") == (answer.status_code, answer.json()["error"])
    assert message in answer.json()["message"]


async def test_unknown_ids_and_missing_tokens(client: httpx.AsyncClient) -> None:
    assert 404 == (await client.delete("/api/silences/sil_nope")).status_code
    anonymous = await client.post(
        "/api/silences",
        json={"matchers": {"entity": "homs"}, "duration": "1h", "comment": "x"},
        headers={"Authorization": ""},
    )
    assert 401 == anonymous.status_code
    assert [] == (await client.get("/api/silences")).json()["silences"]
