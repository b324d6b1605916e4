"""Pydantic validation errors as `path: message` lines, naming list items by their id or name."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel, ValidationError


def describe_errors(
    error: ValidationError, raw: Any, *, hint: str = "", model: type[BaseModel] | None = None
) -> list[str]:
    """Turn pydantic errors into `path: message` lines (`feeds[3] (name 'x').interval: ...`);
    with the `model` that failed, an unknown key gets a did-you-mean, and an item of a union
    told apart by `type` (the notifiers) is named by its place, its problems by its type."""
    errors = [_untagged(err, model) for err in error.errors()]
    nested = {err["loc"][:1] for err in errors if len(err["loc"]) > 1}
    # A list whose items failed also reports itself as too short: say only the real problem.
    errors = [e for e in errors if not (e["type"] == "too_short" and e["loc"] in nested)]
    closes = [_close_key(err) for err in errors]
    # A misspelt required key is missing too: the unknown key's did-you-mean says it all.
    meant = {(*e["loc"][:-1], c) for e, c in zip(errors, closes, strict=True) if c}
    return [
        f"{_location(err['loc'], raw)}: {_message(err, hint, close)}"
        for err, close in zip(errors, closes, strict=True)
        if not (err["type"] == "missing" and tuple(err["loc"]) in meant)
    ]


def _untagged(err: Any, model: type[BaseModel] | None) -> Any:
    """`err` with the tags of unions told apart by `type` taken out of its `loc`, and with
    `owners` (the models that may hold its last key), `tag` and `members` (the union's
    models) added; a missing or unknown `type` reads like any missing or wrong key."""
    loc: list[Any] = []
    tag, members, holders = None, [], []
    owners = [model] if model else []
    for part in err["loc"]:
        chosen = _tagged(owners, part)
        if chosen is not None:
            owners, members, tag = [chosen], owners, str(part)
            continue
        loc.append(part)
        holders = owners
        if not isinstance(part, int):
            found = [m.model_fields[str(part)] for m in owners if str(part) in m.model_fields]
            owners = _models_in(found[0].annotation) if found else []
    out = {**err, "loc": tuple(loc), "tag": tag, "owners": holders, "members": members}
    ctx = err.get("ctx") or {}
    if err["type"] == "union_tag_invalid":
        expected = " or ".join(ctx["expected_tags"].rsplit(", ", 1))
        out |= {"type": "literal_error", "input": ctx["tag"], "ctx": {"expected": expected}}
        out["loc"] = (*loc, "type")
    elif err["type"] == "union_tag_not_found":
        out |= {"type": "missing", "loc": (*loc, "type")}
    return out


def _tagged(models: list[type[BaseModel]], part: Any) -> type[BaseModel] | None:
    """The member of a union that the loc part `part` names by its `type` tag, if it is one."""
    if not isinstance(part, str) or any(part in m.model_fields for m in models):
        return None
    for member in models:
        field = member.model_fields.get("type")
        if field is not None and part in get_args(field.annotation):
            return member
    return None


def _close_key(err: Any) -> str | None:
    """For an unknown key, the known key of the same model it most resembles."""
    if err["type"] != "extra_forbidden" or not err["owners"]:
        return None
    current = err["owners"][0]
    keys = [f.alias or name for name, f in current.model_fields.items()]
    close = difflib.get_close_matches(str(err["loc"][-1]), keys, n=1)
    return close[0] if close else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field holds: one, or the members of a union (also one built at schema time,
    whose metadata lists them as `models`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    for extra in getattr(annotation, "__metadata__", ()):
        if hasattr(extra, "models"):
            return list(extra.models)
    return [found for arg in get_args(annotation) for found in _models_in(arg)]


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


def _message(err: Any, hint: str, close: str | None = None) -> str:
    kind, given, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown(err, hint, close)
    if kind == "missing":
        return "required key is missing"
    plain = _PLAIN.get(kind)
    if plain is not None:
        return plain.format(given=_shown(given), type=_kind(given), **ctx)
    message: str = err["msg"]
    return message.removeprefix("Value error, ")


def _unknown(err: Any, hint: str, close: str | None) -> str:
    """An unknown key, for a union member with its type and the types that have the key."""
    key, tag = str(err["loc"][-1]), err.get("tag")
    head = f"unknown key for type {tag}" if tag else "unknown key"
    others = [
        str(other)
        for member in err.get("members", ())
        if key in (f.alias or name for name, f in member.model_fields.items())
        for other in get_args(member.model_fields["type"].annotation)
        if other != tag
    ]
    if others:
        types = f"type{'s' * (len(others) > 1)} {' and '.join(others)}"
        return f"{head}: {key!r} is a key of {types} (check `type`)"
    if close:
        return f"{head}; did you mean {close!r}?{' (see ' + hint + ')' if hint else ''}"
    return f"{head} (check the spelling{'; see ' + hint if hint else ''})"


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
