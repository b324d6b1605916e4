"""The command line as a whole: help for every command and flag, `-V`, the README's command
table checked against the parser, JSON Schemas (shipped in docs/, valid for the shipped files)
and shell completion."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml

from tests.conftest import REPO
from wirewatch import __version__
from wirewatch.cli import build_parser
from wirewatch.commands import completion
from wirewatch.commands.schema import render, schema


def commands() -> dict[str, argparse.ArgumentParser]:
    """ "cmd" and "cmd action" -> their parsers."""
    found: dict[str, argparse.ArgumentParser] = {}
    for name, sub in completion._children(build_parser()).items():
        found[name] = sub
        for action, inner in completion._children(sub).items():
            found[f"{name} {action}"] = inner
    return found


def test_every_command_and_flag_has_help() -> None:
    missing = []
    for name, parser in commands().items():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{name} {c.dest}" for c in action._choices_actions if not c.help]
            elif not action.help and action.dest != "help":
                missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
    top = completion._children(build_parser())
    missing += [f"{name}: no description" for name, p in commands().items() if not p.description]
    assert [] == missing
    assert len(top) == len([a for a in build_parser()._actions[-1]._choices_actions if a.help])


def test_dash_capital_v_prints_the_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch", "-V"], capture_output=True, text=True, check=False
    )
    assert (0, f"wirewatch {__version__}") == (result.returncode, result.stdout.strip())


def readme_table() -> dict[str, str]:
    """README's command table: first cell -> the whole row."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("## Commands", 1)[1].split("\n\n", 2)[1]
    return {row.split("|")[1]: row for row in table.splitlines()[2:]}


def test_the_readme_table_lists_every_command_and_flag() -> None:
    """Every command (and action) has a row that names each of its flags; every flag a row
    names exists."""
    rows = readme_table()
    problems = []
    for name, parser in commands().items():
        if completion._children(parser):
            continue  # "routes" alone: its actions have the rows
        row = next((r for cell, r in rows.items() if f"`wirewatch {name}" in cell), None)
        if row is None:
            problems.append(f"no row for wirewatch {name}")
            continue
        problems += [
            f"wirewatch {name}: {flag} missing from its row"
            for flag in completion._flags(parser)
            if flag not in ("--help", "--config") and flag not in row
        ]
    known = {flag for parser in commands().values() for flag in completion._flags(parser)}
    known |= set(completion._flags(build_parser()))
    for cell in rows:
        problems += [
            f"{flag} in the README is no flag"
            for flag in re.findall(r"--[a-z-]+", cell)
            if flag not in known
        ]
    assert [] == problems


@pytest.mark.parametrize("kind", ["config", "watchlist"])
def test_the_schemas_in_docs_are_the_generated_ones(kind: str) -> None:
    shipped = (REPO / f"docs/{kind}.schema.json").read_text(encoding="utf-8")
    fix = f"docs/{kind}.schema.json is stale: run wirewatch schema {kind} > docs/{kind}.schema.json"
    assert render(kind) == shipped, fix


@pytest.mark.parametrize(
    ("kind", "path", "header"),
    [
        ("config", "config/wirewatch.yaml", "../docs/config.schema.json"),
        ("watchlist", "config/watchlists/syria.yaml", "../../docs/watchlist.schema.json"),
    ],
)
def test_the_shipped_files_name_and_pass_their_schema(kind: str, path: str, header: str) -> None:
    text = (REPO / path).read_text(encoding="utf-8")
    assert text.startswith(f"# yaml-language-server: $schema={header}\n")
    jsonschema.validate(yaml.safe_load(text), schema(kind))


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"fetch": {"interval": "5m"}}, True),
        ({"fetch": {"interval": 300}}, True),
        ({"fetch": {"interval": "5 minutes"}}, False),
        ({"fetch": {"intervall": "5m"}}, False),
        ({"notifiers": [{"name": "h", "type": "webhook", "url_file": "/run/secret"}]}, True),
        (
            {"route": {"notifiers": "all", "routes": [{"matchers": ["a = b"], "continue": True}]}},
            True,
        ),
    ],
)
def test_the_config_schema_types_durations_as_strings_too(
    document: dict[str, object], valid: bool
) -> None:
    errors = list(jsonschema.Draft202012Validator(schema("config")).iter_errors(document))
    assert valid == (not errors), errors


def test_the_payload_schema_is_the_shipped_one() -> None:
    shipped = json.loads((REPO / "docs/webhook-payload.schema.json").read_text(encoding="utf-8"))
    assert shipped == schema("payload")


def test_completion_knows_every_command_and_flag() -> None:
    found = completion.tree(build_parser())
    script = completion.bash(found)
    assert set(commands()) <= set(found)
    assert "--entity" in found["silence add"] and "show" in found["routes"]
    result = subprocess.run(
        [
            "bash",
            "-c",
            script + "COMP_WORDS=(wirewatch routes t); COMP_CWORD=2; _wirewatch;"
            ' echo "${COMPREPLY[@]}"',
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "test" == result.stdout.strip()
    assert "complete -c wirewatch" in completion.fish(found)
