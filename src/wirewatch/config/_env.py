"""`WIREWATCH_...` environment overrides, named as such when they are wrong.

A value from the environment that fails validation is reported under its variable, not at a
place in the file that it overrode; a variable whose name is close to a setting's but matches
none (WIREWATCH_FETCH__INTERVL) is reported with the name it probably meant, instead of being
ignored or blamed on the file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from wirewatch.config.positions import path_of

PREFIX = "WIREWATCH_"
OTHERS = frozenset(
    PREFIX + name
    for name in ("CONFIG", "CACHE_DIR", "SHARED", "CORPUS", "EVAL", "TEST_PG_URL", "TEST_PG_BIN")
) | {PREFIX + "SKIP_PG"}
"""Variables that are not settings (read by commands, tests and scripts)."""


def overrides(environ: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """Key path -> variable, for every `WIREWATCH_A__B` set."""
    return {
        tuple(var[len(PREFIX) :].lower().split("__")): var
        for var in environ
        if var.startswith(PREFIX)
    }


def variables(model: type[BaseModel], path: tuple[str, ...] = ()) -> list[str]:
    """Every variable that sets a key of `model`, nested models included."""
    found = []
    for name, field in model.model_fields.items():
        here = (*path, name)
        found.append(PREFIX + "__".join(here).upper())
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += variables(kind, here)
    return found


def misspelt(environ: Mapping[str, str], model: type[BaseModel]) -> list[str]:
    """Variables that set nothing but are close to one that does."""
    known = variables(model)
    problems = []
    for var in environ:
        if not var.startswith(PREFIX) or var in known or var in OTHERS:
            continue
        close = difflib.get_close_matches(var, known, n=1, cutoff=0.85)
        if close:
            problems.append(f"environment variable {var} sets nothing; did you mean {close[0]}?")
    return problems


def blame(problems: Iterable[str], environ: Mapping[str, str], model: type[BaseModel]) -> list[str]:
    """Problems whose key came from the environment, rewritten to name the variable."""
    given = overrides(environ)
    known = variables(model)
    out = []
    for problem in problems:
        var = _source(path_of(problem), given)
        if var is None:
            out.append(problem)
        elif "unknown key" in problem:
            close = difflib.get_close_matches(var, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            out.append(f"environment variable {var} sets an unknown key{hint}")
        else:
            out.append(f"environment variable {var}: {problem}")
    return out


def _source(path: tuple[Any, ...] | None, given: dict[tuple[str, ...], str]) -> str | None:
    if not path:
        return None
    for length in range(len(path), 0, -1):
        var = given.get(tuple(str(p) for p in path[:length]))
        if var is not None:
            return var
    return None
