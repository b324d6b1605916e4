"""The exception tree of wirewatch.

    WirewatchError                 base of everything we raise on purpose: one line, exit 1
    ├── UserError                  the user's input is wrong: one clear line, exit 2
    │   ├── ConfigError            a config file: missing, malformed, invalid (every problem)
    │   │   └── WatchlistError     a watchlist file is missing, malformed or invalid
    │   └── InputError             a command's input cannot be read at all
    ├── FetchError                 a command's URL input could not be fetched
    │   └── AddressRefused         a connection would go to a non-public address; nothing sent
    ├── ParseError                 a feed document is not a feed
    ├── StoreError                 the database failed
    └── DeliveryError              a notifier failed; `retryable` tells the dispatcher what to do

Where each one ends: `cli.main` prints a `UserError` as `wirewatch: error: ...` with exit
code 2 and any other `WirewatchError` as `wirewatch: ...` with exit code 1, never a traceback.
The daemon's fetcher never raises for a feed: it catches `AddressRefused` from the network
guard and returns a failed `FetchResult`, as for every network problem; the pipeline catches
`ParseError` and records the feed as failing; a `StoreError` fails one pass or one claim, and
the next one tries again. Only a `DeliveryError` carries `retryable` (with `retry_after` and
`disable`), read by the dispatcher. Packages add their own leaves (`suggest.NothingFound`).

Each error reads as "what, where, what to do". Library exceptions are translated at the edges
with `raise ... from e`.
"""

from __future__ import annotations


class WirewatchError(Exception):
    """Base of every error wirewatch raises on purpose."""


class UserError(WirewatchError):
    """The user's input is wrong; shown as one line, exit code 2."""


class ConfigError(UserError):
    """The config file is missing, malformed or invalid.

    `problems` lists each one as "path: message" so that all are shown at once.
    """

    def __init__(self, source: str, problems: list[str], located: list[str] | None = None):
        self.source = source
        self.problems = problems
        self.located = located or [f"{source}: {p}" for p in problems]
        """Each problem as `file:line:column: path: message`, where the file has a place."""
        super().__init__("; ".join(self.located))


class WatchlistError(ConfigError):
    """A watchlist file is invalid."""


class InputError(UserError):
    """A command's input (a file, stdin, or a URL that names nothing) cannot be read."""


class FetchError(WirewatchError):
    """A command's URL input (`classify --input URL`) could not be fetched (exit code 1).

    The daemon's fetcher reports failures as a failed `FetchResult`, not with this error."""


class AddressRefused(FetchError):
    """The fetcher would have connected to a non-public address; it sent nothing."""


class ParseError(WirewatchError):
    """A feed document could not be parsed into items."""


class StoreError(WirewatchError):
    """The store failed; the pass or claim that met it is tried again later."""


class DeliveryError(WirewatchError):
    """A notifier failed to deliver; `retryable` says whether to try again, `retry_after` how
    many seconds the receiver asked for, `disable` that the endpoint is gone."""

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
