"""`onboard audit`: which IAM users of an account or organization cannot use git, and why.

Heavy imports (boto3, the sandbox) happen inside the handler so `onboard
--help` stays fast. With no report flag on a terminal, the audit screen opens
(through the launcher `onboard.cli` hands in: the core never imports Textual).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from onboard.errors import InvalidInput

_IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_GROUP_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")
_REPO_NAME = re.compile(r"^[\w.-]{1,100}$")
MAX_CONCURRENCY = 32


def register(subparsers: Any) -> None:
    """Add the `audit` subcommand."""
    parser = subparsers.add_parser(
        "audit",
        help="which IAM users cannot use git, and why (account or organization)",
        description=(
            "Reads the account in few calls (authorization details, credential report, MFA "
            "devices) and judges every IAM user with the policy engine: per git method "
            "allowed / mfa-only / denied with the deciding statement, MFA enforced or not, "
            "MFA device, access keys. Exit code 0 when all is well, 1 when a user is blocked "
            "or MFA is not enforced (or an account could not be audited), 3 for bad input."
        ),
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="the JSON report (docs/audit.md)")
    output.add_argument("--csv", action="store_true", help="one CSV row per user")
    output.add_argument("--markdown", action="store_true", help="a Markdown report")
    output.add_argument("--text", action="store_true", help="a plain summary (no screen)")
    parser.add_argument("--user", action="append", default=[], help="only this user (repeatable)")
    parser.add_argument(
        "--group", action="append", default=[], help="only members of this group (repeatable)"
    )
    parser.add_argument("--repo", default="my-repo", help="repository judged (default my-repo)")
    parser.add_argument(
        "--keys",
        action="store_true",
        help="also read each user's SSH keys and Git credentials (two calls per user)",
    )
    parser.add_argument(
        "--org", action="store_true", help="audit every account of the organization"
    )
    parser.add_argument("--role-name", help="with --org: the role to assume in member accounts")
    parser.add_argument(
        "--max-concurrency",
        type=int,
        default=4,
        help="accounts audited (and, with --keys, calls made) at a time (default 4)",
    )
    parser.add_argument(
        "--profile",
        dest="audit_profiles",
        action="append",
        default=[],
        metavar="PROFILE",
        help="audit the account of this AWS profile (repeat for several accounts)",
    )
    parser.set_defaults(handler=run)


def validate(args: argparse.Namespace) -> None:
    """Refuse bad options before AWS is contacted (exit code 3)."""
    for user in args.user:
        if not _IAM_NAME.match(user):
            raise InvalidInput(
                f"{user!r} is not an IAM user name",
                "IAM user names are 1-64 letters, digits and + = , . @ _ -",
                "copy the name from the IAM console",
            )
    for group in args.group:
        if not _GROUP_NAME.match(group):
            raise InvalidInput(
                f"{group!r} is not an IAM group name",
                "IAM group names are 1-128 letters, digits and + = , . @ _ -",
                "copy the name from the IAM console",
            )
    if not _REPO_NAME.match(args.repo):
        raise InvalidInput(
            f"{args.repo!r} is not a CodeCommit repository name",
            "repository names are 1-100 letters, digits, . _ and -",
            "give the repository's name, e.g. --repo my-repo",
        )
    if args.org and not args.role_name:
        raise InvalidInput(
            "--org needs --role-name ROLE",
            "member accounts are entered by assuming a role in each",
            "add e.g. --role-name OrganizationAccountAccessRole",
        )
    if args.role_name and not args.org:
        raise InvalidInput(
            "--role-name goes with --org",
            "without --org only the caller's own account is audited",
            "add --org, or drop --role-name",
        )
    if args.role_name and not _IAM_NAME.match(args.role_name):
        raise InvalidInput(
            f"{args.role_name!r} is not an IAM role name",
            "role names are 1-64 letters, digits and + = , . @ _ -",
            "give the role's name, not its ARN",
        )
    if args.org and len(args.audit_profiles) > 1:
        raise InvalidInput(
            "--org takes one set of credentials",
            "the organization's accounts are entered through the role, not through profiles",
            "give at most one --profile (of the management account) with --org",
        )
    if not 1 <= args.max_concurrency <= MAX_CONCURRENCY:
        raise InvalidInput(
            f"--max-concurrency {args.max_concurrency} is out of range",
            f"it is how many accounts or calls run at a time (1-{MAX_CONCURRENCY})",
            "give e.g. --max-concurrency 4",
        )
    if args.audit_profiles and getattr(args, "sandbox", False):
        raise InvalidInput(
            "--profile and --sandbox do not go together",
            "the sandbox has its own credentials",
            "drop --profile",
        )


def options_from(args: argparse.Namespace) -> Any:
    """The audit options the arguments ask for."""
    from onboard.audit.run import AuditOptions

    profiles = list(args.audit_profiles)
    return AuditOptions(
        org=args.org,
        role_name=args.role_name,
        keys=args.keys,
        max_concurrency=args.max_concurrency,
        profiles=tuple(profiles),
        users=tuple(args.user),
        groups=tuple(args.group),
        repo=args.repo,
    )


def run(args: argparse.Namespace) -> int:
    """Handler: audit, print the report asked for, return 0/1."""
    validate(args)
    wants_report = args.json or args.csv or args.markdown or args.text
    launcher = getattr(args, "launch_tui", None)
    if not wants_report and launcher is not None and sys.stdout.isatty():
        args.tui = "audit"
        return int(launcher(args))
    from onboard.audit import report
    from onboard.audit.run import run_audit
    from onboard.runtime import settings_for

    def progress(message: str) -> None:
        if sys.stderr.isatty():
            print(f"onboard audit: {message}", file=sys.stderr, flush=True)

    with settings_for(args) as settings:
        result = run_audit(options_from(args), settings, progress)
    if args.json:
        sys.stdout.write(report.render_json(result))
    elif args.csv:
        sys.stdout.write(report.render_csv(result))
    elif args.markdown:
        sys.stdout.write(report.render_markdown(result))
    else:
        sys.stdout.write(report.render_text(result))
    return result.exit_code
