"""`onboard credentials import FILE.csv` and `onboard credentials add`: step 1 for scripts.

The same core as the walkthrough's step 1 (`onboard.walkthrough.first_key`):
the key is checked with AWS before anything is written, then saved as a
profile. Exit codes: 0 saved, 1 AWS refused the key, 3 bad input (a file
that is not a key, a taken profile name), 4 AWS could not be asked.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any, TextIO

from onboard.errors import InvalidInput
from onboard.secret import Secret


def register(subparsers: Any) -> None:
    """Add `credentials import` and `credentials add`."""
    parser = subparsers.add_parser(
        "credentials",
        help="save the access key your administrator gave you (CSV or typed) as a profile",
        description=(
            "Check an access key with AWS (sts get-caller-identity), then save it as an AWS "
            "profile in ~/.aws/credentials (0600) and its region in ~/.aws/config. Nothing "
            "is written if AWS refuses the key."
        ),
    )
    commands = parser.add_subparsers(title="credentials commands", metavar="COMMAND", required=True)
    imported = commands.add_parser(
        "import",
        help="import the .csv the IAM console downloaded (either format)",
        description=(
            "Import the CSV the IAM console downloads: `Access key ID,Secret access key`, or "
            "the new-user file `User name,Password,Access key ID,Secret access key,Console "
            "login link`. The file is never copied; delete it afterwards (--delete-file)."
        ),
    )
    imported.add_argument("file", type=Path, metavar="FILE.csv", help="the file (~ is your home)")
    _common(imported)
    imported.add_argument(
        "--delete-file",
        action="store_true",
        help="delete the CSV once the key is saved (it holds the secret in clear text)",
    )
    imported.set_defaults(handler=run_import)
    added = commands.add_parser(
        "add",
        help="type the key ID and secret (the secret is not echoed)",
        description=(
            "Asks for the access key ID and the secret (not echoed). Without a terminal, "
            "reads the key ID and the secret as two lines of standard input."
        ),
    )
    _common(added)
    added.set_defaults(handler=run_add)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        dest="target_profile",
        metavar="P",
        help="profile name to save as (default: `default` when free, else your user name)",
    )
    parser.add_argument(
        "--region",
        dest="target_region",
        metavar="R",
        help="the profile's region (default: the console link's, else where your "
        "CodeCommit repositories are, else the configured one)",
    )


def run_import(args: argparse.Namespace) -> int:
    """Handler: import the console's CSV."""
    path = Path(args.file).expanduser()
    code = _check_and_save(args, str(path), "", "")
    if code == 0:
        _offer_delete(path, args.delete_file)
    return code


def run_add(args: argparse.Namespace) -> int:
    """Handler: ask for the key (the secret through getpass)."""
    key_id, secret = _ask_key(sys.stdin)
    return _check_and_save(args, None, key_id, secret)


def _ask_key(stdin: TextIO) -> tuple[str, Secret]:
    if stdin.isatty():
        key_id = input("Access key ID: ")
        secret = getpass.getpass("Secret access key (not shown): ")
        return key_id, Secret(secret)
    lines = stdin.read().splitlines()
    if len(lines) < 2:
        raise InvalidInput(
            "no key on standard input",
            "without a terminal, `onboard credentials add` reads two lines: key ID, then secret",
            "pipe both lines in, or use `onboard credentials import FILE.csv`",
        )
    return lines[0], Secret(lines[1])


def _check_and_save(
    args: argparse.Namespace, csv_path: str | None, key_id: str, secret: str | Secret
) -> int:
    from onboard.aws.files import display_name
    from onboard.runtime import settings_for
    from onboard.walkthrough.first_key import check_access_key, load_key, save_checked

    target = args.target_profile or args.profile or None
    with settings_for(args) as settings:
        if args.target_region:
            settings = settings.replace(region=args.target_region)
        key = load_key(settings, csv_path, key_id, secret)
        if key.path is not None:
            print(f"Read {key.describe()}.", file=sys.stderr)
        check = check_access_key(settings, key, probe=args.target_region is None)
        identity = check.checked.identity
        print(
            f"AWS accepted the key: user {identity.user_name}, account {identity.account}.",
            file=sys.stderr,
        )
        saved = save_checked(settings, check, target, args.target_region)
        where = display_name(settings.home, saved.credentials.path)
        state = "saved" if saved.credentials.changed else "was already saved"
        region = f", region {saved.region}" if saved.region else ""
        print(f"The key {state} as the profile {saved.profile} in {where} (0600){region}.")
        use = "" if saved.profile == "default" else f" --profile {saved.profile}"
        print(f"Next: run `onboard{use}` to set up MFA and git.")
    return 0


def _offer_delete(path: Path, delete: bool) -> None:
    from onboard.aws.credentials import delete_key_file

    if not delete and sys.stdin.isatty():
        answer = input(f"Delete {path} now? It holds the secret in clear text. [y/N] ")
        delete = answer.strip().lower() in ("y", "yes")
    if delete:
        delete_key_file(path)
        print(f"Deleted {path}.")
    else:
        print(f"{path} still holds the secret in clear text: delete it when you can.")
