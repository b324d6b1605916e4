"""One module per `wirewatch` subcommand: `add_parser(subparsers)` and `run(args) -> int`."""
