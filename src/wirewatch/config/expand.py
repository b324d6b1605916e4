"""The raw config mapping before validation: `${VAR}`, `key_file:` secrets, relative paths."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(node: Any, where: str, problems: list[str], base: Path, done: dict[int, Any]) -> Any:
    """Expand `${VAR}` in strings and replace `key_file: PATH` with `key: <file contents>`;
    a relative PATH is read from `base`, the config file's folder.

    A mapping or list met again (a YAML alias) gives the copy made the first time, from `done`:
    copying it once per reference would grow exponentially with nested aliases."""
    if isinstance(node, dict | list):
        if id(node) not in done:
            done[id(node)] = _expand_container(node, where, problems, base, done)
        return done[id(node)]
    if isinstance(node, str) and "${" in node:
        return _ENV.sub(lambda m: _env(m.group(1), where, problems), node)
    return node


def _expand_container(
    node: dict[Any, Any] | list[Any],
    where: str,
    problems: list[str],
    base: Path,
    done: dict[int, Any],
) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and key.endswith("_file") and isinstance(value, str):
                out[key.removesuffix("_file")] = _read_secret(value, here, problems, base)
            else:
                out[key] = expand(value, here, problems, base, done)
        return out
    return [expand(v, f"{where}[{i}]", problems, base, done) for i, v in enumerate(node)]


def _env(name: str, where: str, problems: list[str]) -> str:
    if name not in os.environ:
        problems.append(f"{where}: environment variable {name} is not set")
        return ""
    return os.environ[name]


def _read_secret(path: str, where: str, problems: list[str], base: Path) -> str:
    try:
        return (base / os.path.expanduser(path)).read_text(encoding="utf-8").strip()
    except OSError as e:
        problems.append(f"{where}: cannot read secret file {path}: {e.strerror or e}")
        return ""


def resolve_paths(raw: dict[str, Any], base: Path) -> None:
    def resolve(value: Any) -> Any:
        return (
            str((base / os.path.expanduser(value)).resolve()) if isinstance(value, str) else value
        )

    if "data_dir" in raw:
        raw["data_dir"] = resolve(raw["data_dir"])
    else:
        raw["data_dir"] = str(base / "data")
    if isinstance(raw.get("watchlists"), list):
        raw["watchlists"] = [resolve(w) for w in raw["watchlists"]]
    else:
        raw.setdefault("watchlists", [str(base / "watchlists/syria.yaml")])
    for feed in raw.get("feeds") or []:
        if isinstance(feed, dict) and isinstance(feed.get("url"), str):
            feed["url"] = _file_url(feed["url"], base)


def _file_url(url: str, base: Path) -> str:
    if url.startswith("file://") and not url.startswith("file:///"):
        return (base / url.removeprefix("file://")).resolve().as_uri()
    return url
