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
    kind, given, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"unknown key (check the spelling{'; see ' + hint if hint else ''})"
    if kind == "missing":
        return "required key is missing"
    plain = _PLAIN.get(kind)
    if plain is not None:
        return plain.format(given=_shown(given), type=_kind(given), **ctx)
    message: str = err["msg"]
    return message.removeprefix("Value error, ")


_PLAIN = {
    "literal_error": "{given} is not allowed here; use {expected}",
    "string_type": "expected text, not {type} {given}",
    "tuple_type": "expected a list, not {type} {given}",
    "list_type": "expected a list, not {type} {given}",
    "dict_type": "expected a mapping of keys and values, not {type} {given}",
    "model_type": "expected a mapping of keys and values, not {type} {given}",
    "model_attributes_type": "expected a mapping of keys and values, not {type} {given}",
    "int_parsing": "{given} is not a whole number",
    "int_type": "{given} is not a whole number",
    "int_from_float": "{given} is not a whole number",
    "float_parsing": "{given} is not a number",
    "float_type": "{given} is not a number",
    "bool_parsing": "{given} is neither true nor false",
    "bool_type": "{given} is neither true nor false",
    "greater_than": "{given} is too small: it must be more than {gt}",
    "greater_than_equal": "{given} is too small: it must be at least {ge}",
    "less_than": "{given} is too large: it must be less than {lt}",
    "less_than_equal": "{given} is too large: it must be at most {le}",
    "too_short": "needs at least {min_length} item(s)",
    "string_too_long": "{given} is too long: at most {max_length} characters",
    "string_pattern_mismatch": "{given} has the wrong form: it must match {pattern}",
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "the text", bool: "the boolean"}
    return names.get(type(value), "the number" if isinstance(value, int | float) else "the value")
