"""errors.py draws its exception tree in its docstring: the drawing and the classes agree."""

from __future__ import annotations

import inspect
import re

from wirewatch import errors


def drawn_tree() -> dict[str, str]:
    """Each class in the docstring's drawing and the class drawn above it, one level up."""
    parents: dict[str, str] = {}
    stack: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"^    ((?:[│ ] {3}|[├└]── )*)(\w+Error|\w+Refused)\b", line)
        if not found:
            continue
        depth = len(found.group(1)) // 4
        stack[depth:] = [found.group(2)]
        if depth:
            parents[found.group(2)] = stack[depth - 1]
    return parents


def test_the_docstring_draws_every_class_under_its_real_base() -> None:
    classes = {
        name: cls
        for name, cls in vars(errors).items()
        if inspect.isclass(cls) and issubclass(cls, errors.WirewatchError)
    }
    real = {
        n: c.__bases__[0].__name__ for n, c in classes.items() if c is not errors.WirewatchError
    }

    assert real == drawn_tree()


def test_only_delivery_errors_carry_retryable() -> None:
    """The dispatcher is the one reader of `retryable`; no other error pretends to have it."""
    failure = errors.DeliveryError("HTTP 503", retryable=True, retry_after=5.0)

    assert (True, 5.0, False) == (failure.retryable, failure.retry_after, failure.disable)
    assert not hasattr(errors.StoreError("x"), "retryable")
    assert not hasattr(errors.FetchError("x"), "retryable")
