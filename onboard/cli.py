"""The command line: parses arguments and dispatches to subcommands.

`onboard --help` and `--version` import no command module: each command is
listed from its one-line summary in `SUMMARIES`, and only the command that
runs has its module imported to add its parser (`onboard completion` loads
them all). Each module keeps its heavy imports (boto3, moto, textual) inside
its handler. With no subcommand, `onboard` starts the TUI through the launcher
that the `screens` package hands in (the core never imports Textual).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Collection, Sequence

from onboard import __version__
from onboard.errors import OnboardError

TYPE_CHECKING = False  # typing costs `onboard --help` 3 ms; mypy reads this name as usual
if TYPE_CHECKING:
    from typing import NoReturn

# name -> module with `register(subparsers)`; each sets `handler` on its parser.
SUBCOMMANDS: dict[str, str] = {
    "policy": "onboard.policy.cli",
    "sandbox": "onboard.sandbox.cli",
    "doctor": "onboard.doctor.cli",
    "explain": "onboard.doctor.explain_cli",
    "mfa": "onboard.mfa.cli",
    "credentials": "onboard.walkthrough.credentials_cli",
    "audit": "onboard.audit.cli",
    "completion": "onboard.completion",
}

# name -> the `help=` its module registers, so `onboard --help` lists it without
# importing it (tests/test_cli_lazy.py checks that both say the same).
SUMMARIES: dict[str, str] = {
    "policy": "judge IAM policies: does git still work under MFA enforcement?",
    "sandbox": "run the embedded sandbox AWS account as a local server",
    "doctor": "find why git against CodeCommit fails, and say the fix",
    "explain": "name the likely cause of a failed git/ssh/aws command from its output",
    "mfa": "MFA device tools: resync drifted codes, lost device",
    "credentials": "save the access key your administrator gave you (CSV or typed) as a profile",
    "audit": "which IAM users cannot use git, and why (account or organization)",
    "completion": "print the shell completion script (bash, zsh, fish)",
}

# Top-level modules that only the `sandbox` extra installs.
_SANDBOX_ONLY_MODULES = frozenset({"moto", "flask", "flask_cors", "werkzeug", "asyncssh"})
_COMMAND = "onboard_command"  # where the parser records which command was given

Launcher = Callable[[argparse.Namespace], int]

# Exit code for bad input everywhere (argparse's own 2 means "MFA not enforced" for
# `onboard policy check`, so a typo must not look like a verdict).
USAGE_ERROR = 3


class _Parser(argparse.ArgumentParser):
    """argparse with our exit code for usage errors; subparsers inherit it."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, sized like argparse does but without importing shutil."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, width or _help_width())


def _help_width() -> int:
    """`shutil.get_terminal_size().columns - 2`: $COLUMNS, else the terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return (columns or 80) - 2


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The CLI's parser: every command, or with `commands` only those fully loaded.

    Commands not loaded are listed by their summary (what `--help` shows) and
    take no arguments of their own; `main` loads the one that runs.
    """
    parser = _Parser(
        prog="onboard",
        description=(
            "Get git working against AWS CodeCommit in an account that enforces MFA. "
            "With no command, starts the interactive walkthrough."
        ),
        epilog="Try it with no AWS account: onboard --sandbox",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"onboard {__version__}")
    parser.add_argument("--profile", help="AWS profile to use (default: boto3's resolution)")
    parser.add_argument("--region", help="AWS region (default: the profile's, else us-east-1)")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against the embedded sandbox account (no AWS account needed)",
    )
    parser.add_argument(
        "--scenario",
        default="fresh",
        help="sandbox scenario: fresh, breaks-git, stale-device, onboarded, org (default: fresh)",
    )
    parser.set_defaults(handler=None)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", dest=_COMMAND)
    for name, module_name in SUBCOMMANDS.items():
        if commands is not None and name not in commands and name in SUMMARIES:
            subparsers.add_parser(name, help=SUMMARIES[name], add_help=False)
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, launch_tui: Launcher | None = None) -> int:
    """Run `onboard`; returns the process exit code (the table is in the README).

    No traceback reaches the user: an unexpected error prints one line and
    the path of a redacted 0600 report (`onboard.crash`), and exits 70.
    """
    try:
        return _main(argv, launch_tui)
    except BrokenPipeError:
        # The reader went away (`onboard ... | head`): nothing more to say.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:
        from onboard.crash import report_crash

        return report_crash(error, list(sys.argv[1:] if argv is None else argv))


def _main(argv: Sequence[str] | None, launch_tui: Launcher | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # First pass with every command as a summary (this pass prints --help/--version);
    # then, when a command was given, the real parse with its module loaded. A command
    # given first has no global option before it: the first pass is not needed.
    command: str | None = arguments[0] if arguments and arguments[0] in SUBCOMMANDS else None
    if command is None:
        parser = build_parser(commands=())
        given, _ = parser.parse_known_args(arguments)
        command = getattr(given, _COMMAND, None)
    if command is not None:
        parser = build_parser(commands=(command,))
    args = parser.parse_args(arguments)
    try:
        if args.sandbox or command == "sandbox":
            from onboard.sandbox.installed import require_sandbox_extra

            require_sandbox_extra()
        if args.handler is not None:
            args.launch_tui = launch_tui  # a subcommand may open its own screen (audit)
            return int(args.handler(args))
        if launch_tui is None:  # the core without the TUI: say what it can do
            parser.print_help()
            return USAGE_ERROR
        return launch_tui(args)
    except OnboardError as exc:
        print(f"onboard: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("onboard: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in _SANDBOX_ONLY_MODULES:
            raise
        from onboard.sandbox.installed import not_installed

        error = not_installed([exc.name or ""])
        print(f"onboard: {error.render()}", file=sys.stderr)
        return error.exit_code
