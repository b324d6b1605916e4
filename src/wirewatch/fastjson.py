"""Fast JSON through orjson, the one module that imports it (about 3x the speed of `json`).

`loads` takes bytes or str and raises `ValueError` (`json.JSONDecodeError`) for bad input;
`dumps` returns UTF-8 bytes, `dumps_line` the same with a newline (one JSON Lines record).
"""

from __future__ import annotations

from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def dumps_line(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_APPEND_NEWLINE)
