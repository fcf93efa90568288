"""MFA session duration within aws:MultiFactorAuthAge, and `onboard mfa session`."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from onboard.aws.files import read_session_profile
from onboard.errors import InvalidInput
from onboard.mfa.session import AgeLimit, choose_duration, mfa_age_limit, session_age

from .conftest import StartSandbox

AGE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "GitWithFreshMfa",
            "Effect": "Allow",
            "Action": "codecommit:Git*",
            "Resource": "*",
            "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
        },
        {
            "Sid": "DenyOldMfa",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": 7200}},
        },
        {  # a lower bound says nothing about how long a session may be
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "60"}},
        },
    ],
}


def test_the_strictest_age_limit_is_found() -> None:
    limit = mfa_age_limit([("GitAccess", AGE_POLICY)])
    assert limit == AgeLimit(3600, "GitAccess Statement[0] (GitWithFreshMfa)")
    assert mfa_age_limit([("none", {"Statement": {"Effect": "Allow", "Action": "*"}})]) is None


def test_duration_is_chosen_within_the_limit() -> None:
    limit = AgeLimit(3600, "GitAccess Statement[0] (GitWithFreshMfa)")
    chosen = choose_duration(limit)
    assert chosen.seconds == 3600
    assert "at most 3600 s old (GitAccess Statement[0] (GitWithFreshMfa))" in chosen.reason
    assert choose_duration(None).seconds == 43200
    assert choose_duration(limit, 1800).seconds == 1800
    assert choose_duration(AgeLimit(300, "x"), None).seconds == 900  # STS's minimum
    with pytest.raises(InvalidInput, match="outside what STS accepts"):
        choose_duration(None, 60)


def test_session_age_counts_from_the_code() -> None:
    expires = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    assert session_age(expires, 3600, expires.timestamp() - 600) == 3000


def test_mfa_session_command_renews_the_saved_profile(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("onboarded")
    env = sandbox.settings().env()
    code = sandbox.totp_now(sandbox.mfa_serial)
    run = subprocess.run(
        [sys.executable, "-m", "onboard", "mfa", "session", "--duration", "3600", "--code", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Saved the MFA session as profile default-mfa" in run.stdout
    assert "(0600), valid until" in run.stdout and "1 h 0 min (as asked)" in run.stdout
    saved = read_session_profile(sandbox.home, None)
    assert saved is not None and saved.expiration is not None
    assert sandbox.home.aws_credentials.stat().st_mode & 0o777 == 0o600
    left = saved.expiration.timestamp() - datetime.now(UTC).timestamp()
    assert 3000 < left <= 3600
    assert code not in run.stdout + run.stderr
    # A bad duration is a clear message and exit 3, not a traceback.
    bad = subprocess.run(
        [sys.executable, "-m", "onboard", "mfa", "session", "--duration", "5", "--code", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 3 and "outside what STS accepts" in bad.stderr
    assert "Traceback" not in bad.stderr


async def test_verify_judges_git_remote_codecommit_with_the_real_mfa_age(
    start_sandbox: StartSandbox,
) -> None:
    import json
    import time

    from onboard.aws.gateway import Gateway
    from screens.verify import VerifyScreen

    from .conftest import make_app, settle
    from .flow import to_git_step

    sandbox = start_sandbox("fresh")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
    helpdesk.client("iam").put_user_policy(
        UserName="new-hire",
        PolicyName="GitAccess",
        PolicyDocument=json.dumps({**AGE_POLICY, "Statement": AGE_POLICY["Statement"][:1]}),
    )
    later = [0.0]
    app = make_app(sandbox, clock=lambda: time.time() + later[0])
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox, save=True)
        from textual.widgets import RadioButton

        app.screen.query_one("#m-grc", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.state.git_method == "grc"
        later[0] = 2 * 3600.0  # two hours on: the code behind the session is that old
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, VerifyScreen)
        policy = str(app.screen.query_one("#policy").content)  # type: ignore[attr-defined]
        assert "git-remote-codecommit (codecommit:// URLs): ✗ denied" in policy
        assert "accepts MFA at most 3600 s old (GitAccess Statement[0] (GitWithFreshMfa))" in policy
        assert "onboard mfa session" in policy


async def test_an_expired_saved_session_is_named_and_renewed_with_one_code(
    start_sandbox: StartSandbox,
) -> None:
    import time
    from datetime import timedelta

    from onboard.aws.files import save_session_profile
    from onboard.aws.models import SessionCredentials
    from onboard.secret import Secret
    from screens.widgets.code_input import CodeInput
    from screens.widgets.tick_box import TickBox

    from .conftest import make_app, settle

    sandbox = start_sandbox("onboarded")
    ended = datetime.now(UTC) - timedelta(hours=1)
    old = SessionCredentials(
        "ASIAOLDSESSION000000", Secret("old-secret"), Secret("old-token"), ended
    )
    save_session_profile(sandbox.home, None, old, "us-east-1", ended)
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.goto("session")
        await settle(pilot)
        status = str(app.screen.query_one("#status").content)  # type: ignore[attr-defined]
        assert "Your saved MFA session “default-mfa” ended at" in status
        assert "one code renews it" in status
        assert app.screen.query_one("#save", TickBox).value  # kept saved
        code = app.screen.query_one("#code", CodeInput)
        code.value = sandbox.totp_now(sandbox.mfa_serial)
        code.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.session_profile == "default-mfa"
    renewed = read_session_profile(sandbox.home, None)
    assert renewed is not None and renewed.expiration is not None
    assert renewed.expiration > datetime.now(UTC) and renewed.access_key_id != old.access_key_id
    assert time.time() < renewed.expiration.timestamp()
