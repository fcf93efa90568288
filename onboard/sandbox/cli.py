"""`onboard sandbox`: the sandbox account as a standalone server for other programs.

Prints `export` lines (endpoint, region, the new hire's and the helpdesk's
keys, HOME of the sandbox home), optionally writes the same `NAME=value`
lines to a 0600 file, and serves until Ctrl-C or SIGTERM. Heavy imports
(moto, boto3) happen inside the handler so `onboard --help` stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shlex
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from onboard.errors import InvalidInput, OnboardError
from onboard.files import atomic_write, read_bounded

SCENARIO_NAMES = ("fresh", "breaks-git", "stale-device", "onboarded", "org")


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
    """Start the sandbox, print its environment, serve until a signal arrives.

    On POSIX the server runs in a child process and this one supervises it:
    SIGTERM/SIGINT are passed on, and a child that has not stopped within
    `STOP_GRACE` seconds (a runaway request) is killed; either way the env
    file (it holds secrets) is removed.
    """
    if args.env_file is not None:
        check_env_file(args.env_file)
    if args.home is not None:  # refused here, before anything starts
        from onboard.sandbox.home_claim import MARKER, claim_folder

        claim_folder(args.home, MARKER, "home (~/.gitconfig, ~/.ssh, ~/.aws)")
    if hasattr(os, "fork") and threading.active_count() == 1:
        return _supervise(args)
    return _serve(args)


STOP_GRACE = 5.0
_ENV_LINE = re.compile(r"^[A-Z_][A-Z0-9_]*=")


def check_env_file(path: Path) -> None:
    """Refuse an --env-file that exists and is not a sandbox env file (it is removed on exit)."""
    if not path.exists() and not path.is_symlink():
        return
    try:
        text = read_bounded(path, 64 * 1024).decode("utf-8")
    except (OnboardError, UnicodeDecodeError):
        text = ""
    lines = [line for line in text.splitlines() if line]
    ours = bool(lines) and all(_ENV_LINE.match(line) for line in lines)
    if not (ours and "AWS_ENDPOINT_URL=http://127.0.0.1:" in text):
        raise InvalidInput(
            f"{path} already exists and is not a sandbox env file",
            "the sandbox writes its env file new and removes it when it stops",
            "give --env-file a path that does not exist yet",
        )


def _supervise(args: argparse.Namespace) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child process
        code = 70
        try:
            code = _serve(args)
        except OnboardError as exc:
            print(f"onboard: {exc.render()}", file=sys.stderr)
            code = exc.exit_code
        except BaseException:
            from onboard.crash import report_crash

            code = report_crash()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    stop_at: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signum)
        if not stop_at:
            stop_at.append(time.monotonic() + STOP_GRACE)

    previous = {signum: signal.signal(signum, forward) for signum in _STOP_SIGNALS}
    status = 0
    try:
        while True:
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                break
            if stop_at and time.monotonic() > stop_at[0]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
                print(
                    f"# onboard sandbox did not stop within {STOP_GRACE:g} s: killed",
                    file=sys.stderr,
                    flush=True,
                )
                os.waitpid(child, 0)
                _remove_temporary_home(args)
                return 0
            time.sleep(0.05)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if args.env_file is not None:
            args.env_file.unlink(missing_ok=True)
    if os.WIFSIGNALED(status):
        return 0 if stop_at else 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _remove_temporary_home(args: argparse.Namespace) -> None:
    """After a kill: remove the temporary home the server made (its env file names it)."""
    if args.home is not None or args.env_file is None:
        return
    try:
        text = read_bounded(args.env_file, 64 * 1024).decode("utf-8", "replace")
    except OnboardError:
        return
    for line in text.splitlines():
        name, _, value = line.partition("=")
        folder = Path(value).parent
        if name == "HOME" and folder.name.startswith("onboard-sandbox-"):
            shutil.rmtree(folder, ignore_errors=True)


def _serve(args: argparse.Namespace) -> int:
    from onboard.sandbox.account import Sandbox
    from onboard.sandbox.guard import TOKEN_ENV

    scenario = args.sandbox_scenario or getattr(args, "scenario", None) or "fresh"
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _STOP_SIGNALS:
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    sandbox = None
    try:
        sandbox = Sandbox.start(scenario, port=args.port, home_root=args.home, git=not args.no_git)
        env = sandbox.env()
        sys.stdout.write(env_lines(env, export=True))
        sys.stdout.flush()
        if args.env_file is not None:
            # The admin token opens moto's admin API and the fault endpoint: it goes
            # only into this 0600 file, never to stdout.
            private = {**env, TOKEN_ENV: sandbox.admin_token}
            atomic_write(args.env_file, env_lines(private, export=False), mode=0o600, backup=False)
        print(
            f"# onboard sandbox ({scenario}) serving {sandbox.endpoint_url}; "
            "Ctrl-C or SIGTERM stops it",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if sandbox is not None:
            sandbox.stop()
        if args.env_file is not None and sandbox is not None:
            args.env_file.unlink(missing_ok=True)
    print("# onboard sandbox stopped", file=sys.stderr, flush=True)
    return 0
