"""Adding a notifier type is one module plus one registry line (docs/configuration.md).

The module and the line are the ones the docs show, run from the docs' text: a config model
on `NotifierBase`, a notifier and a factory, then `register(pager.PagerConfig, pager.build)`.
Nothing else in wirewatch changes; loading, errors, building and the JSON Schema know the type.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.conftest import REPO
from wirewatch.commands.schema import schema
from wirewatch.config.settings import Config, load_config
from wirewatch.errors import ConfigError
from wirewatch.loading import load_everything
from wirewatch.notify import registry
from wirewatch.parts import build_notifiers

DOCS = REPO / "docs/configuration.md"


def docs_block(first_line: str) -> str:
    found = re.search(rf"```python\n{re.escape(first_line)}\n(.*?)```", DOCS.read_text(), re.S)
    assert found, f"docs/configuration.md has no python block starting {first_line!r}"
    return found.group(1)


@pytest.fixture
def pager() -> Iterator[ModuleType]:
    module = ModuleType("pager")
    code = compile(
        docs_block("# src/wirewatch/notify/pager.py"), str(DOCS), "exec", dont_inherit=True
    )
    exec(code, vars(module))
    line = docs_block("# src/wirewatch/notify/registry.py, beside the other register(...) lines")
    exec(line, {"register": registry.register, "pager": module})  # the one registry line
    Config.model_rebuild(force=True)  # in wirewatch the line runs before Config is defined
    yield module
    del registry.TYPES["pager"]
    Config.model_rebuild(force=True)


def config_file(folder: Path, entry: str) -> Path:
    path = folder / "wirewatch.yaml"
    text = f"watchlists: [{REPO / 'config/watchlists/syria.yaml'}]\nnotifiers:\n  - {entry}\n"
    path.write_text(text, encoding="utf-8")
    return path


def problems(folder: Path, entry: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config_file(folder, entry))
    return caught.value.problems


async def test_a_registered_type_loads_builds_and_paces(tmp_path: Path, pager: ModuleType) -> None:
    """Its own keys and the shared ones load; the factory builds it; its policy is read."""
    path = config_file(tmp_path, "{name: p, type: pager, number: '+100', rate_limit: 2}")

    loaded = load_everything(path)
    async with httpx.AsyncClient() as client:
        notifiers, policies = build_notifiers(loaded, client=client)

    built = notifiers["p"]
    assert isinstance(built, pager.PagerNotifier)
    assert ("+100", 2.0) == (built.number, policies["p"].rate_limit)


@pytest.mark.usefixtures("pager")
def test_a_registered_type_rejects_keys_it_does_not_read(tmp_path: Path) -> None:
    entry = "{name: p, type: pager, number: '1', url: 'https://x.org'}"

    assert [
        "notifiers[0] (name 'p').url: unknown key for type pager:"
        " 'url' is a key of types webhook and apprise (check `type`)"
    ] == problems(tmp_path, entry)


@pytest.mark.usefixtures("pager")
def test_a_registered_type_is_in_the_config_schema() -> None:
    mapping = schema("config")["properties"]["notifiers"]["items"]["discriminator"]["mapping"]

    assert "#/$defs/PagerConfig" == mapping["pager"]


def test_without_the_registry_line_the_type_is_unknown(tmp_path: Path) -> None:
    assert [
        "notifiers[0] (name 'p').type: 'pager' is not allowed here;"
        " use 'webhook', 'email', 'console' or 'apprise'"
    ] == problems(tmp_path, "{name: p, type: pager, number: '1'}")
