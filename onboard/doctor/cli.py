"""`onboard doctor`: why git stopped working, for yourself or (helpdesk) for another user.

Heavy imports (boto3 through the gateway, the sandbox) happen inside the
handler so `onboard --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboard.errors import InvalidInput, OnboardError

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.doctor.helpdesk import Action
    from onboard.settings import Settings

ACTION_FLAGS = (
    "delete_stale_device",
    "deactivate_mfa",
    "deactivate_ssh_key",
    "delete_ssh_key",
    "reset_git_credentials",
)


def register(subparsers: Any) -> None:
    """Add the `doctor` subcommand."""
    parser = subparsers.add_parser(
        "doctor",
        help="find why git against CodeCommit fails, and say the fix",
        description=(
            "Runs every check concurrently (environment, credentials, MFA, SSH, git, policy, "
            "a live git ls-remote) and reports each finding with its fix. Exit code 0 when "
            "nothing failed, 1 when something did. With --user NAME (helpdesk credentials), "
            "checks another user's account and can repair it."
        ),
    )
    parser.add_argument(
        "--repo",
        help="repository to check (default: the clone's CodeCommit remotes, else the first one "
        "found)",
    )
    parser.add_argument(
        "--url", help="a clone URL to check, as git would use it (https, ssh or codecommit://)"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="stable JSON (docs/doctor.md)")
    output.add_argument("--markdown", action="store_true", help="ticket-ready Markdown")
    parser.add_argument("--user", help="helpdesk mode: check this IAM user's account")
    parser.add_argument(
        "--only", action="append", default=[], metavar="PREFIX", help="only checks like ssh."
    )
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds for each live git ls-remote"
    )
    actions = parser.add_argument_group("helpdesk actions (need --user; each is confirmed)")
    actions.add_argument(
        "--delete-stale-device",
        nargs="?",
        const="",
        metavar="SERIAL",
        help="delete the unassigned virtual MFA device named after the user",
    )
    actions.add_argument("--deactivate-mfa", metavar="SERIAL", help="deactivate a lost device")
    actions.add_argument("--deactivate-ssh-key", metavar="KEY_ID", help="mark an SSH key Inactive")
    actions.add_argument("--delete-ssh-key", metavar="KEY_ID", help="delete an SSH key")
    actions.add_argument(
        "--reset-git-credentials",
        nargs="?",
        const="",
        metavar="CREDENTIAL_ID",
        help="reset the HTTPS Git password (shown once)",
    )
    actions.add_argument("--yes", action="store_true", help="do not ask before each action")
    actions.add_argument(
        "--show-secret",
        action="store_true",
        help="with --json: put the reset Git password in the action's `secret` field "
        "(that JSON is then not a report: never paste it into a ticket)",
    )
    parser.set_defaults(handler=run)


_IAM_USER_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


def validate(args: argparse.Namespace) -> None:
    """Refuse bad options before the sandbox or AWS is contacted (exit code 3)."""
    from onboard.doctor.checks import all_checks
    from onboard.doctor.context import DEFAULT_REGION
    from onboard.git import config as gitconfig

    # clone_url checks the region and repository names as CodeCommit does.
    gitconfig.clone_url(args.region or DEFAULT_REGION, args.repo or "my-repo", "https-helper")
    if args.url is not None:
        from onboard.doctor.remotes import parse_url

        if parse_url(args.url, DEFAULT_REGION) is None:
            raise InvalidInput(
                f"{args.url!r} is not a CodeCommit clone URL",
                "the doctor judges https://git-codecommit.REGION.amazonaws.com/v1/repos/REPO, "
                "ssh://git-codecommit.REGION.amazonaws.com/v1/repos/REPO and "
                "codecommit::REGION://[PROFILE@]REPO",
                "copy the URL from `git remote -v` or the CodeCommit console",
            )
    if not args.timeout > 0:
        raise InvalidInput(
            f"--timeout {args.timeout:g} is not a wait",
            "it is how many seconds each live git ls-remote may take",
            "give a positive number of seconds, e.g. --timeout 20",
        )
    if args.user is not None and not _IAM_USER_NAME.match(args.user):
        raise InvalidInput(
            f"{args.user!r} is not an IAM user name",
            "IAM user names are 1-64 letters, digits and + = , . @ _ -",
            "copy the name from the IAM console or the ticket",
        )
    ids = [spec.id for spec in all_checks()]
    unknown = [p for p in args.only if not any(i.startswith(p) for i in ids)]
    if unknown:
        raise InvalidInput(
            f"no check starts with {', '.join(unknown)}",
            "checks: " + ", ".join(ids),
            "use a prefix such as ssh. or live. (--only may be repeated)",
        )


def _wanted_actions(args: argparse.Namespace) -> list[str]:
    return [name for name in ACTION_FLAGS if getattr(args, name, None) is not None]


def build_actions(args: argparse.Namespace, gateway: Gateway, user: str) -> list[Action]:
    """The helpdesk actions the flags ask for, validated against the account."""
    from onboard.doctor import helpdesk

    actions: list[Action] = []
    if args.delete_stale_device is not None:
        actions += helpdesk.delete_stale_device(gateway, user, args.delete_stale_device or None)
    if args.deactivate_mfa:
        actions.append(helpdesk.deactivate_mfa_device(gateway, user, args.deactivate_mfa))
    if args.deactivate_ssh_key:
        actions.append(helpdesk.deactivate_ssh_key(gateway, user, args.deactivate_ssh_key))
    if args.delete_ssh_key:
        actions.append(helpdesk.delete_ssh_key(gateway, user, args.delete_ssh_key))
    if args.reset_git_credentials is not None:
        credential = args.reset_git_credentials or None
        actions.append(helpdesk.reset_git_credentials(gateway, user, credential))
    return actions


def _confirm_interactively(action: Action) -> bool:
    print(f"About to {action.description}.", file=sys.stderr)
    print(f"  equivalent: {action.cli_command}", file=sys.stderr)
    try:
        answer = input("Proceed? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def run_actions(
    args: argparse.Namespace,
    settings: Settings,
    confirm: Callable[[Action], bool] | None = None,
) -> list[dict[str, Any]]:
    """Validate, confirm and apply the requested helpdesk actions; a JSON-able summary."""
    from onboard.aws.gateway import Gateway
    from onboard.doctor import helpdesk

    gateway = Gateway.from_settings(settings)
    try:
        actions = build_actions(args, gateway, args.user)
    except OnboardError as exc:
        if "NoSuchEntity" not in exc.why:
            raise
        # The report's account.user names it (exit 1): nothing to change for nobody.
        print(f"no action taken: {exc.why}", file=sys.stderr)
        return []
    if confirm is None:
        if args.yes:
            confirm = _accept_all
        elif args.json or not sys.stdin.isatty():
            raise InvalidInput(
                "helpdesk actions need a confirmation",
                "there is no terminal to ask on",
                "add --yes to run them from a script",
            )
        else:
            confirm = _confirm_interactively
    results = helpdesk.apply(actions, gateway, confirm)
    summary = []
    for result in results:
        state = "done" if result.done else "declined"
        print(f"{state}: {result.action.description}", file=sys.stderr)
        print(f"  aws cli: {result.action.cli_command}", file=sys.stderr)
        entry: dict[str, Any] = {
            "action": result.action.name,
            "description": result.action.description,
            "aws_cli": result.action.cli_command,
            "done": result.done,
        }
        if result.secret is not None and args.json:
            # Asked for with --show-secret (checked in `run`): only here, added after
            # redaction, never in a finding. The terminal is told what the JSON holds.
            entry["secret"] = result.secret.to_json()
            print(
                f"  the JSON on stdout holds {args.user}'s new Git password: do not paste it "
                "into a ticket",
                file=sys.stderr,
            )
        elif result.secret is not None:
            # Shown once, on the helpdesk's terminal (stderr): the report on stdout never has it.
            print(
                f"  new HTTPS Git credentials for {args.user} (shown once, hand them over "
                f"privately): user name {result.secret.username}  password "
                f"{result.secret.password}",
                file=sys.stderr,
            )
        summary.append(entry)
    return summary


def _accept_all(action: Action) -> bool:
    return True


def run(args: argparse.Namespace) -> int:
    """Handler: run the checks (and helpdesk actions), print the report, return 0/1."""
    from concurrent.futures import ThreadPoolExecutor

    from onboard.doctor import report
    from onboard.doctor.checks import DoctorContext, all_checks, run_checks, select
    from onboard.runtime import helpdesk_settings, settings_for

    validate(args)
    _skip_final_collection()
    if _wanted_actions(args) and not args.user:
        raise InvalidInput(
            "helpdesk actions need --user NAME",
            "they change another user's account",
            "add --user NAME (with the helpdesk's credentials)",
        )
    if args.json and args.reset_git_credentials is not None and not args.show_secret:
        raise InvalidInput(
            "--json would not show the new Git password",
            "AWS shows a reset password once, and the --json report never holds secrets",
            "drop --json to see it on the terminal, or add --show-secret to get it in the "
            "action's `secret` field (then do not paste that JSON into a ticket)",
        )
    if args.show_secret and not (args.json and args.reset_git_credentials is not None):
        raise InvalidInput(
            "--show-secret goes with --json --reset-git-credentials",
            "without --json the new password is shown on the terminal anyway",
            "drop --show-secret",
        )
    with settings_for(args) as settings:
        actions: list[dict[str, Any]] = []
        if args.user:
            settings = helpdesk_settings(settings)
            if _wanted_actions(args):
                actions = run_actions(args, settings)
        ctx = DoctorContext(
            settings, repo=args.repo or settings.repo, subject_user=args.user,
            live_timeout=args.timeout, url=args.url, cwd=Path.cwd(),
        )  # fmt: skip
        specs = select(all_checks(), ctx, args.only)
        # Who am I is a network call: ask it beside the checks, not after them
        # (credentials.identity shares the answer when it runs).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="doctor-subject") as pool:
            who = pool.submit(_subject, ctx) if not args.user else None
            findings, elapsed = run_checks(ctx, specs)
            subject = f"user {args.user} (helpdesk)" if who is None else who.result()
        doctor_run = report.DoctorRun(
            findings,
            subject,
            region=ctx.region,
            repo=ctx.repo_name or _judged_repo(findings),
            mode="helpdesk" if args.user else "self",
            elapsed_seconds=elapsed,
            targets=_targets(ctx),
            actions=tuple(actions),
        )
        secrets = _known_secrets(settings)
        if args.json:
            document = report.to_json(doctor_run, secrets)
            if actions:
                document["actions"] = [_redacted_action(a, secrets) for a in actions]
            print(json.dumps(document, indent=2, sort_keys=False, default=str))
        elif args.markdown:
            print(report.to_markdown(doctor_run, secrets), end="")
        else:
            print(report.to_text(doctor_run, secrets), end="")
        return doctor_run.exit_code


def _judged_repo(findings: Any) -> str | None:
    """The repository the checks used when none was given (the first one listed)."""
    return next((str(f.data["repo"]) for f in findings if f.data.get("repo")), None)


def _targets(ctx: Any) -> tuple[dict[str, Any], ...]:
    """The remotes/URL judged, for the report (none when git could not be asked)."""
    try:
        targets = tuple(t.to_json() for t in ctx.targets())
    except Exception:  # git.remote reports why the clone could not be read
        return ()
    if targets or not ctx.repo_name or ctx.helpdesk:
        return targets
    from onboard.doctor.remotes import Target
    from onboard.git import config as gitconfig

    url = gitconfig.clone_url(ctx.region, ctx.repo_name, "https-helper")
    return (Target(url, ctx.region, ctx.repo_name, "https", source="--repo").to_json(),)


def _skip_final_collection() -> None:
    """At exit, freeze the heap so the interpreter's last garbage collections skip it.

    They walk every boto3/botocore object for 0.1-0.3 s and free nothing the
    OS would not reclaim at once; `atexit` runs before them (and only once per
    process, so tests that call `run` in-process are not affected before the end).
    """
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _redacted_action(entry: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """An action entry redacted like the report, except its asked-for `secret`."""
    from onboard.doctor.report import redact_json

    kept = {key: value for key, value in entry.items() if key != "secret"}
    redacted: dict[str, Any] = redact_json(kept, secrets)
    if "secret" in entry:
        redacted["secret"] = entry["secret"]
    return redacted


def _subject(ctx: Any) -> str:
    try:
        return str(ctx.fact("whoami", lambda: ctx.gateway().whoami()).arn)
    except Exception:  # the identity finding already says why
        return "unknown caller"


def _known_secrets(settings: Settings) -> list[str]:
    env = settings.env()
    names = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ONBOARD_HELPDESK_SECRET_ACCESS_KEY")
    return [env[name] for name in names if env.get(name)]
