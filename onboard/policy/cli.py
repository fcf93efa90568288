"""`onboard policy check|fix|simulate`: the engine on the command line.

Exit codes: 0 git works (or nothing here denies it) and MFA is enforced;
1 git denied (with --complete: also not granted); 2 MFA not enforced;
3 invalid input (one line naming the file and place).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from onboard.policy.errors import PolicyError
from onboard.policy.jsonio import loads, read_limited

if TYPE_CHECKING:
    from onboard.policy.document import Policy

DEFAULT_REGION = "us-east-1"
# AWS caps a policy document at 10,240 characters (a role's inline policies; managed ones at
# 6,144). A file a hundred times that is not a policy: refuse it rather than spend minutes.
MAX_POLICY_BYTES = 1_048_576
# `policy simulate` reads at most this much (about 40,000 requests with their own
# documents; the shared form holds far more): larger batches are split.
MAX_BATCH_BYTES = 64 * 1_048_576


class _PolicyParser(argparse.ArgumentParser):
    """Usage errors exit 3 (invalid input): argparse's 2 means "MFA not enforced" here."""

    def error(self, message: str) -> NoReturn:
        """Print usage and the message, exit 3."""
        self.print_usage(sys.stderr)
        self.exit(3, f"{self.prog}: error: {message}\n")


def register(subparsers: Any) -> None:
    """Add `onboard policy ...` to the top-level parser."""
    policy = subparsers.add_parser(
        "policy",
        help="judge IAM policies: does git still work under MFA enforcement?",
        description="Judge IAM policies offline, following AWS's evaluation logic.",
    )
    policy.set_defaults(handler=lambda _args: _usage(policy))
    commands = policy.add_subparsers(
        title="policy commands", metavar="COMMAND", parser_class=_PolicyParser
    )

    check = commands.add_parser(
        "check",
        help="git verdict per access method, MFA enforcement, findings",
        description=(
            "Judge identity policies (usually the account's MFA policy). Exit 0: git works "
            "(or nothing here denies it) and MFA is enforced; 1: git denied (with --complete "
            "also: not granted); 2: MFA not enforced; 3: invalid input."
        ),
    )
    check.add_argument(
        "policies",
        nargs="*",
        metavar="POLICY.json",
        help="identity policy files (none: the user has no identity policy)",
    )
    check.add_argument(
        "--complete",
        action="store_true",
        help="the files are the user's whole effective set: a missing grant fails too",
    )
    check.add_argument(
        "--boundary",
        action="append",
        default=[],
        metavar="FILE",
        help="a permissions boundary policy (repeatable)",
    )
    # --scp and --scp-level append to one list, so the levels keep the command line's order.
    check.add_argument(
        "--scp",
        dest="scp_levels",
        action="append",
        default=[],
        type=lambda value: [value],
        metavar="FILE",
        help="an SCP alone at the next organization level, root first (repeatable)",
    )
    check.add_argument(
        "--scp-level",
        dest="scp_levels",
        action="append",
        type=lambda value: value.split(","),
        metavar="FILE,FILE",
        help="the SCPs attached at the next level, of which one must allow (repeatable)",
    )
    check.add_argument(
        "--mfa-session-duration",
        type=int,
        default=None,
        metavar="SECONDS",
        help="how long MFA sessions last (900-129600; default 43200, GetSessionToken's)",
    )
    # SUPPRESS keeps the top-level `onboard --region` when this one is not given.
    check.add_argument("--region", default=argparse.SUPPRESS, help="region (default: us-east-1)")
    check.add_argument("--account", default="123456789012", help="account id")
    check.add_argument("--user", default="new-hire", help="IAM user name")
    check.add_argument("--repo", default="my-repo", help="repository name")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=run_check)

    fix = commands.add_parser(
        "fix",
        help="patch an MFA policy so git works (re-checked before it is printed)",
        description=(
            "Print the patched policy and a diff. Default: the seed article's two changes "
            "(codecommit:* exempt, Null kms:ViaService). --json prints the patched document alone."
        ),
    )
    fix.add_argument("policy", metavar="POLICY.json")
    fix.add_argument(
        "--least-privilege",
        action="store_true",
        help="exempt only codecommit:GitPull and codecommit:GitPush instead of codecommit:*",
    )
    fix.add_argument("--json", action="store_true", help="print only the patched document")
    fix.set_defaults(handler=run_fix)

    simulate = commands.add_parser(
        "simulate",
        help="evaluate a JSON list of requests; prints a JSON list of results",
        description="Read a JSON list of requests from FILE (or stdin with - or no FILE).",
    )
    simulate.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    simulate.set_defaults(handler=run_simulate)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 3


