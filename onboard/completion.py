"""`onboard completion bash|zsh|fish`: the shell completion script, from the parser itself.

shtab turns the argparse parser into a static script, so completing costs the
shell nothing at TAB time and `onboard` nothing at start-up: the script is
made once, when this command runs (it loads every command's parser).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import PurePath
from typing import Any

SHELLS = ("bash", "zsh", "fish")

# Where each shell looks for a completion script (printed by `--help`, shown in the README).
INSTALL_COMMANDS = {
    "bash": "onboard completion bash > ~/.local/share/bash-completion/completions/onboard",
    "zsh": "onboard completion zsh > ~/.zfunc/_onboard",
    "fish": "onboard completion fish > ~/.config/fish/completions/onboard.fish",
}
INSTALL_HINTS = "\n".join(
    [f"{shell + ':':5} {command}" for shell, command in INSTALL_COMMANDS.items()]
    + ["(zsh: with fpath+=(~/.zfunc) before compinit in ~/.zshrc)"]
)

# Metavars that name a file, so the shell offers file names for them.
_FILE_METAVAR_HINTS = ("FILE", "PATH", "DIR", ".json", ".csv", ".toml")


def register(subparsers: Any) -> None:
    """Add `onboard completion` to the CLI."""
    parser = subparsers.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh, fish)",
        description="Print a completion script for SHELL on standard output.",
        epilog=INSTALL_HINTS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    parser.set_defaults(handler=run)


def _names_a_file(action: argparse.Action) -> bool:
    if isinstance(action.type, type) and issubclass(action.type, PurePath):
        return True
    metavar = action.metavar if isinstance(action.metavar, str) else ""
    return any(hint in metavar for hint in _FILE_METAVAR_HINTS)


def mark_file_arguments(parser: argparse.ArgumentParser) -> None:
    """Tell shtab which arguments take file names, in every (sub)parser."""
    import shtab

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                mark_file_arguments(subparser)
        elif _names_a_file(action):
            action.complete = shtab.FILE  # type: ignore[attr-defined]


def script(shell: str) -> str:
    """The completion script for `shell`, covering every command and option."""
    import shtab

    from onboard.cli import build_parser  # the whole parser: every command loaded

    parser = build_parser()
    mark_file_arguments(parser)
    return str(shtab.complete(parser, shell=shell))


def run(args: argparse.Namespace) -> int:
    """Print the script for the shell asked for."""
    sys.stdout.write(script(args.shell))
    return 0
