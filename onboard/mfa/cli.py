"""`onboard mfa resync` (two consecutive codes) and `onboard mfa lost` (who can help)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from onboard.errors import InvalidInput


def register(subparsers: Any) -> None:
    """Add `mfa resync` and `mfa lost`."""
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
    lost = commands.add_parser("lost", help="the device is lost: who can help, what they run")
    lost.add_argument("--serial", help="the lost device's serial/ARN")
    lost.set_defaults(handler=run_lost)


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
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}", exc.strerror or str(exc), "") from exc


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
