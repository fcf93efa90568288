"""Bad input to `onboard doctor` and `onboard mfa`: a clear message and exit 3, no traceback.

Each case is refused before the sandbox (or AWS) is contacted.
"""

from __future__ import annotations

import pytest

from onboard.cli import main
from onboard.sandbox.account import Sandbox

USAGE = 3


@pytest.fixture
def no_sandbox(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fails the test if a sandbox is started: bad input must be refused first."""
    started: list[str] = []

    def refuse(scenario: str = "fresh", **kwargs: object) -> Sandbox:
        started.append(scenario)
        raise AssertionError("bad input reached the sandbox")

    monkeypatch.setattr(Sandbox, "start", refuse)
    return started


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["doctor", "--repo", "bad/name"], "not a CodeCommit repository name"),
        (["--region", "nowhere", "doctor"], "not an AWS region"),
        (["doctor", "--timeout", "-1"], "--timeout"),
        (["doctor", "--timeout", "0"], "--timeout"),
        (["doctor", "--user", ""], "not an IAM user name"),
        (["doctor", "--user", "bob smith"], "not an IAM user name"),
        (["doctor", "--only", "nothing."], "no check starts with"),
        (["doctor", "--url", "https://github.com/a/b"], "not a CodeCommit clone URL"),
        (["mfa", "resync", "--codes", "abc", "def"], "not a code"),
        (["mfa", "resync", "--codes", "123456", "123456"], "both codes are the same"),
    ],
)
def test_bad_input_is_refused_with_exit_3(
    argv: list[str],
    message: str,
    no_sandbox: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["--sandbox", *argv])
    err = capsys.readouterr().err
    assert code == USAGE, err
    assert message in err
    assert "Traceback" not in err
    assert no_sandbox == []


def test_only_lists_the_known_checks(
    no_sandbox: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--sandbox", "doctor", "--only", "sssh."]) == USAGE
    err = capsys.readouterr().err
    assert "ssh.key_id" in err and "live.ls_remote" in err
