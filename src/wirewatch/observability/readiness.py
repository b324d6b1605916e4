"""Readiness: the checks /readyz runs, each with a timeout, and how each one is shown.

A check returns a `Check` (or an awaitable of one). One that raises or does not answer within
`CHECK_TIMEOUT` seconds is a failed check with the reason; details have secrets masked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from wirewatch.observability.logging import default_redactor

CHECK_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class Check:
    """One readiness check. A failed check that is not `required` shows but does not fail."""

    ok: bool
    detail: str | None = None
    required: bool = True


CheckFunc = Callable[[], Check | Awaitable[Check]]


async def run_check(check: CheckFunc) -> Check:
    """Run one check with a timeout; a raised error or a timeout is a failed check."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            result = check()
            return await result if isawaitable(result) else result
    except TimeoutError:
        return Check(ok=False, detail=f"no answer within {CHECK_TIMEOUT:g} s")
    except Exception as e:
        return Check(ok=False, detail=default_redactor(f"{type(e).__name__}: {e}"))


def check_object(check: Check) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": check.ok, "required": check.required}
    if check.detail is not None:
        body["detail"] = default_redactor(check.detail)
    return body
