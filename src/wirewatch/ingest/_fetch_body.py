"""Reading a feed's bytes under a cap: an HTTP body as it streams in, or a local file
(`read_file_url`, a `file://` feed).

Both raise `FetchFailure` with one line when the cap is passed, the body cannot be decoded, or
the file cannot be read. A local file must be a regular file: a FIFO, a device or a directory is
refused at once instead of blocking a poll (a FIFO's reader waits for a writer forever).
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import stat
import zlib
from collections.abc import AsyncIterator
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from wirewatch.model import FetchResult, FetchStatus

MIB = 1024 * 1024


class FetchFailure(Exception):
    """This fetch failed for the reason given, one line."""

    def __init__(self, error: str, http_status: int | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.http_status = http_status


class Answer(Protocol):
    """What the fetcher reads of an answer: an `httpx.Response` or the lean transport's."""

    @property
    def status_code(self) -> int: ...
    @property
    def reason_phrase(self) -> str: ...
    @property
    def headers(self) -> Lookup: ...
    @property
    def url(self) -> httpx.URL: ...
    @property
    def is_stream_consumed(self) -> bool: ...
    @property
    def content(self) -> bytes: ...
    def aiter_raw(self) -> AsyncIterator[bytes]: ...
    async def aread(self) -> bytes: ...
    async def aclose(self) -> None: ...


class Lookup(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...


async def read_body(response: Answer, limit: int) -> bytes:
    """The decompressed body, or a FetchFailure as soon as it grows past `limit` bytes."""
    encoding = response.headers.get("content-encoding", "identity")
    if response.is_stream_consumed:  # a transport that read it already, e.g. respx's router
        return Inflater("identity", limit).feed(response.content).body()
    declared = response.headers.get("content-length", "")
    if encoding.strip().lower() == "identity" and declared.isdigit() and int(declared) > limit:
        raise FetchFailure(f"body larger than {size_text(limit)}", response.status_code)
    try:
        inflater = Inflater(encoding, limit)
        async for chunk in response.aiter_raw():
            inflater.feed(chunk)
    except FetchFailure as failure:
        raise FetchFailure(failure.error, response.status_code) from None
    except zlib.error as exc:
        error = one_line(f"cannot decompress {encoding} body: {exc}")
        raise FetchFailure(error, response.status_code) from exc
    return inflater.body()


class Inflater:
    """Decodes a body as it streams in, refusing to produce more than `limit` bytes.

    zlib's `max_length` bounds each step, so a bomb costs at most `limit` bytes of memory.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self._encoding = encoding.strip().lower()
        if self._encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FetchFailure(f"unsupported Content-Encoding '{encoding}'")
        self._limit = limit
        self._buffer = bytearray()
        self._zlib: zlib._Decompress | None = None

    def feed(self, data: bytes) -> Inflater:
        if self._encoding == "identity":
            self._add(data)
            return self
        if self._zlib is None:
            self._zlib = zlib.decompressobj(_wbits(self._encoding, data))
        while data:
            self._add(self._zlib.decompress(data, self._limit + 1 - len(self._buffer)))
            data = self._zlib.unconsumed_tail
        return self

    def _add(self, chunk: bytes) -> None:
        self._buffer += chunk
        if len(self._buffer) > self._limit:
            raise FetchFailure(f"body larger than {size_text(self._limit)}")

    def body(self) -> bytes:
        return bytes(self._buffer)


def _wbits(encoding: str, first: bytes) -> int:
    if encoding != "deflate":
        return 16 + zlib.MAX_WBITS
    zlib_wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
    return zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS  # some servers send raw deflate


_NOT_REGULAR = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


async def read_file_url(url: str, last_modified: str | None, limit: int) -> FetchResult:
    """A `file://` URL read like a feed: OK, or NOT_MODIFIED when its mtime is `last_modified`."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchFailure(f"file URL on another host '{parts.netloc}' (only local files)")
    path = Path(url2pathname(parts.path))
    stamp, body = await asyncio.to_thread(read_local_file, path, last_modified, limit)
    if body is None:
        return FetchResult(FetchStatus.NOT_MODIFIED, url, last_modified=stamp)
    content_type = mimetypes.guess_type(path.name)[0]
    return FetchResult(
        FetchStatus.OK, url, body=body, content_type=content_type, last_modified=stamp
    )


def read_local_file(path: Path, last_modified: str | None, limit: int) -> tuple[str, bytes | None]:
    """The file's mtime as an HTTP date, and its bytes (None when unchanged since then).

    Opened without blocking (O_NONBLOCK) and checked with fstat on the open descriptor, so
    neither a FIFO nor a file swapped in between the check and the read can hang the caller.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise FetchFailure(one_line(f"cannot read {path}: {exc.strerror or exc}")) from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((say for test, say in _NOT_REGULAR if test(info.st_mode)), "not a file")
            raise FetchFailure(f"cannot read {path}: it is {kind}, not a regular file")
        stamp = formatdate(info.st_mtime, usegmt=True)
        if stamp == last_modified:
            return stamp, None
        body = _read(fd, limit + 1)
    finally:
        os.close(fd)
    if len(body) > limit:
        raise FetchFailure(f"file larger than {size_text(limit)}")
    return stamp, body


def _read(fd: int, count: int) -> bytes:
    """Up to `count` bytes, fewer only at the end of the file."""
    chunks, left = [], count
    while left > 0 and (chunk := os.read(fd, min(left, MIB))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def one_line(text: str, width: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def size_text(count: int) -> str:
    if count % MIB == 0:
        return f"{count // MIB} MiB"
    return f"{count // 1024} KiB" if count % 1024 == 0 else f"{count} bytes"
