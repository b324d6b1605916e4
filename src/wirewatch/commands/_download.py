"""A command's URL input (`classify --input URL`): one fetch through the feed fetcher, so every
fetch limit and the network guard apply; `--config FILE` supplies the `fetch.*` settings."""

from __future__ import annotations

import asyncio

from wirewatch.errors import FetchError, InputError
from wirewatch.ingest.fetch import Fetcher, FetchPolicy
from wirewatch.model import FetchResult, FetchStatus
from wirewatch.observability.logging import redact_log_url


def download(url: str, config: str | None) -> bytes:
    """The body at `url`; a failure is one line: InputError (exit 2) when the server says the
    URL names nothing (4xx), FetchError (exit 1) for everything else."""
    result = asyncio.run(_fetch(url, fetch_settings(config)))
    if result.status is FetchStatus.OK:
        return result.body
    reason = f"cannot fetch {redact_log_url(url)}: {result.error}"
    if result.http_status is not None and 400 <= result.http_status < 500:
        raise InputError(reason)
    raise FetchError(reason)


def fetch_settings(config: str | None) -> FetchPolicy:
    """The fetch policy of the config file given with --config, or the defaults."""
    if config is None:
        return FetchPolicy()
    from wirewatch.config.settings import load_config
    from wirewatch.parts import fetch_policy

    return fetch_policy(load_config(config))


async def _fetch(url: str, policy: FetchPolicy) -> FetchResult:
    async with Fetcher(policy) as fetcher:
        return await fetcher.fetch(url)
