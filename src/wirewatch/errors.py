"""The exception tree of wirewatch.

    WirewatchError                 base of everything we raise on purpose
    ├── UserError                  the user's input is wrong: one clear line, exit 2, no traceback
    │   ├── ConfigError            config file: missing, malformed, invalid (carries every problem)
    │   ├── WatchlistError         a watchlist file is invalid
    │   └── InputError             a classify input cannot be read at all
    ├── FeedError                  a feed could not be fetched or parsed (retryable unless gone)
    │   ├── FetchError
    │   │   └── AddressRefused     the resolved address is not public (netguard); nothing was sent
    │   └── ParseError
    ├── StoreError                 the database failed
    └── DeliveryError              a notifier failed; `retryable` tells the dispatcher what to do

Each error reads as "what, where, what to do". Library exceptions are translated at the edges
with `raise ... from e`.
"""

from __future__ import annotations


class WirewatchError(Exception):
    """Base of every error wirewatch raises on purpose."""

    retryable: bool = False


class UserError(WirewatchError):
    """The user's input is wrong; shown as one line, exit code 2."""


class ConfigError(UserError):
    """The config file is missing, malformed or invalid.

    `problems` lists each one as "path: message" so that all are shown at once.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class WatchlistError(ConfigError):
    """A watchlist file is invalid."""


class InputError(UserError):
    """A classify input cannot be read."""


class FeedError(WirewatchError):
    """A feed could not be fetched or parsed."""

    retryable = True


class FetchError(FeedError):
    """Fetching a feed failed."""


class AddressRefused(FetchError):
    """The fetcher would have connected to a non-public address; it sent nothing."""


class ParseError(FeedError):
    """A feed document could not be parsed into items."""


class StoreError(WirewatchError):
    """The store failed."""

    retryable = True


class DeliveryError(WirewatchError):
    """A notifier failed to deliver; `retryable` says whether to try again."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        disable: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.disable = disable
