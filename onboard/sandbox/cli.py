"""`onboard sandbox`: the sandbox account as a standalone server for other programs.

Prints `export` lines (endpoint, region, the new hire's and the helpdesk's
keys, HOME of the sandbox home), optionally writes the same `NAME=value`
lines to a 0600 file, and serves until Ctrl-C or SIGTERM. Heavy imports
(moto, boto3) happen inside the handler so `onboard --help` stays light.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from onboard.files import atomic_write

SCENARIO_NAMES = ("fresh", "breaks-git", "stale-device", "onboarded")


def register(subparsers: Any) -> None:
    """Add `onboard sandbox` to the CLI."""
    parser = subparsers.add_parser(
        "sandbox",
        help="run the embedded sandbox AWS account as a local server",
        description=(
            "Serve the sandbox AWS account (IAM, STS, CodeCommit, KMS, git over HTTPS/SSH) "
            "on 127.0.0.1 until Ctrl-C or SIGTERM. Prints the export lines that point "
            "the AWS CLI, boto3 and git at it."
        ),
    )
    parser.add_argument(
        "--scenario",
        dest="sandbox_scenario",
        choices=SCENARIO_NAMES,
        default=None,
        help="what the account looks like (default: fresh, or the global --scenario)",
    )
    parser.add_argument("--port", type=_port, default=0, help="AWS API port (default: random)")
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="also write NAME=value lines to this file (mode 0600; removed on exit)",
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=None,
        help="sandbox home folder to use (default: a temporary one, removed on exit)",
    )
    parser.add_argument(
        "--no-git", action="store_true", help="do not start the git HTTPS/SSH endpoints"
    )
    parser.set_defaults(handler=run)


def _port(text: str) -> int:
    """A TCP port number; argparse turns the ValueError into a usage error (exit 3)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (0-65535)")
    return port


def env_lines(env: dict[str, str], *, export: bool) -> str:
    """`export NAME=value` (shell-quoted) or plain `NAME=value` lines."""
    if export:
        return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())
    return "".join(f"{name}={value}\n" for name, value in env.items())


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print its environment, serve until a signal arrives."""
    from onboard.sandbox.account import Sandbox

    scenario = args.sandbox_scenario or getattr(args, "scenario", None) or "fresh"
    stop = threading.Event()
    sandbox = Sandbox.start(scenario, port=args.port, home_root=args.home, git=not args.no_git)
    previous: dict[signal.Signals, Any] = {}
    try:
        env = sandbox.env()
        sys.stdout.write(env_lines(env, export=True))
        sys.stdout.flush()
        if args.env_file is not None:
            atomic_write(args.env_file, env_lines(env, export=False), mode=0o600, backup=False)
            args.env_file.chmod(0o600)
        print(
            f"# onboard sandbox ({scenario}) serving {sandbox.endpoint_url}; "
            "Ctrl-C or SIGTERM stops it",
            file=sys.stderr,
            flush=True,
        )
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, lambda *_: stop.set())
        while not stop.wait(0.5):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sandbox.stop()
        if args.env_file is not None:
            args.env_file.unlink(missing_ok=True)
    print("# onboard sandbox stopped", file=sys.stderr, flush=True)
    return 0
