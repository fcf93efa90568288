"""The command line: parses arguments and dispatches to subcommands.

Subcommand modules are imported only to add their parser; each keeps its
heavy imports (boto3, moto, textual) inside its handler, so `onboard --help`
stays fast. With no subcommand, `onboard` starts the TUI through the launcher
that the `screens` package hands in (the core never imports Textual).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from onboard import __version__
from onboard.errors import OnboardError

# name -> module with `register(subparsers)`; each sets `handler` on its parser.
SUBCOMMANDS: dict[str, str] = {
    "policy": "onboard.policy.cli",
    "sandbox": "onboard.sandbox.cli",
    "doctor": "onboard.doctor.cli",
    "explain": "onboard.doctor.explain_cli",
    "mfa": "onboard.mfa.cli",
    "audit": "onboard.audit.cli",
}

Launcher = Callable[[argparse.Namespace], int]

# Exit code for bad input everywhere (argparse's own 2 means "MFA not enforced" for
# `onboard policy check`, so a typo must not look like a verdict).
USAGE_ERROR = 3


class _Parser(argparse.ArgumentParser):
    """argparse with our exit code for usage errors; subparsers inherit it."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="onboard",
        description=(
            "Get git working against AWS CodeCommit in an account that enforces MFA. "
            "With no command, starts the interactive walkthrough."
        ),
        epilog="Try it with no AWS account: onboard --sandbox",
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
        help="sandbox scenario: fresh, breaks-git, stale-device, onboarded (default: fresh)",
    )
    parser.set_defaults(handler=None)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module_name in SUBCOMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, launch_tui: Launcher | None = None) -> int:
    """Run `onboard`; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        if args.handler is not None:
            return int(args.handler(args))
        if launch_tui is None:
            parser.print_help()
            return 2
        return launch_tui(args)
    except OnboardError as exc:
        print(f"onboard: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("onboard: interrupted", file=sys.stderr)
        return 130
