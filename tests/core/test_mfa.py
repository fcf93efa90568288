"""onboard.mfa.codes: otpauth URI, QR code, and the local diagnosis of MFA codes."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onboard.errors import InvalidInput
from onboard.mfa import codes as mfa

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OTHER_SEED = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
NOW = 1_764_000_015.0  # an arbitrary fixed instant, mid-step
TOTP = pyotp.TOTP(SEED)


def code_at(step_offset: int, seed: str = SEED, now: float = NOW) -> str:
    """The code the device shows `step_offset` steps from `now`."""
    return pyotp.TOTP(seed).at(now + step_offset * 30)


# --- otpauth URI ---------------------------------------------------------------------------


def test_otpauth_uri_is_what_authenticators_parse() -> None:
    uri = mfa.otpauth_uri(SEED, "alice@123456789012")
    assert uri.startswith("otpauth://totp/AWS:alice@123456789012?")
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == SEED
    assert parsed.issuer == "AWS"
    assert parsed.name == "alice@123456789012"
    assert parsed.now() == TOTP.now()


def test_otpauth_uri_escapes_the_label_and_normalises_the_seed() -> None:
    uri = mfa.otpauth_uri(SEED.lower() + "====", "a b", issuer="Acme Corp")
    assert "secret=" + SEED + "&" in uri
    assert "/Acme%20Corp:a%20b?" in uri
    assert uri.endswith("issuer=Acme%20Corp")


@pytest.mark.parametrize("seed", ["", "not base32!", "0189"])
def test_bad_seed_is_an_input_error_that_does_not_echo_it(seed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        mfa.otpauth_uri(seed, "alice")
    if seed:
        assert seed not in caught.value.render()


def test_too_short_seed_is_an_input_error() -> None:
    with pytest.raises(InvalidInput, match="too short"):
        mfa.check_code("JBSWY3DP", "123456", now=NOW)


# --- QR code -------------------------------------------------------------------------------


def _finder_at(matrix: list[list[bool]], top: int, left: int) -> bool:
    """A QR finder pattern: dark 7x7 ring, light ring, dark 3x3 centre."""
    for row in range(7):
        for col in range(7):
            ring = row in (0, 6) or col in (0, 6)
            centre = 2 <= row <= 4 and 2 <= col <= 4
            if matrix[top + row][left + col] != (ring or centre):
                return False
    return True


@pytest.mark.parametrize("quiet_zone", [0, 2, 4])
def test_qr_matrix_has_quiet_zone_and_finder_patterns(quiet_zone: int) -> None:
    matrix = mfa.qr_matrix(mfa.otpauth_uri(SEED, "alice"), quiet_zone=quiet_zone)
    size = len(matrix)
    assert all(len(row) == size for row in matrix)
    modules = size - 2 * quiet_zone
    assert (modules - 21) % 4 == 0  # a QR version's size: 21 + 4 * (version - 1)
    for index in range(quiet_zone):
        assert not any(matrix[index]) and not any(matrix[size - 1 - index])
        assert not any(row[index] for row in matrix)
        assert not any(row[size - 1 - index] for row in matrix)
    q, far = quiet_zone, size - quiet_zone - 7
    assert _finder_at(matrix, q, q) and _finder_at(matrix, q, far) and _finder_at(matrix, far, q)
    assert not _finder_at(matrix, far, far)


def test_qr_matrix_rejects_negative_quiet_zone() -> None:
    with pytest.raises(InvalidInput):
        mfa.qr_matrix("x", quiet_zone=-1)


_DECODE = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}


def _decode_lines(lines: list[str]) -> list[list[bool]]:
    rows: list[list[bool]] = []
    for line in lines:
        pairs = [_DECODE[char] for char in line]
        rows.append([top for top, _ in pairs])
        rows.append([bottom for _, bottom in pairs])
    return rows


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_qr_lines_encode_two_modules_per_character(dark_on_light: bool) -> None:
    data = mfa.otpauth_uri(SEED, "alice")
    matrix = mfa.qr_matrix(data)
    lines = mfa.qr_lines(data, dark_on_light=dark_on_light)
    assert set("".join(lines)) <= set(_DECODE)
    assert len(lines) == (len(matrix) + 1) // 2
    assert all(len(line) == len(matrix) for line in lines)
    decoded = _decode_lines(lines)
    if not dark_on_light:
        decoded = [[not module for module in row] for row in decoded]
    assert decoded[: len(matrix)] == matrix
    # The padding half-row (odd module count) reads as quiet zone, light.
    assert all(not module for row in decoded[len(matrix) :] for module in row)


def test_qr_lines_inverted_quiet_zone_is_solid_ink() -> None:
    lines = mfa.qr_lines("hello", dark_on_light=False)
    assert set(lines[0]) == {"█"}


# --- one code ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123456", None),
        (" 123 456 ", None),
        ("abc", "The code 'abc' has letters: codes are 6 digits."),
        ("12a456", "The code '12a456' has letters: codes are 6 digits."),
        ("12345", "The code '12345' has 5 digits: codes are 6 digits."),
        ("1234567", "The code '1234567' has 7 digits: codes are 6 digits."),
        ("12-456", "The code '12-456' has characters that are not digits: codes are 6 digits."),
        (
            "１２３４５６",
            "The code '１２３４５６' has characters that are not digits: codes are 6 digits.",
        ),
        ("", "The code is missing: type the 6-digit code your authenticator app shows."),
    ],
)
def test_validate_code(text: str, expected: str | None) -> None:
    assert mfa.validate_code(text) == expected


def test_check_code_current_and_neighbours_are_ok() -> None:
    for offset in (-1, 0, 1):
        diagnosis = mfa.check_code(SEED, code_at(offset), now=NOW)
        assert diagnosis.ok and diagnosis.problem == "ok"
        assert diagnosis.skew_seconds == offset * 30


def test_check_code_far_off_is_clock_skew() -> None:
    diagnosis = mfa.check_code(SEED, code_at(-4), now=NOW)
    assert not diagnosis.ok
    assert diagnosis.problem == "clock-skew"
    assert diagnosis.skew_seconds == -120
    assert "about 120 seconds slow" in diagnosis.message


def test_check_code_from_another_seed() -> None:
    diagnosis = mfa.check_code(SEED, code_at(0, OTHER_SEED), now=NOW)
    assert diagnosis.problem == "other-device" and not diagnosis.ok


def test_check_code_format() -> None:
    diagnosis = mfa.check_code(SEED, "12345a", now=NOW)
    assert diagnosis.problem == "format"
    assert "letters" in diagnosis.message


# --- two codes -----------------------------------------------------------------------------


def test_consecutive_codes_are_ok() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(-1), code_at(0), now=NOW)
    assert diagnosis.ok
    assert diagnosis.problem == "ok"
    assert diagnosis.skew_seconds == 0


def test_same_code_twice() -> None:
    code = code_at(0)
    diagnosis = mfa.check_codes(SEED, code, code, now=NOW)
    assert diagnosis.problem == "same-code"
    assert "same" in diagnosis.message


def test_codes_in_the_wrong_order() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(0), code_at(-1), now=NOW)
    assert diagnosis.problem == "wrong-order"
    assert "wrong order" in diagnosis.message


def test_codes_with_a_gap_are_not_consecutive() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(-2), code_at(0), now=NOW)
    assert diagnosis.problem == "not-consecutive"
    assert "not consecutive" in diagnosis.message


def test_one_typo_is_named() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(-1), code_at(0, OTHER_SEED), now=NOW)
    assert diagnosis.problem == "not-consecutive"
    assert "second code does not match" in diagnosis.message


def test_codes_from_another_device() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(-1, OTHER_SEED), code_at(0, OTHER_SEED), now=NOW)
    assert diagnosis.problem == "other-device"
    assert "another" in diagnosis.message


@pytest.mark.parametrize(("offset", "word"), [(5, "fast"), (-6, "slow"), (10, "fast")])
def test_skewed_phone_clock_is_measured(offset: int, word: str) -> None:
    diagnosis = mfa.check_codes(SEED, code_at(offset - 1), code_at(offset), now=NOW)
    assert diagnosis.problem == "clock-skew"
    assert diagnosis.skew_seconds == offset * 30
    assert f"about {abs(offset) * 30} seconds {word}" in diagnosis.message


def test_skew_beyond_the_window_reads_as_another_device() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(14), code_at(15), now=NOW, max_skew_steps=10)
    assert diagnosis.problem == "other-device"


def test_letters_in_a_code_are_a_format_problem_naming_which_code() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(-1), "abc", now=NOW)
    assert diagnosis.problem == "format"
    assert diagnosis.message == "The second code 'abc' has letters: codes are 6 digits."


@settings(max_examples=60, deadline=None)
@given(
    now=st.integers(min_value=1_500_000_000, max_value=2_500_000_000),
    offset=st.integers(min_value=-10, max_value=10),
)
def test_consecutive_codes_measure_skew_anywhere(now: int, offset: int) -> None:
    first, second = code_at(offset - 1, now=now), code_at(offset, now=now)
    diagnosis = mfa.check_codes(SEED, first, second, now=now)
    if first == second:  # one chance in a million: two equal consecutive codes
        assert diagnosis.problem == "same-code"
        return
    assert diagnosis.skew_seconds is not None
    assert diagnosis.ok == (abs(offset) <= 1)
    assert diagnosis.problem == ("ok" if abs(offset) <= 1 else "clock-skew")
    assert SEED not in diagnosis.message and SEED not in repr(diagnosis)


def test_diagnosis_is_frozen() -> None:
    diagnosis = mfa.check_codes(SEED, code_at(-1), code_at(0), now=NOW)
    with pytest.raises(AttributeError):
        diagnosis.ok = False  # type: ignore[misc]


# --- device name from policy ---------------------------------------------------------------


def test_device_name_from_the_seed_policy_is_the_user_name(policies_dir: Path) -> None:
    document = json.loads((policies_dir / "force-mfa-breaks-git.json").read_text())
    assert mfa.device_name_for("alice", [document]) == "alice"


def test_device_name_from_json_text_with_a_fixed_pattern() -> None:
    policy = {
        "Statement": {
            "Effect": "Allow",
            "Action": ["iam:Create*"],
            "Resource": "arn:aws:iam::*:mfa/${aws:username}-phone",
        }
    }
    assert mfa.device_name_for("alice", [json.dumps(policy)]) == "alice-phone"


def test_device_name_with_wildcard_policy_is_the_user_name() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "iam:CreateVirtualMFADevice", "Resource": "*:mfa/*"}
        ]
    }
    assert mfa.device_name_for("bob", [policy]) == "bob"


def test_device_name_ignores_deny_and_unrelated_statements() -> None:
    policy = {
        "Statement": [
            {"Effect": "Deny", "Action": "iam:*", "Resource": "arn:aws:iam::*:mfa/locked"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:iam::*:mfa/s3thing"},
        ]
    }
    assert mfa.device_name_for("carol", [policy, "not-an-object-but-json-null"[:0] or "null"]) == (
        "carol"
    )


def test_qr_error_correction_levels_trade_size_for_robustness() -> None:
    uri = mfa.otpauth_uri(SEED, "alice@123456789012")
    sizes = [len(mfa.qr_matrix(uri, error_correction=level)) for level in ("L", "M", "Q", "H")]
    assert sizes == sorted(sizes) and sizes[0] < sizes[-1]
    # The default (L) for a 64-character seed fits 80 columns with room to spare.
    assert len(mfa.qr_lines(uri)[0]) == sizes[0] <= 45


def test_device_name_ignores_objects_it_cannot_read() -> None:
    assert mfa.device_name_for("dave", [object(), 42, ["not", "a", "policy"]]) == "dave"


def test_seed_for_display_groups_by_four() -> None:
    shown = mfa.seed_for_display(SEED.lower())
    assert shown.split() == [SEED[i : i + 4] for i in range(0, len(SEED), 4)]
    assert shown.replace(" ", "") == SEED


def test_colon_in_the_account_label_is_escaped() -> None:
    uri = mfa.otpauth_uri(SEED, "team:alice")
    assert uri.startswith("otpauth://totp/AWS:team%3Aalice?")
