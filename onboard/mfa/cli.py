"""`onboard mfa resync` (two consecutive codes) and `onboard mfa lost` (who can help)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC
from pathlib import Path
from typing import Any

from onboard.errors import InvalidInput
from onboard.files import read_bounded


def register(subparsers: Any) -> None:
    """Add `mfa resync`, `mfa session` and `mfa lost`."""
    parser = subparsers.add_parser(
        "mfa", help="MFA device tools: resync drifted codes, lost device"
    )
    commands = parser.add_subparsers(title="mfa commands", metavar="COMMAND", required=True)
    resync = commands.add_parser(
        "resync",
        help="resynchronise a device whose codes are refused (two consecutive codes)",
        description=(
            "Asks for two consecutive codes from your authenticator app, checks them locally, "
            "and calls ResyncMFADevice. Works without an MFA session."
        ),
    )
    resync.add_argument("--serial", help="the device's serial/ARN (default: your only device)")
    resync.add_argument(
        "--codes", nargs=2, metavar=("CODE1", "CODE2"), help="the two codes (else asked)"
    )
    resync.add_argument(
        "--seed-file",
        type=Path,
        help="a 0600 file with the device's base32 seed, for a full local diagnosis",
    )
    resync.set_defaults(handler=run_resync)
    session = commands.add_parser(
        "session",
        help="renew the saved MFA session profile (<profile>-mfa) with one code",
        description=(
            "Asks for one code, gets an MFA session (STS GetSessionToken) as long as your "
            "policy's aws:MultiFactorAuthAge allows, and writes it as the <profile>-mfa "
            "profile (atomic, 0600) for the AWS CLI and git-remote-codecommit."
        ),
    )
    # SUPPRESS keeps the top-level `onboard --profile` when this one is not given.
    session.add_argument("--profile", default=argparse.SUPPRESS, help="the base profile")
    session.add_argument(
        "--duration", type=int, metavar="S", help="seconds (900-129600; default 12 h)"
    )
    session.add_argument("--serial", help="the device's serial/ARN (default: your only device)")
    session.add_argument("--code", help="the code (else asked)")
    session.set_defaults(handler=run_session)
    lost = commands.add_parser("lost", help="the device is lost: who can help, what they run")
    lost.add_argument("--serial", help="the lost device's serial/ARN")
    lost.set_defaults(handler=run_lost)


MAX_SEED_FILE = 4096
"""A base32 seed is 64 characters; a seed file larger than this is not one."""


def _read_seed(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        if path.stat().st_mode & 0o077:
            raise InvalidInput(
                f"{path} is readable by others",
                "an MFA seed is as secret as a password",
                f"chmod 600 {path}",
            )
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}", exc.strerror or str(exc), "") from exc
    data = read_bounded(path, MAX_SEED_FILE)  # refuses FIFOs, devices and big files
    try:
        return data.decode("ascii").strip()
    except UnicodeDecodeError:
        # Never quote the bytes: they may be most of the seed.
        raise InvalidInput(
            f"{path} does not hold a base32 seed",
            "it contains bytes that are not letters or digits",
            "save the seed as plain text (A-Z and 2-7), mode 0600",
        ) from None


def _ask_codes() -> tuple[str, str]:
    if not sys.stdin.isatty():
        raise InvalidInput("no codes given", "there is no terminal to ask on", "use --codes C1 C2")
    first = input("First code from your authenticator app: ")
    print("Wait for the next code to appear (up to 30 seconds).", file=sys.stderr)
    second = input("Next code: ")
    return first, second


def run_resync(args: argparse.Namespace) -> int:
    """Handler: resync the caller's device."""
    from onboard.aws.gateway import Gateway
    from onboard.mfa import resync
    from onboard.runtime import settings_for

    seed = _read_seed(args.seed_file)
    if args.codes:
        # Codes that cannot work are refused before AWS (or the sandbox) is asked.
        resync.precheck(*args.codes)
    with settings_for(args) as settings:
        gateway = Gateway.from_settings(settings)
        identity = gateway.whoami()
        if identity.user_name is None:
            raise InvalidInput(
                "these credentials are not an IAM user's",
                "MFA devices belong to IAM users",
                "run with the IAM user's access key",
            )
        serial = resync.device_serial(gateway, identity.user_name, args.serial)
        first, second = args.codes if args.codes else _ask_codes()
        diagnosis = resync.precheck(first, second, seed_base32=seed, now=time.time())
        result = resync.resync(gateway, identity.user_name, serial, first, second, diagnosis)
        print(result.message)
    return 0


def run_session(args: argparse.Namespace) -> int:
    """Handler: a new MFA session saved as `<profile>-mfa`, within the policy's age limit."""
    from onboard.aws.errors import AccessDenied
    from onboard.aws.gateway import Gateway
    from onboard.mfa import codes, resync
    from onboard.mfa.session import choose_duration, mfa_age_limit, renew_session
    from onboard.runtime import settings_for

    with settings_for(args) as settings:
        gateway = Gateway.from_settings(settings)
        identity = gateway.whoami()
        if identity.user_name is None:
            raise InvalidInput(
                "these credentials are not an IAM user's",
                "MFA sessions are for IAM users with an MFA device",
                "run with the IAM user's access key (--profile)",
            )
        user = identity.user_name
        serial = resync.device_serial(gateway, user, args.serial)
        try:
            documents = [(p.name, p.document) for p in gateway.effective_policies(user)]
        except AccessDenied:
            documents = []  # unreadable without MFA: checked again with the session
        duration = choose_duration(mfa_age_limit(documents), args.duration)
        code = args.code if args.code is not None else _ask_code()
        problem = codes.validate_code(code.strip().replace(" ", ""))
        if problem:
            raise InvalidInput(problem, "", "type the 6 digits your authenticator app shows")
        renewed = renew_session(gateway, settings, serial, code, duration)
        expires = f"{renewed.credentials.expiration.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        print(
            f"Saved the MFA session as profile {renewed.profile} in {renewed.saved.path} "
            f"(0600), valid until {expires}: {duration.reason}."
        )
        if not documents:
            try:
                with_mfa = gateway.with_session(renewed.credentials)
                documents = [(p.name, p.document) for p in with_mfa.effective_policies(user)]
            except AccessDenied:
                documents = []
            limit = mfa_age_limit(documents)
            if limit is not None and limit.seconds < duration.seconds:
                print(
                    f"Note: your policy accepts MFA at most {limit.seconds} s old "
                    f"({limit.where}); after that, run `onboard mfa session` again.",
                    file=sys.stderr,
                )
    return 0


def _ask_code() -> str:
    if not sys.stdin.isatty():
        raise InvalidInput("no code given", "there is no terminal to ask on", "use --code CODE")
    return input("Code from your authenticator app: ")


def run_lost(args: argparse.Namespace) -> int:
    """Handler: explain who can remove a lost device and what they run."""
    from onboard.mfa.resync import lost_device_help
    from onboard.runtime import settings_for

    user, account, serial = "YOUR-USER-NAME", None, args.serial
    with settings_for(args) as settings:
        try:
            from onboard.aws.gateway import Gateway

            gateway = Gateway.from_settings(settings)
            identity = gateway.whoami()
            user, account = identity.user_name or user, identity.account
            if serial is None:
                devices = gateway.list_mfa_devices(identity.user_name)
                serial = devices[0].serial if len(devices) == 1 else None
        except Exception:  # offline or no credentials: the advice still holds
            pass
    print("\n".join(lost_device_help(user, serial, account)))
    return 0
