"""The `wirewatch` command line: one subcommand per module in `wirewatch.commands`.

Exit codes (a contract): 0 ok, 1 some input was bad or some work failed, 2 the command or the
config is wrong. A user's mistake is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from wirewatch import __version__
from wirewatch.errors import UserError, WirewatchError
from wirewatch.stops import Stops

# Each module has `add_parser(subparsers) -> None` and `run(args) -> int`.
COMMANDS: tuple[str, ...] = (
    "classify",
    "check_config",
    "poll",
    "run",
    "alerts",
    "stories",
    "backtest",
    "deliveries",
    "notify",
    "db",
    "watchlist",
    "routes",
    "silence",
    "schema",
    "completion",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser, or only the one of `only` (a module name in COMMANDS): a
    command run by name imports no other command's module."""
    parser = argparse.ArgumentParser(
        prog="wirewatch",
        description="Watch news feeds for tracked places and actors; deliver each alert once.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"wirewatch {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if only is None else (only,):
        try:
            module = importlib.import_module(f"wirewatch.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"wirewatch.commands.{name}":
                continue  # not built yet
            raise
        module.add_parser(subparsers)
    _describe(parser)
    return parser


def _command(words: list[str]) -> str | None:
    """The module of the command `words` start with (`check-config` is check_config), if any."""
    name = words[0].replace("-", "_") if words else ""
    return name if name in COMMANDS and "_" not in words[0] else None


def _describe(parser: argparse.ArgumentParser) -> None:
    """Each command's `--help` opens with what it does (its line in `wirewatch --help`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                sub, text = action.choices[choice.dest], choice.help or ""
                if sub.description is None and text:
                    sub.description = f"{text[:1].upper()}{text[1:]}."
                _describe(sub)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    # The daemon catches SIGTERM and SIGINT before the parser imports every command, so a stop
    # while it starts is a clean exit 0 rather than a traceback or a 143.
    stops = Stops.catch() if words[:1] == ["run"] else None
    parser = build_parser(_command(words))
    args = parser.parse_args(words)
    args.stops = stops
    try:
        code: int = args.run(args)
    except UserError as e:
        print(f"wirewatch: error: {e}", file=sys.stderr)
        return 2
    except WirewatchError as e:
        print(f"wirewatch: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wirewatch: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return code
