"""Each notifier type owns its config: one strict model per type, one union by `type`.

A key another type reads is not silently accepted (a webhook with `to:`); every problem names
the notifier, its type and the key, at its line and column.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from wirewatch.config.settings import load_config
from wirewatch.errors import ConfigError
from wirewatch.loading import load_everything
from wirewatch.notify import registry
from wirewatch.notify.apprise import AppriseConfig, AppriseNotifier
from wirewatch.notify.console import ConsoleConfig, ConsoleNotifier
from wirewatch.notify.email import EmailConfig, EmailNotifier
from wirewatch.notify.webhook import WebhookConfig, WebhookNotifier
from wirewatch.parts import build_notifiers

WATCHLIST = REPO / "config/watchlists/syria.yaml"
ENTRIES = {
    "webhook": "{name: hook, type: webhook, url: 'https://example.org/h'}",
    "email": "{name: mail, type: email, host: smtp.example.org, from: a@example.org, to: [b@example.org]}",
    "console": "{name: out, type: console}",
    "apprise": "{name: chat, type: apprise, url: 'json://127.0.0.1:9/'}",
}


def config_file(folder: Path, *entries: str) -> Path:
    lines = [f"watchlists: [{WATCHLIST}]", "notifiers:", *(f"  - {e}" for e in entries)]
    path = folder / "wirewatch.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def located(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.located


def with_key(entry: str, key: str) -> str:
    return entry[:-1] + f", {key}: x}}"


@pytest.mark.parametrize("kind", sorted(ENTRIES))
def test_each_type_rejects_a_key_it_does_not_read(tmp_path: Path, kind: str) -> None:
    """A key no notifier reads is an error naming the notifier, its type and the key, with
    the place in the file."""
    path = config_file(tmp_path, with_key(ENTRIES[kind], "colour"))
    name = ENTRIES[kind].split(",")[0].removeprefix("{name: ")

    [problem] = located(path)

    column = len("  - ") + ENTRIES[kind].index("}") + 3
    expected = (
        f"{path}:3:{column}: notifiers[0] (name {name!r}).colour: unknown key for type {kind}"
        " (check the spelling; see config/wirewatch.yaml)"
    )
    assert expected == problem


@pytest.mark.parametrize(
    ("kind", "key", "owners"),
    [
        ("webhook", "to", "type email"),
        ("email", "url", "types webhook and apprise"),
        ("console", "format", "type webhook"),
        ("apprise", "subject", "type email"),
    ],
)
def test_a_key_of_another_type_says_which_type_has_it(
    tmp_path: Path, kind: str, key: str, owners: str
) -> None:
    """The flat bag used to take any type's key anywhere; now the error says whose it is."""
    path = config_file(tmp_path, with_key(ENTRIES[kind], key))

    [problem] = located(path)

    assert problem.endswith(
        f".{key}: unknown key for type {kind}: {key!r} is a key of {owners} (check `type`)"
    ), problem


def test_a_misspelt_key_gets_a_did_you_mean_from_its_own_type(tmp_path: Path) -> None:
    """The suggestion comes from the keys of the entry's type (email has `host`)."""
    path = config_file(tmp_path, with_key(ENTRIES["email"], "hots"))

    [problem] = located(path)

    assert problem.endswith(
        "notifiers[0] (name 'mail').hots: unknown key for type email; did you mean 'host'?"
        " (see config/wirewatch.yaml)"
    ), problem


def test_an_unknown_or_missing_type_reads_like_any_wrong_key(tmp_path: Path) -> None:
    """A wrong `type` lists the registered types; a missing one is a missing key."""
    path = config_file(tmp_path, "{name: a, type: pager}", "{name: b}")

    assert [
        f"{path}:3:21: notifiers[0] (name 'a').type: 'pager' is not allowed here;"
        " use 'webhook', 'email', 'console' or 'apprise'",
        f"{path}:4:5: notifiers[1] (name 'b').type: required key is missing",
    ] == located(path)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("{name: h, type: webhook}", "a webhook notifier needs url (or url_file)"),
        ("{name: h, type: apprise}", "an apprise notifier needs url (or url_file)"),
        (
            "{name: h, type: email, host: s, to: [a@b.c]}",
            "an email notifier needs host, from and to",
        ),
    ],
)
def test_a_type_names_what_it_cannot_do_without(tmp_path: Path, entry: str, problem: str) -> None:
    path = config_file(tmp_path, entry)

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert [f"notifiers[0] (name 'h'): {problem}"] == caught.value.problems


async def test_each_entry_becomes_its_types_model_and_notifier(tmp_path: Path) -> None:
    """The union dispatches on `type`: each entry is validated by, and built from, its own
    type's model and factory."""
    loaded = load_everything(config_file(tmp_path, *ENTRIES.values()))

    async with httpx.AsyncClient() as client:
        notifiers, _ = build_notifiers(loaded, client=client)

    models = [type(n) for n in loaded.config.notifiers]
    built = [type(n) for n in notifiers.values()]
    assert [WebhookConfig, EmailConfig, ConsoleConfig, AppriseConfig] == models
    assert [WebhookNotifier, EmailNotifier, ConsoleNotifier, AppriseNotifier] == built


def test_the_webhook_format_key_lists_exactly_the_registered_formats() -> None:
    """`format` is checked at load from the same names the registry builds."""
    schema = WebhookConfig.model_json_schema()["properties"]["format"]

    assert sorted(registry.FORMATS) == sorted(schema["enum"])


def test_loading_a_config_without_apprise_does_not_import_apprise(tmp_path: Path) -> None:
    """The Apprise library (about 0.2 s to import) is imported only when one is configured."""
    path = config_file(tmp_path, ENTRIES["webhook"], ENTRIES["email"])
    code = (
        "import sys; from wirewatch.loading import load_everything; "
        f"load_everything({str(path)!r}); print('apprise' in sys.modules)"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert "False" == result.stdout.strip()


def test_a_type_without_a_settings_dataclass_holds_no_secrets() -> None:
    """Redaction reads secrets from settings dataclasses; a console notifier's settings are
    its model, which holds none."""
    from wirewatch.notify.redact import secrets_of

    console = ConsoleConfig(name="out", type="console")

    assert (console, ()) == (console.settings(), secrets_of(console.settings()))
