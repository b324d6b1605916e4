"""The real gazetteer, built once per test session in the session's private cache folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wirewatch.cachedir import cache_dir
from wirewatch.gazetteer import Gazetteer, open_gazetteer


@pytest.fixture(scope="session")
def gazetteer(_private_cache: None) -> Iterator[Gazetteer]:
    found = open_gazetteer(cache_dir())  # the CLI tests' subprocesses find the same index
    yield found
    found.close()
