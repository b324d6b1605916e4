"""`wirewatch completion bash|zsh|fish`: a shell completion script, made from the parser.

    eval "$(wirewatch completion bash)"                 # in ~/.bashrc
    eval "$(wirewatch completion zsh)"                  # in ~/.zshrc
    wirewatch completion fish > ~/.config/fish/completions/wirewatch.fish

Commands, their actions (`routes test`, `silence add`) and their flags are completed; file
names are left to the shell.
"""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("completion", help="print a shell completion script")
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(run=run)


def tree(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """ "" -> the commands; "cmd" -> its actions and flags; "cmd action" -> that one's flags."""
    found: dict[str, list[str]] = {"": []}
    for name, sub in _children(parser).items():
        found[""].append(name)
        actions = _children(sub)
        found[name] = [*actions, *_flags(sub)]
        for action, inner in actions.items():
            found[f"{name} {action}"] = _flags(inner)
    return found


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--")
    ]


def bash(found: dict[str, list[str]]) -> str:
    cases = "\n".join(
        f'    "{key}") words="{" ".join(words)}" ;;' for key, words in found.items() if key
    )
    return f"""# wirewatch completion for bash (and zsh through bashcompinit)
_wirewatch() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" key="" words=""
  if [ "$COMP_CWORD" -ge 3 ] && [[ "${{COMP_WORDS[2]}}" != -* ]]; then
    key="${{COMP_WORDS[1]}} ${{COMP_WORDS[2]}}"
  elif [ "$COMP_CWORD" -ge 2 ]; then
    key="${{COMP_WORDS[1]}}"
  fi
  case "$key" in
    "") words="{" ".join(found[""])} --help --version" ;;
{cases}
  esac
  COMPREPLY=($(compgen -W "$words --help" -- "$cur"))
}}
complete -o default -F _wirewatch wirewatch
"""


def zsh(found: dict[str, list[str]]) -> str:
    return "autoload -U +X bashcompinit && bashcompinit\n" + bash(found)


def fish(found: dict[str, list[str]]) -> str:
    lines = ["# wirewatch completion for fish", "complete -c wirewatch -f"]
    commands = " ".join(found[""])
    lines.append(
        f'complete -c wirewatch -n "not __fish_seen_subcommand_from {commands}" -a "{commands}"'
    )
    for key, words in found.items():
        if not key:
            continue
        seen = " and ".join(f"__fish_seen_subcommand_from {part}" for part in key.split())
        for word in words:
            if word.startswith("--"):
                lines.append(f'complete -c wirewatch -n "{seen}" -l {word[2:]}')
            else:
                lines.append(f'complete -c wirewatch -n "{seen}" -a {word}')
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from wirewatch.cli import build_parser

    found = tree(build_parser())
    print({"bash": bash, "zsh": zsh, "fish": fish}[args.shell](found), end="")
    return 0