def _read_policy(path: str) -> bytes:
    return read_limited(path, MAX_POLICY_BYTES, "any IAM policy", first=b"{")


def _emit(text: str | bytes | list[bytes]) -> None:
    """Print `text` (or pieces of it, written in turn: a large output is not copied into
    one piece first); a reader that went away (`| head`) is not an error worth a traceback."""
    try:
        if isinstance(text, bytes):
            text = [text]
        if isinstance(text, list) and hasattr(sys.stdout, "buffer"):
            sys.stdout.flush()
            sys.stdout.buffer.writelines(text)
            sys.stdout.buffer.write(b"\n")
        elif isinstance(text, list):  # a text stream standing in for stdout
            sys.stdout.write(b"".join(text).decode() + "\n")
        else:
            sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def load_policy(path: str, kind: str = "identity") -> Policy:
    """Parse a policy file; also takes `aws iam get-policy-version` / `get-role-policy` output."""
    from onboard.policy.document import parse_policy

    decoded = loads(_read_policy(path), "<stdin>" if path == "-" else path)
    if isinstance(decoded, dict) and "Statement" not in decoded:
        if isinstance(decoded.get("PolicyVersion"), dict):
            decoded = decoded["PolicyVersion"].get("Document", decoded)
        elif "PolicyDocument" in decoded:
            decoded = decoded["PolicyDocument"]
        if isinstance(decoded, str):  # the raw API returns the document URL-encoded
            from urllib.parse import unquote  # only for a URL-encoded document

            decoded = unquote(decoded)
            return parse_policy(decoded, path, kind=kind)
    return parse_policy(decoded, path, kind=kind)


def run_check(args: argparse.Namespace) -> int:
    """`onboard policy check`."""
    from onboard.policy.git import (
        DEFAULT_MFA_SESSION_DURATION,
        MFA_SESSION_RANGE,
        GitTarget,
        check_git,
    )

    if not re.fullmatch(r"\d{12}", args.account):
        raise PolicyError(f"--account: {args.account!r} is not a 12-digit AWS account id")
    for option, value in (("--user", args.user), ("--repo", args.repo)):
        if not re.fullmatch(r"[\w+=,.@-]{1,100}", value):
            raise PolicyError(f"{option}: {value!r} is not a valid name")
    if not args.policies and not args.scp_levels and not args.boundary:
        raise PolicyError("policy check: give at least one POLICY.json file (or --scp/--boundary)")
    policies = [load_policy(path) for path in args.policies]
    boundaries = [load_policy(path, "boundary") for path in args.boundary]
    scps = [[load_policy(path, "scp") for path in level if path] for level in args.scp_levels]
    if any(not level for level in scps):
        raise PolicyError("--scp-level: name at least one SCP file (FILE,FILE)")
    duration = args.mfa_session_duration
    low, high = MFA_SESSION_RANGE
    if duration is not None and not low <= duration <= high:
        raise PolicyError(
            f"--mfa-session-duration: {duration} is outside what AWS allows ({low}-{high} s)"
        )
    target = GitTarget(
        account=args.account,
        user=args.user,
        region=getattr(args, "region", None) or DEFAULT_REGION,
        repo=args.repo,
    )
    report = check_git(
        policies,
        target,
        complete=args.complete,
        boundaries=boundaries,
        scps=scps,
        mfa_session_duration=duration or DEFAULT_MFA_SESSION_DURATION,
    )
    _emit(json.dumps(report.to_json(), indent=2) if args.json else report.render_text())
    return report.exit_code


def run_fix(args: argparse.Namespace) -> int:
    """`onboard policy fix`."""
    from onboard.policy.fix import fix_policy

    policy = load_policy(args.policy)
    result = fix_policy(policy, least_privilege=args.least_privilege)
    if args.json:
        print(json.dumps(result.patched, indent=2))
        return 0
    print(json.dumps(result.patched, indent=2))
    print()
    if not result.changes:
        print("Nothing to change: the policy already exempts what git needs.")
    else:
        print("Changes:")
        for change in result.changes:
            print(f"  {change}")
        print()
        print(result.diff, end="" if result.diff.endswith("\n") else "\n")
    print()
    print("Re-checked with the engine: git works with every method and MFA is still enforced.")
    remaining = [f for f in result.report.findings if f.severity != "info"]
    for finding in remaining:
        print(f"  [{finding.severity}] {finding.id}: {finding.message}")
    return 0


def run_simulate(args: argparse.Namespace) -> int:
    """`onboard policy simulate`."""
    from onboard.policy.simulate import simulate_pieces

    name = "<stdin>" if args.file == "-" else args.file
    _emit(simulate_pieces(read_limited(args.file, MAX_BATCH_BYTES, "a batch"), name))
    return 0
