"""MFA resync: two consecutive codes, a local diagnosis, ResyncMFADevice; help for lost devices.

The user's phone holds the seed, so the local diagnosis only knows what
the codes themselves show (format, same code twice) unless a seed is given
(the sandbox, or a user who kept it in a 0600 file). AWS's answer to wrong
codes is `InvalidAuthenticationCode`; the message then lists what to check.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from onboard.errors import InvalidInput, OnboardError
from onboard.mfa.codes import CodeDiagnosis, check_codes, validate_code

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway

RESYNC_WINDOW_STEPS = 20
"""How far (30 s steps, either way) a device's codes may have drifted for ResyncMFADevice.

Resync exists for devices out of step, so AWS looks wider than for enabling; the
sandbox models the same window (twice the enable window), and the precheck must
never refuse codes the service would take."""

_RESYNC_WORDING = {
    "other-device": "Neither code matches this device within {minutes} minutes either way: "
    "your app may be showing another AWS entry (another account or an older device). Use "
    "the entry for this device; if it is gone, the device is lost: `onboard mfa lost`.",
    "not-consecutive": "The codes are not two codes in a row from this device: type one "
    "code, wait for the next one (do not skip one), and type that.",
}


@dataclass(frozen=True)
class ResyncResult:
    """A successful resync: which device, and what the local check saw in the codes."""

    user: str
    serial: str
    message: str
    diagnosis: CodeDiagnosis | None = None


def precheck(
    first: str, second: str, *, seed_base32: str | None = None, now: float | None = None
) -> CodeDiagnosis | None:
    """Refuse codes that cannot work before asking AWS; with a seed, diagnose them fully.

    Clock skew is not refused: fixing a drifted device is what resync is for.
    """
    for label, code in (("first", first), ("second", second)):
        problem = validate_code(code, f"The {label} code")
        if problem is not None:
            raise InvalidInput(f"the {label} code is not a code", problem, "type it again")
    if first.strip() == second.strip():
        raise InvalidInput(
            "both codes are the same",
            "ResyncMFADevice needs two consecutive codes",
            "wait until the app shows the next code (up to 30 seconds) and type that one",
        )
    if seed_base32 is None or now is None:
        return None
    diagnosis = check_codes(seed_base32, first, second, now=now, max_skew_steps=RESYNC_WINDOW_STEPS)
    if diagnosis.problem == "clock-skew" and diagnosis.skew_seconds is not None:
        # A drifted device is what resync is for: say so, in resync's words.
        seconds = diagnosis.skew_seconds
        direction = "ahead of" if seconds > 0 else "behind"
        return dataclasses.replace(
            diagnosis,
            message=f"The device ran about {abs(seconds)} seconds {direction} AWS's clock; "
            "resync lines AWS up with it. If the phone's clock is wrong, set it to automatic "
            "time as well.",
        )
    if not diagnosis.ok:
        message = _RESYNC_WORDING.get(str(diagnosis.problem), diagnosis.message).format(
            minutes=RESYNC_WINDOW_STEPS * 30 // 60
        )
        raise InvalidInput("these codes will not resync the device", message, "")
    return diagnosis


def device_serial(gateway: Gateway, user: str, serial: str | None = None) -> str:
    """The device to resync: the given serial (checked), else the user's only device."""
    serials = [device.serial for device in gateway.list_mfa_devices(user)]
    if serial is not None:
        if serial not in serials:
            raise InvalidInput(
                f"{serial} is not an MFA device of {user}",
                f"{user}'s devices: {', '.join(serials) or 'none'}",
                "omit --serial to use your only device",
            )
        return serial
    if not serials:
        raise OnboardError(
            f"{user} has no MFA device to resync",
            "resync only fixes a device that is already enabled",
            "enroll a device: run onboard (MFA step)",
        )
    if len(serials) > 1:
        raise InvalidInput(
            f"{user} has {len(serials)} MFA devices",
            ", ".join(serials),
            "choose one with --serial",
        )
    return serials[0]


def resync(
    gateway: Gateway,
    user: str,
    serial: str,
    first: str,
    second: str,
    diagnosis: CodeDiagnosis | None = None,
) -> ResyncResult:
    """ResyncMFADevice; wrong codes come back as an error saying what to check."""
    from onboard.aws.errors import InvalidAuthenticationCode

    try:
        gateway.resync_mfa_device(user, serial, first.strip(), second.strip())
    except InvalidAuthenticationCode as exc:
        raise OnboardError(
            "AWS did not accept the codes",
            "they must be two codes in a row from this device's entry in your app; "
            "a phone clock that is off by minutes, codes typed long after they appeared, "
            "or the entry of another account/device all give this error",
            "turn on automatic date & time on the phone, then type a fresh code and the next one; "
            "if the entry is gone: `onboard mfa lost`",
        ) from exc
    message = f"{serial} is back in sync."
    if diagnosis is not None and diagnosis.skew_seconds:
        message += f" {diagnosis.message}"
    return ResyncResult(user, serial, message, diagnosis)


def lost_device_help(user: str, serial: str | None, account: str | None = None) -> list[str]:
    """Who can help when the device is lost, and exactly what they run."""
    device = serial or f"arn:aws:iam::{account or '<account>'}:mfa/{user}"
    deactivate = shlex.join(
        ["aws", "iam", "deactivate-mfa-device", "--user-name", user, "--serial-number", device]
    )
    delete = shlex.join(["aws", "iam", "delete-virtual-mfa-device", "--serial-number", device])
    return [
        "A lost MFA device cannot be resynced, and you cannot remove it yourself:",
        "every change outside MFA enrollment needs an MFA session.",
        "Ask your AWS administrator or helpdesk (someone allowed iam:DeactivateMFADevice).",
        "They run:",
        f"  onboard doctor --user {user} --deactivate-mfa {device}",
        "or with the AWS CLI:",
        f"  {deactivate}",
        f"  {delete}",
        "Then enroll a new device: run onboard (MFA step).",
    ]
