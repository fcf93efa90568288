"""Virtual MFA: the otpauth URI, the QR code for a terminal, and local code checks.

AWS virtual MFA is TOTP (SHA-1, 6 digits, 30-second step). Before calling
EnableMFADevice/ResyncMFADevice we check the two codes against the seed we
hold in memory, so we can say *what* is wrong (same code twice, wrong order,
another device, the phone's clock) instead of AWS's bare
`InvalidAuthenticationCode`. The seed never appears in a message or repr.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import pyotp
import qrcode
import qrcode.constants

from onboard.errors import InvalidInput

TIME_STEP = 30
"""Seconds per TOTP code (AWS virtual MFA)."""

Problem = Literal[
    "ok", "format", "same-code", "wrong-order", "not-consecutive", "other-device", "clock-skew"
]

ErrorCorrection = Literal["L", "M", "Q", "H"]
_ERROR_CORRECTION = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}

# AWS accepts codes within about one step of its clock; beyond that we call it skew.
_ACCEPTED_STEPS = 1
_DEVICE_NAME = re.compile(r"^[\w+=,.@-]+$")
_USERNAME_VARIABLE = re.compile(r"\$\{aws:username\}", re.IGNORECASE)


@dataclass(frozen=True)
class CodeDiagnosis:
    """What the local check concluded about one or two MFA codes.

    `skew_seconds` is how far the phone's clock seems to be from ours
    (positive: the phone is fast), when the codes tell us.
    """

    ok: bool
    problem: Problem
    skew_seconds: int | None
    message: str


def otpauth_uri(seed_base32: str, account_label: str, issuer: str = "AWS") -> str:
    """The `otpauth://totp/<issuer>:<label>?secret=...&issuer=...` URI an authenticator scans."""
    seed = _normalise_seed(seed_base32)
    # The colon separates issuer and account: inside either it is escaped.
    label = f"{quote(issuer, safe='@')}:{quote(account_label, safe='@')}"
    return f"otpauth://totp/{label}?secret={seed}&issuer={quote(issuer, safe='')}"


def seed_for_display(seed_base32: str) -> str:
    """The seed in groups of four (`ABCD EFGH ...`) for typing it into an app by hand."""
    seed = _normalise_seed(seed_base32)
    return " ".join(seed[i : i + 4] for i in range(0, len(seed), 4))


def qr_matrix(
    data: str, quiet_zone: int = 2, *, error_correction: ErrorCorrection = "L"
) -> list[list[bool]]:
    """The QR code for `data` as rows of modules (True = dark), quiet zone included.

    Level L by default: a screen does not smudge, and the smallest code is
    the one that fits a terminal (a 64-character seed: 37 modules + quiet zone).
    """
    if quiet_zone < 0:
        raise InvalidInput("the QR quiet zone cannot be negative", f"got {quiet_zone}")
    code = qrcode.QRCode(
        error_correction=_ERROR_CORRECTION[error_correction], border=quiet_zone, box_size=1
    )
    code.add_data(data)
    code.make(fit=True)
    return [[bool(module) for module in row] for row in code.get_matrix()]


# (top dark, bottom dark) -> the character whose ink covers the dark halves.
_HALF_BLOCKS = {
    (False, False): " ",
    (True, False): "▀",
    (False, True): "▄",
    (True, True): "█",
}


def qr_lines(
    data: str,
    *,
    dark_on_light: bool = True,
    quiet_zone: int = 2,
    error_correction: ErrorCorrection = "L",
) -> list[str]:
    """The QR code as half-block text: two modules per character row.

    With `dark_on_light` the ink of the characters is the dark modules: show
    them in a dark colour on a light background (what a themed widget does).
    Without it the ink is the *light* modules, for plain light-on-dark text,
    so the code still reads as dark on light to a camera. Either way the
    quiet zone is part of the result.
    """
    matrix = qr_matrix(data, quiet_zone, error_correction=error_correction)
    if not dark_on_light:
        matrix = [[not module for module in row] for row in matrix]
    if len(matrix) % 2:
        # The padding row is a light row of the quiet zone.
        pad = not dark_on_light
        matrix.append([pad] * len(matrix[0]))
    return [
        "".join(_HALF_BLOCKS[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(matrix[0::2], matrix[1::2], strict=True)
    ]


def validate_code(text: str, label: str = "The code") -> str | None:
    """None when `text` is a 6-digit code, else a sentence about `label` saying what is wrong.

    `label` names the field ("The first code") and starts the sentence, so the
    message reads on its own: "The first code '12ab56' has letters: codes are 6 digits."
    """
    code = text.strip().replace(" ", "")
    shown = repr(text.strip())
    if not code:
        return f"{label} is missing: type the 6-digit code your authenticator app shows."
    if any(char.isalpha() for char in code):
        return f"{label} {shown} has letters: codes are 6 digits."
    if not code.isdigit() or not code.isascii():
        return f"{label} {shown} has characters that are not digits: codes are 6 digits."
    if len(code) != 6:
        return f"{label} {shown} has {len(code)} digits: codes are 6 digits."
    return None


def check_codes(
    seed_base32: str, first: str, second: str, *, now: float, max_skew_steps: int = 10
) -> CodeDiagnosis:
    """Check two consecutive codes (EnableMFADevice/ResyncMFADevice) against the seed.

    `now` is the current Unix time (injected: no wall clock here); pass
    AWS's time (local time plus the measured server skew) when it is known,
    so a wrong *computer* clock is not blamed on the phone. Codes are
    looked for within `max_skew_steps` steps of `now`; beyond that they are
    treated as coming from another device.
    """
    for label, code in (("first", first), ("second", second)):
        problem = validate_code(code, f"The {label} code")
        if problem is not None:
            return CodeDiagnosis(False, "format", None, problem)
    first, second = _clean(first), _clean(second)
    if first == second:
        return CodeDiagnosis(
            False,
            "same-code",
            None,
            "Both codes are the same. Wait until your app shows a new code "
            "(up to 30 seconds), then type that one as the second code.",
        )
    totp = _totp(seed_base32)
    current = int(now) // TIME_STEP
    # The second code's step is within the window; the first may be one step before it.
    steps = range(current - max_skew_steps - 1, current + max_skew_steps + 1)
    codes = {step: totp.at(step * TIME_STEP) for step in range(steps.start, steps.stop + 1)}
    first_steps = [step for step in steps if codes[step] == first]
    second_steps = [step for step in steps if codes[step] == second]
    consecutive = [
        step for step in first_steps if codes[step + 1] == second and step < steps.stop - 1
    ]
    if consecutive:
        # The second code is the one the phone showed last: it tells its clock.
        skew_steps = min((step + 1 - current for step in consecutive), key=abs)
        return _timed(skew_steps, "The codes are right and consecutive.")
    if any(codes[step + 1] == first for step in second_steps):
        return CodeDiagnosis(
            False,
            "wrong-order",
            None,
            "The codes are in the wrong order: type the older code first, then the newer one.",
        )
    if first_steps and second_steps:
        return CodeDiagnosis(
            False,
            "not-consecutive",
            None,
            "Both codes come from this device but are not consecutive: type one code, "
            "wait for the next one (do not skip one), and type that.",
        )
    if first_steps or second_steps:
        wrong = "second" if first_steps else "first"
        return CodeDiagnosis(
            False,
            "not-consecutive",
            None,
            f"The {wrong} code does not match this device: check it for a typo, then "
            "type two codes in a row from the entry you just added.",
        )
    return CodeDiagnosis(
        False,
        "other-device",
        None,
        "Neither code matches the device you are enrolling. Your app may be showing "
        "another (older) AWS entry, or its clock is off by more than "
        f"{max_skew_steps * TIME_STEP // 60} minutes: use the entry you just scanned.",
    )


def check_code(
    seed_base32: str, code: str, *, now: float, max_skew_steps: int = 10
) -> CodeDiagnosis:
    """Check one code (GetSessionToken, or diagnosing a failed login) against the seed."""
    problem = validate_code(code)
    if problem is not None:
        return CodeDiagnosis(False, "format", None, problem)
    code = _clean(code)
    totp = _totp(seed_base32)
    current = int(now) // TIME_STEP
    matches = [
        step - current
        for step in range(current - max_skew_steps, current + max_skew_steps + 1)
        if totp.at(step * TIME_STEP) == code
    ]
    if not matches:
        return CodeDiagnosis(
            False,
            "other-device",
            None,
            "The code does not match this device: check for a typo, and use the "
            "entry for this AWS account in your authenticator app.",
        )
    return _timed(min(matches, key=abs), "The code is right.")


def device_name_for(user_name: str, policy_documents: Iterable[Any]) -> str:
    """The virtual MFA device name the account's policies let this user create.

    Looks at statements that allow `iam:CreateVirtualMFADevice` on
    `...:mfa/<name>` resources: `${aws:username}` becomes the user name; a
    pattern the user name already fits (`mfa/*`) gives the user name. Falls
    back to the user name. Documents are dicts or JSON text.
    """
    for resource in _mfa_resources(policy_documents):
        name = _USERNAME_VARIABLE.sub(user_name, resource.rsplit("/", 1)[-1])
        if not any(char in name for char in "*?$"):
            if _DEVICE_NAME.match(name):
                return name
            continue
        if _wildcard_match(name, user_name):
            return user_name
    return user_name


def _mfa_resources(policy_documents: Iterable[Any]) -> list[str]:
    """`mfa/...` resources of Allow statements that cover CreateVirtualMFADevice."""
    found: list[str] = []
    for document in policy_documents:
        parsed = json.loads(document) if isinstance(document, str | bytes) else document
        if not isinstance(parsed, Mapping):
            continue
        statements = parsed.get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        for statement in statements:
            if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
                continue
            actions = _as_list(statement.get("Action"))
            if not any(_wildcard_match(a.lower(), "iam:createvirtualmfadevice") for a in actions):
                continue
            for resource in _as_list(statement.get("Resource")):
                if ":mfa/" in resource:
                    found.append(resource.split(":mfa/", 1)[1])
    # Exact names first: they say precisely what the account wants.
    return sorted(found, key=lambda resource: "*" in resource)


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _wildcard_match(pattern: str, text: str) -> bool:
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, text) is not None


def _timed(skew_steps: int, ok_message: str) -> CodeDiagnosis:
    skew_seconds = skew_steps * TIME_STEP
    if abs(skew_steps) <= _ACCEPTED_STEPS:
        return CodeDiagnosis(True, "ok", skew_seconds, ok_message)
    direction = "fast" if skew_seconds > 0 else "slow"
    return CodeDiagnosis(
        False,
        "clock-skew",
        skew_seconds,
        f"The codes belong to this device, but your phone's clock is about "
        f"{abs(skew_seconds)} seconds {direction}. Set the phone's date and time to "
        "automatic (network time), then type two new codes.",
    )


def _clean(code: str) -> str:
    return code.strip().replace(" ", "")


def _normalise_seed(seed_base32: str) -> str:
    seed = seed_base32.strip().replace(" ", "").upper().rstrip("=")
    if not seed or re.fullmatch(r"[A-Z2-7]+", seed) is None:
        # Never echo the seed itself: it is the secret.
        raise InvalidInput(
            "the MFA seed is not base32 text",
            "a virtual MFA seed uses only the letters A-Z and digits 2-7",
            "create the virtual MFA device again to get a fresh seed",
        )
    return seed


def _totp(seed_base32: str) -> pyotp.TOTP:
    seed = _normalise_seed(seed_base32)
    try:
        return pyotp.TOTP(seed, digits=6, interval=TIME_STEP)
    except ValueError:
        raise InvalidInput(
            "the MFA seed is too short",
            "TOTP seeds must be at least 112 bits",
            "create the virtual MFA device again to get a fresh seed",
        ) from None
