"""Pydantic validation errors as `path: message` lines, naming list items by their id or name."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def describe_errors(error: ValidationError, raw: Any, *, hint: str = "") -> list[str]:
    """Turn pydantic errors into `path: message` lines (`feeds[3] (name 'x').interval: ...`)."""
    errors = error.errors()
    nested = {err["loc"][:1] for err in errors if len(err["loc"]) > 1}
    # A list whose items failed also reports itself as too short: say only the real problem.
    errors = [e for e in errors if not (e["type"] == "too_short" and e["loc"] in nested)]
    return [f"{_location(err['loc'], raw)}: {_message(err, hint)}" for err in errors]


def _location(loc: tuple[int | str, ...], raw: Any) -> str:
    text, node = "", raw
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not str(part).startswith("function-"):
            text += f".{part}" if text else str(part)
        node = _child(node, part)
        if isinstance(part, int) and isinstance(node, dict):
            for key in ("id", "name"):
                if isinstance(node.get(key), str):
                    text += f" ({key} {node[key]!r})"
                    break
    return text or "(top level)"


def _child(node: Any, part: int | str) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _message(err: Any, hint: str) -> str:
    if err["type"] == "extra_forbidden":
        return f"unknown key (check the spelling{'; see ' + hint if hint else ''})"
    if err["type"] == "missing":
        return "required key is missing"
    message: str = err["msg"]
    return message.removeprefix("Value error, ")
