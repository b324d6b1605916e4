"""Adding a notifier type is one module plus one registry line (docs/configuration.md).

This file is the module: a config model on `NotifierBase`, a notifier and a factory. The
fixture adds the registry line, `registry.register(PagerConfig, build)`, and nothing else in
wirewatch changes; config loading, errors, building and the JSON Schema all know the type.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import httpx
import pytest

from tests.conftest import REPO
from wirewatch.app import build_notifiers, load_everything
from wirewatch.commands.schema import schema
from wirewatch.config.settings import Config, load_config
from wirewatch.errors import ConfigError
from wirewatch.notify import registry
from wirewatch.notify.base import Message
from wirewatch.notify.config import Deps, NotifierBase


class PagerConfig(NotifierBase):
    """`type: pager`: a test-only type with one key of its own."""

    type: Literal["pager"]
    number: str


class PagerNotifier:
    def __init__(self, settings: PagerConfig) -> None:
        self.name = settings.name
        self.number = settings.number
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        self.sent.append(message)


def build(settings: PagerConfig, deps: Deps) -> PagerNotifier:
    return PagerNotifier(settings)


@pytest.fixture
def pager() -> Iterator[None]:
    registry.register(PagerConfig, build)  # the one registry line
    Config.model_rebuild(force=True)  # in wirewatch the line runs before Config is defined
    yield
    del registry.TYPES["pager"]
    Config.model_rebuild(force=True)


def config_file(folder: Path, entry: str) -> Path:
    path = folder / "wirewatch.yaml"
    text = f"watchlists: [{REPO / 'config/watchlists/syria.yaml'}]\nnotifiers:\n  - {entry}\n"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("pager")
async def test_a_registered_type_loads_builds_and_paces(tmp_path: Path) -> None:
    """Its own keys and the shared ones load; the factory builds it; its policy is read."""
    path = config_file(tmp_path, "{name: p, type: pager, number: '+100', rate_limit: 2}")

    loaded = load_everything(path)
    async with httpx.AsyncClient() as client:
        notifiers, policies = build_notifiers(loaded, client=client)

    built = notifiers["p"]
    assert isinstance(built, PagerNotifier)
    assert ("+100", 2.0) == (built.number, policies["p"].rate_limit)


@pytest.mark.usefixtures("pager")
def test_a_registered_type_rejects_keys_it_does_not_read(tmp_path: Path) -> None:
    path = config_file(tmp_path, "{name: p, type: pager, number: '1', url: 'https://x.org'}")

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert [
        "notifiers[0] (name 'p').url: unknown key for type pager:"
        " 'url' is a key of types webhook and apprise (check `type`)"
    ] == caught.value.problems


@pytest.mark.usefixtures("pager")
def test_a_registered_type_is_in_the_config_schema() -> None:
    mapping = schema("config")["properties"]["notifiers"]["items"]["discriminator"]["mapping"]

    assert "#/$defs/PagerConfig" == mapping["pager"]


def test_without_the_registry_line_the_type_is_unknown(tmp_path: Path) -> None:
    path = config_file(tmp_path, "{name: p, type: pager, number: '1'}")

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert [
        "notifiers[0] (name 'p').type: 'pager' is not allowed here;"
        " use 'webhook', 'email', 'console' or 'apprise'"
    ] == caught.value.problems
