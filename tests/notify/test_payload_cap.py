"""The JSON body's size cap, `limits.payload_bytes`: configurable, checked, and applied where
bodies are built (the webhook `format: json` and the console notifier)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.conftest import REPO
from tests.notify.scenarios import make_alert, make_message
from wirewatch.config.limits import Limits
from wirewatch.config.settings import load_config
from wirewatch.errors import ConfigError
from wirewatch.loading import Loaded, load_everything
from wirewatch.model import Alert, Match, Source
from wirewatch.notify import payload
from wirewatch.notify.base import Message
from wirewatch.notify.payload import Payloads
from wirewatch.notify.webhook import encode
from wirewatch.parts import build_notifiers

NOW = datetime(2024, 12, 8, tzinfo=UTC)


def big_alert(index: int = 1, entities: int = 60, sources: int = 40) -> Alert:
    """An alert naming `entities` entities five times each, reported by `sources` outlets
    with 600-character titles: about 60 KiB as a whole body."""
    matches = tuple(
        Match(f"e{e}", "place", f"Name {e}", "summary", k * 10, k * 10 + 4, "Name")
        for e in range(entities)
        for k in range(5)
    )
    reports = tuple(
        Source(f"feed {i}", f"i{i}", "Title " * 100, f"https://x.example/{i}", NOW, NOW)
        for i in range(sources)
    )
    return make_alert(index, matches=matches, sources=reports)


def validate(body: object) -> None:
    jsonschema.Draft202012Validator(payload.load_schema()).validate(body)


def test_the_default_cap_is_256_kib() -> None:
    assert 256 * 1024 == payload.MAX_BYTES == Limits().payload_bytes


def test_the_cap_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "wirewatch.yaml"
    path.write_text("limits: {payload_bytes: 65536}\n")
    assert 65536 == load_config(path).limits.payload_bytes


@pytest.mark.parametrize("value", ["1000", "16383", "true", "0", "20000000"])
def test_a_cap_too_small_or_absurd_is_a_config_error_naming_the_key(
    tmp_path: Path, value: str
) -> None:
    """Below 16 KiB a shrunk alert may not fit; above 16 MiB no receiver wants it."""
    path = tmp_path / "wirewatch.yaml"
    path.write_text(f"limits: {{payload_bytes: {value}}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert "limits.payload_bytes" in problem
    assert "16" in problem  # names the bound


def test_a_body_over_a_smaller_cap_is_shrunk_to_fit_it() -> None:
    """About 60 KiB whole: whole under the default cap, shrunk below 32 KiB under that cap."""
    message = make_message(big_alert())
    whole = payload.build(message)
    assert "truncated" not in whole
    assert 32 * 1024 < len(encode(whole)) <= payload.MAX_BYTES
    body = Payloads(max_bytes=32 * 1024).build(message)
    assert len(encode(body)) <= 32 * 1024
    assert body["truncated"] is True
    assert all(1 == len(e["matches"]) and 4 == e["omitted"] for e in body["entities"])
    validate(body)


def test_a_digest_too_long_for_the_first_cut_takes_the_second() -> None:
    """Twelve big alerts in one digest: the first cut (10 sources, 50 entities, 300-character
    titles) leaves it over 64 KiB, the second (2 sources, 10 entities, 120) fits; no alert
    is left out."""
    alerts = tuple(big_alert(i) for i in range(1, 13))
    message = Message("msg_digest_x", "alert.digest", alerts)
    body = Payloads(max_bytes=64 * 1024).build(message)
    assert len(encode(body)) <= 64 * 1024
    assert body["truncated"] is True
    assert [a.id for a in alerts] == [a["alert_id"] for a in body["alerts"]]
    first = body["alerts"][0]
    assert (10, 2) == (len(first["entities"]), len(first["sources"]))
    assert len(first["sources"][0]["title"]) <= 120
    validate(body)


def config_with_cap(tmp_path: Path, notifiers: list[dict[str, object]]) -> Path:
    path = tmp_path / "wirewatch.yaml"
    text = {
        "data_dir": str(tmp_path / "data"),
        "watchlists": [str(REPO / "config/watchlists/syria.yaml")],
        "limits": {"payload_bytes": 20_000},
        "notifiers": notifiers,
    }
    path.write_text(json.dumps(text), encoding="utf-8")
    return path


HOOK = {"name": "ops", "type": "webhook", "url": "https://ops.example/hook"}
"""A `format: json` webhook notifier named ops."""


def bodies_sent(loaded: Loaded, message: Message) -> list[bytes]:
    """The bodies the daemon's notifier `ops` (from parts.build_notifiers) POSTs for `message`."""
    bodies: list[bytes] = []

    def receive(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(204)

    async def send() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
            notifiers, _ = build_notifiers(loaded, client=client)
            await notifiers["ops"].send(message)

    asyncio.run(send())
    return bodies


def test_the_configured_cap_reaches_the_json_webhook(tmp_path: Path) -> None:
    """The daemon's notifiers (parts.build_notifiers) build bodies under the config's cap."""
    loaded = load_everything(config_with_cap(tmp_path, [HOOK]))
    [body] = bodies_sent(loaded, make_message(big_alert()))
    assert len(body) <= 20_000
    assert json.loads(body)["truncated"] is True


def test_the_configured_cap_reaches_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without notifiers the daemon prints to stdout, under the same cap."""
    loaded = load_everything(config_with_cap(tmp_path, []))

    async def send() -> None:
        async with httpx.AsyncClient() as client:
            notifiers, _ = build_notifiers(loaded, client=client)
            await notifiers["console"].send(make_message(big_alert()))

    asyncio.run(send())
    [line] = capsys.readouterr().out.splitlines()
    assert len(line.encode()) <= 20_000
    assert json.loads(line)["truncated"] is True


@pytest.mark.parametrize("alert", [make_alert(), big_alert()], ids=["scenario", "big"])
def test_the_body_sent_is_the_documented_compact_json(alert: Alert) -> None:
    """`encode` (orjson) gives exactly the bytes of `json.dumps(..., ensure_ascii=False,
    separators=(",", ":"))`, Arabic, quotes and controls included; the json format's bytes
    are the payload `build` returns, encoded once."""
    from tests.notify.scenarios import hostile_alert

    tricky = make_alert(item=dataclasses.replace(
        hostile_alert().item, title='الثوار "يدخلون" حمص\\\u2028\x01\u202e'))  # fmt: skip
    for one in (alert, tricky):
        message = make_message(one)
        document = payload.build(message)
        plain = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        assert plain == encode(document) == payload.FORMAT.body(message)
