"""The walkthrough's core judgments against the sandbox (no Textual involved)."""

from __future__ import annotations

import subprocess

from onboard.aws.gateway import Gateway
from onboard.git.config import configure_credential_helper
from onboard.walkthrough.facts import SentCode, enable_codes, reused_code_problem
from onboard.walkthrough.verify import caching_helpers, policy_verdict, session_need

from .conftest import StartSandbox


def test_engine_says_uploads_need_an_mfa_session(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())  # can read the policies
    need = session_need(helpdesk, sandbox.account_id, "new-hire", sandbox.region)
    assert need.needed is True
    assert "iam:UploadSSHPublicKey" in need.reason
    # The new hire alone cannot read them: the answer says so instead of guessing.
    own = Gateway.from_settings(sandbox.settings())
    assert session_need(own, sandbox.account_id, "new-hire", sandbox.region).needed is None


def test_policy_verdict_names_the_deciding_statement(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("breaks-git")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
    verdict = policy_verdict(
        helpdesk, sandbox.account_id, "new-hire", sandbox.region, "my-repo", mfa=False
    )
    assert verdict.source == "engine"
    helper = verdict.outcome("https-helper")
    assert helper.works is False
    assert "DenyAllExceptListedIfNoMFA" in helper.deciding
    assert verdict.outcome("grc").works is True  # with an MFA session it gets through
    assert verdict.working() == ["grc"]


def test_policy_verdict_without_any_read_access_points_at_the_helpdesk(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    own = Gateway.from_settings(sandbox.settings())
    verdict = policy_verdict(
        own, sandbox.account_id, "new-hire", sandbox.region, "my-repo", mfa=False
    )
    assert verdict.source == "unknown"
    assert "onboard doctor --user new-hire" in verdict.note
    assert verdict.outcome("ssh").works is None


def test_caching_helpers_are_found_and_scoped_out(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    settings = sandbox.settings()
    env = settings.env()
    subprocess.run(["git", "config", "--global", "credential.helper", "store"], env=env, check=True)
    assert caching_helpers(env, settings.platform, sandbox.region) == ["store"]
    configure_credential_helper(env)
    assert caching_helpers(env, settings.platform, sandbox.region) == []


def test_a_code_already_sent_for_this_device_is_named() -> None:
    serial, other = "arn:aws:iam::123456789012:mfa/new-hire", "arn:aws:iam::1:mfa/x"
    sent = [*enable_codes(serial, "111111", "222 222")]
    problem = reused_code_problem(" 222222 ", serial, sent)
    assert problem is not None
    assert problem.startswith("222222 was already used: it is the second code that enabled")
    assert "Wait for your app to show the next code (up to 30 s)" in problem
    assert "the first code" in (reused_code_problem("111 111", serial, sent) or "")
    assert reused_code_problem("333333", serial, sent) is None
    # Codes are per device: another device's codes are its own.
    assert reused_code_problem("111111", other, sent) is None
    opened = [SentCode(serial, "444444", "the code that opened your MFA session")]
    assert "opened your MFA session" in (reused_code_problem("444444", serial, opened) or "")
