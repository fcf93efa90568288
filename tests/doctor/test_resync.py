"""`onboard mfa resync` against the onboarded sandbox (the device's seed is known there)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from onboard.aws.gateway import Gateway
from onboard.cli import main
from onboard.errors import InvalidInput, OnboardError
from onboard.mfa import resync
from onboard.sandbox.account import Sandbox

from .conftest import helpdesk, self_settings

STEP = 30


@pytest.fixture
def onboarded() -> Iterator[Sandbox]:
    sandbox = Sandbox.start("onboarded")
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _codes(sandbox: Sandbox, offset_steps: int = 0) -> tuple[str, str, float]:
    now = time.time()
    step = int(now) // STEP + offset_steps
    serial = sandbox.mfa_serial
    first = sandbox.totp_now(serial, at=(step - 1) * STEP)
    second = sandbox.totp_now(serial, at=step * STEP)
    return first, second, now


def test_precheck_refuses_what_cannot_work() -> None:
    with pytest.raises(InvalidInput, match="both codes are the same"):
        resync.precheck("123456", "123456")
    with pytest.raises(InvalidInput, match="first code"):
        resync.precheck("12a456", "123456")
    assert resync.precheck("123456", "654321") is None  # no seed: nothing more to know


def test_resync_with_consecutive_codes(onboarded: Sandbox) -> None:
    gateway = Gateway.from_settings(self_settings(onboarded))  # no MFA session needed
    serial = resync.device_serial(gateway, "new-hire")
    assert serial == onboarded.mfa_serial
    first, second, now = _codes(onboarded)
    seed = onboarded.mfa_seed(serial)
    diagnosis = resync.precheck(first, second, seed_base32=seed, now=now)
    assert diagnosis is not None and diagnosis.ok
    result = resync.resync(gateway, "new-hire", serial, first, second, diagnosis)
    assert serial in result.message


def test_precheck_with_seed_diagnoses_order_and_allows_skew(onboarded: Sandbox) -> None:
    seed = onboarded.mfa_seed(onboarded.mfa_serial)
    first, second, now = _codes(onboarded)
    with pytest.raises(InvalidInput, match="wrong order"):
        resync.precheck(second, first, seed_base32=seed, now=now)
    # a phone four minutes fast: exactly what resync fixes, so it is let through
    fast_first, fast_second, _ = _codes(onboarded, offset_steps=8)
    skewed = resync.precheck(fast_first, fast_second, seed_base32=seed, now=now)
    assert skewed is not None and skewed.problem == "clock-skew"
    assert "resync lines AWS up with it" in skewed.message


def test_precheck_accepts_the_drift_aws_accepts_for_a_resync(onboarded: Sandbox) -> None:
    """A device 15 steps (7.5 min) fast: beyond enrolment's window, within resync's."""
    gateway = Gateway.from_settings(self_settings(onboarded))
    seed = onboarded.mfa_seed(onboarded.mfa_serial)
    first, second, now = _codes(onboarded, offset_steps=15)
    diagnosis = resync.precheck(first, second, seed_base32=seed, now=now)
    assert diagnosis is not None and diagnosis.problem == "clock-skew"
    # and the service takes them: the precheck never refuses what AWS accepts
    result = resync.resync(gateway, "new-hire", onboarded.mfa_serial, first, second, diagnosis)
    assert "back in sync" in result.message and "ahead of AWS" in result.message
    far_first, far_second, _ = _codes(onboarded, offset_steps=40)
    with pytest.raises(InvalidInput, match="within 10 minutes"):
        resync.precheck(far_first, far_second, seed_base32=seed, now=now)


def test_aws_refusing_the_codes_says_what_to_check(onboarded: Sandbox) -> None:
    gateway = Gateway.from_settings(self_settings(onboarded))
    first, second, _ = _codes(onboarded)
    wrong = f"{(int(first) + 1) % 1_000_000:06d}"
    with pytest.raises(OnboardError, match="AWS did not accept the codes") as caught:
        resync.resync(gateway, "new-hire", onboarded.mfa_serial, wrong, second)
    assert "onboard mfa lost" in caught.value.next_step


def test_device_serial_checks_ownership(onboarded: Sandbox) -> None:
    gateway = Gateway.from_settings(self_settings(onboarded))
    with pytest.raises(InvalidInput, match="not an MFA device"):
        resync.device_serial(gateway, "new-hire", "arn:aws:iam::123456789012:mfa/someone")
    admin = Gateway.from_settings(helpdesk(onboarded))
    with pytest.raises(OnboardError, match="no MFA device"):
        resync.device_serial(admin, "helpdesk")


def test_lost_device_help_names_the_commands() -> None:
    lines = resync.lost_device_help("new-hire", None, "123456789012")
    text = "\n".join(lines)
    assert (
        "onboard doctor --user new-hire --deactivate-mfa arn:aws:iam::123456789012:mfa/new-hire"
        in text
    )
    assert "aws iam deactivate-mfa-device --user-name new-hire" in text


def test_cli_resync_rejects_same_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--sandbox", "--scenario", "onboarded", "mfa", "resync", "--codes", "111111", "111111"]
    )
    assert code == 3
    assert "both codes are the same" in capsys.readouterr().err


def test_cli_lost(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sandbox", "--scenario", "onboarded", "mfa", "lost"]) == 0
    assert "deactivate-mfa-device" in capsys.readouterr().out


class _Terminal:
    """stdin that says it is a terminal (the codes come from the patched `input`)."""

    def isatty(self) -> bool:
        return True


def test_cli_resync_asks_two_codes_and_resyncs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Sandbox] = []
    original = Sandbox.start

    def recording_start(scenario: str = "fresh", **kwargs: object) -> Sandbox:
        sandbox = original(scenario, **kwargs)  # type: ignore[arg-type]
        started.append(sandbox)
        return sandbox

    answers: list[str] = []

    def typed(prompt: str = "") -> str:
        if not answers:  # the app shows these two codes, one after the other
            first, second, _now = _codes(started[0])
            answers.extend([second, first])
        return answers.pop()

    monkeypatch.setattr(Sandbox, "start", recording_start)
    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("builtins.input", typed)
    code = main(["--sandbox", "--scenario", "onboarded", "mfa", "resync"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "back in sync" in captured.out
    assert "Wait for the next code" in captured.err
