"""TOTP as AWS checks it: SHA-1, 6 digits, 30-second steps, two consecutive codes to enable."""

from __future__ import annotations

import pyotp

STEP_SECONDS = 30
# Enable/Resync accept codes from a wide window (AWS lets a device be enabled
# with codes typed some minutes late, out of sync); a session code must be
# close to the device's (resynced) time.
ENABLE_WINDOW_STEPS = 10
SESSION_WINDOW_STEPS = 1


def code_at(seed_base32: str, step: int) -> str:
    """The 6-digit code of time step `step`."""
    return str(pyotp.TOTP(seed_base32).generate_otp(step))


def step_of(epoch_seconds: float) -> int:
    """The TOTP time step containing `epoch_seconds`."""
    return int(epoch_seconds // STEP_SECONDS)


def find_consecutive(
    seed_base32: str, code1: str, code2: str, now_step: int, window: int = ENABLE_WINDOW_STEPS
) -> int | None:
    """The step of `code1` when code1/code2 are consecutive codes near `now_step`, else None."""
    if not (code1.isdigit() and code2.isdigit() and len(code1) == len(code2) == 6):
        return None
    for offset in sorted(range(-window, window + 1), key=abs):
        step = now_step + offset
        if code_at(seed_base32, step) == code1 and code_at(seed_base32, step + 1) == code2:
            return step
    return None


def find_single(
    seed_base32: str, code: str, now_step: int, window: int = SESSION_WINDOW_STEPS
) -> int | None:
    """The step of `code` within `window` steps of `now_step`, else None."""
    if not (code.isdigit() and len(code) == 6):
        return None
    for offset in sorted(range(-window, window + 1), key=abs):
        if code_at(seed_base32, now_step + offset) == code:
            return now_step + offset
    return None
