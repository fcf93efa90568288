"""Every check against the sandbox scenarios (moto underneath, real git/ssh/aws)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onboard.doctor.checks import DoctorContext, all_checks, run_checks, select
from onboard.doctor.findings import Finding
from onboard.sandbox.account import Sandbox

from .conftest import helpdesk, mfa_settings, self_settings, set_up_https_helper, set_up_ssh


def _by_id(findings: tuple[Finding, ...]) -> dict[str, Finding]:
    return {f.id: f for f in findings}


def _run(ctx: DoctorContext) -> dict[str, Finding]:
    findings, _elapsed = run_checks(ctx)
    return _by_id(findings)


@pytest.fixture
def breaks_git() -> Iterator[Sandbox]:
    sandbox = Sandbox.start("breaks-git")
    try:
        set_up_https_helper(self_settings(sandbox))
        yield sandbox
    finally:
        sandbox.stop()


def test_helpdesk_sees_the_mfa_deny_that_breaks_git(breaks_git: Sandbox) -> None:
    ctx = DoctorContext(helpdesk(breaks_git), repo="my-repo", subject_user="new-hire")
    found = _run(ctx)
    verdict = found["policy.verdict"]
    assert verdict.status == "fail"
    assert "mfa-policy-denies-git" in verdict.causes
    assert "DenyAllExceptListedIfNoMFA" in verdict.summary  # the deciding statement, by Sid
    assert verdict.details[0].startswith("effective policies: ")
    assert "ForceMFA (group-managed via developers)" in verdict.details[0]
    assert verdict.data["methods"]["grc"] == "works"
    assert verdict.data["methods"]["ssh"] == "denied"
    # helpdesk mode runs account checks only: nothing of the helpdesk's own laptop
    assert not any(key.startswith(("env.", "git.", "live.")) for key in found)
    assert found["credentials.identity"].data["arn"].endswith(":user/helpdesk")


def test_live_403_is_explained_by_the_policy_in_breaks_git(breaks_git: Sandbox) -> None:
    ctx = DoctorContext(mfa_free := self_settings(breaks_git), repo="my-repo")
    assert mfa_free.environ is not None
    found = _run(ctx)
    live = found["live.https-helper"]
    assert live.status == "fail"
    assert "mfa-policy-denies-git" in live.data["candidates"]
    assert any("403" in line for line in live.details)
    # the user's own policy reads are denied without MFA: skipped with the reason, not crashed
    assert found["policy.verdict"].status == "skipped"
    assert "MFA session" in found["policy.verdict"].summary


def test_fresh_account_git_works_over_https() -> None:
    sandbox = Sandbox.start("fresh")
    try:
        settings = self_settings(sandbox)
        set_up_https_helper(settings)
        found = _run(DoctorContext(settings, repo="my-repo"))
        assert found["live.https-helper"].status == "ok"
        assert found["git.helpers"].status == "ok"
        assert found["git.use_http_path"].status == "ok"
        assert found["credentials.identity"].status == "ok"
        assert found["credentials.clock"].status == "ok"
        hd = _run(DoctorContext(helpdesk(sandbox), repo="my-repo", subject_user="new-hire"))
        assert hd["policy.verdict"].status == "ok"
        assert hd["mfa.devices"].status == "warn"
    finally:
        sandbox.stop()


def test_stale_device_is_found_for_the_user_and_by_the_helpdesk() -> None:
    sandbox = Sandbox.start("stale-device")
    try:
        own = _run(DoctorContext(self_settings(sandbox), repo="my-repo"))
        assert own["mfa.stale_device"].status == "warn"
        assert own["mfa.stale_device"].data["serials"] == ["arn:aws:iam::123456789012:mfa/new-hire"]
        fix = own["mfa.stale_device"].fix
        assert fix is not None and fix.action == "delete-stale-device"
        hd = _run(DoctorContext(helpdesk(sandbox), subject_user="new-hire"))
        assert hd["mfa.stale_device"].status == "warn"
    finally:
        sandbox.stop()


@pytest.fixture
def onboarded() -> Iterator[Sandbox]:
    sandbox = Sandbox.start("onboarded")
    try:
        set_up_ssh(sandbox)
        yield sandbox
    finally:
        sandbox.stop()


def test_onboarded_ssh_checks_pass_with_an_mfa_session(onboarded: Sandbox) -> None:
    ctx = DoctorContext(mfa_settings(onboarded), repo="my-repo")
    specs = select(all_checks(), ctx, ["ssh.", "mfa.", "live.", "credentials.expiry"])
    findings, _ = run_checks(ctx, specs)
    found = _by_id(findings)
    assert found["ssh.key_id"].status == "ok", found["ssh.key_id"]
    assert found["ssh.identity_file"].status == "ok", found["ssh.identity_file"]
    assert found["ssh.algorithms"].status == "ok"
    assert found["mfa.devices"].status == "ok"
    assert found["credentials.expiry"].summary.startswith("session credentials")
    assert found["live.ssh"].status == "ok", found["live.ssh"]


def test_wrong_ssh_user_and_open_key_permissions(onboarded: Sandbox) -> None:
    home = onboarded.home
    config = home.ssh_config.read_text()
    key = home.ssh_dir / "codecommit_rsa"
    try:
        key_id = onboarded.seeded.ssh_key_id
        assert key_id is not None
        home.ssh_config.write_text(config.replace(f"User {key_id}", "User new-hire"))
        key.chmod(0o644)
        ctx = DoctorContext(mfa_settings(onboarded), repo="my-repo")
        findings, _ = run_checks(ctx, select(all_checks(), ctx, ["ssh.", "live."]))
        found = _by_id(findings)
        assert found["ssh.key_id"].status == "fail"
        assert found["ssh.key_id"].causes == ("ssh-user-not-key-id",)
        assert key_id in found["ssh.key_id"].summary
        home.ssh_config.write_text(config)
        ctx = DoctorContext(mfa_settings(onboarded), repo="my-repo")
        findings, _ = run_checks(ctx, select(all_checks(), ctx, ["ssh.", "live."]))
        found = _by_id(findings)
        assert found["ssh.identity_file"].status == "fail"
        assert found["ssh.identity_file"].causes == ("ssh-private-key-invalid",)
        live = found["live.ssh"]
        assert live.status == "fail"
        assert live.causes == ("ssh-private-key-invalid",)
    finally:
        home.ssh_config.write_text(config)
        key.chmod(0o600)


def test_helpdesk_view_of_an_onboarded_user(onboarded: Sandbox) -> None:
    found = _run(DoctorContext(helpdesk(onboarded), subject_user="new-hire"))
    assert found["account.ssh_keys"].status == "ok"
    assert onboarded.seeded.ssh_key_id in found["account.ssh_keys"].data["keys"]
    assert found["account.git_credentials"].status == "ok"
    assert found["mfa.devices"].status == "ok"
    assert found["credentials.access_keys"].data["active"] == 1
    assert found["policy.verdict"].status == "ok"


def test_stale_stored_password_403_is_pinned_on_the_storing_helper() -> None:
    """The classic: `store` ahead of the AWS helper replays an old password -> 403."""
    import subprocess

    sandbox = Sandbox.start("fresh")
    try:
        settings = self_settings(sandbox)
        env = settings.env()
        helper_key = "credential.https://git-codecommit.*.amazonaws.com.helper"
        for args in (
            ["credential.helper", "store"],
            [helper_key, "!aws codecommit credential-helper $@"],
            ["credential.https://git-codecommit.*.amazonaws.com.UseHttpPath", "true"],
        ):
            subprocess.run(["git", "config", "--global", *args], env=env, check=True)
        stale = "20200101T000000Z" + "0" * 64
        key_id = sandbox.new_hire.access_key_id
        (sandbox.home.root / ".git-credentials").write_text(
            f"https://{key_id}:{stale}@git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo\n"
        )
        found = _run(DoctorContext(settings, repo="my-repo"))
        assert found["git.helpers"].causes == ("keychain-cached-stale-password",)
        live = found["live.https-helper"]
        assert live.status == "fail"
        assert any("403" in line for line in live.details), live.details
        # the text alone says "403: many causes"; the helper check decides
        assert live.causes == ("keychain-cached-stale-password",)
        assert live.data["candidates"][0] == "keychain-cached-stale-password"
        assert stale not in str(live.to_json())  # the stored password never reaches the finding
    finally:
        sandbox.stop()


def test_clock_skew_is_measured_against_aws() -> None:
    sandbox = Sandbox.start("fresh")
    try:
        sandbox.set_clock_offset(900)
        ctx = DoctorContext(self_settings(sandbox))
        found = _run(ctx)
        clock = found["credentials.clock"]
        assert clock.status == "fail", clock
        assert clock.causes == ("clock-skew",)
        assert 850 <= clock.data["skew_seconds"] <= 950
    finally:
        sandbox.stop()


def test_saved_mfa_session_profile_is_used_for_account_reads(onboarded: Sandbox) -> None:
    from datetime import UTC, datetime, timedelta

    from onboard.aws.files import save_session_profile
    from onboard.aws.gateway import Gateway

    settings = self_settings(onboarded)
    before = _run(DoctorContext(settings, repo="my-repo"))
    assert before["ssh.key_id"].status == "skipped"  # denied without MFA
    gateway = Gateway.from_settings(settings)
    creds = gateway.get_session_token(
        onboarded.mfa_serial, onboarded.totp_now(onboarded.mfa_serial)
    )
    expires = datetime.now(UTC) + timedelta(hours=1)
    save_session_profile(onboarded.home, None, creds, "us-east-1", expires)
    after = _run(DoctorContext(settings, repo="my-repo"))
    assert "MFA session profile default-mfa" in after["credentials.identity"].summary
    assert after["ssh.key_id"].status == "ok", after["ssh.key_id"]
    # with MFA the user reads their own policies (the sandbox grants ReadOwnPermissions):
    # the verdict comes from the policy engine over them, not from the simulator
    assert after["policy.verdict"].status == "ok", after["policy.verdict"]
    assert "ForceMFA" in after["policy.verdict"].data["policies"]
    assert after["ssh.known_hosts"].status == "ok"
    # an expired session is not used
    save_session_profile(onboarded.home, None, creds, "us-east-1", expires - timedelta(hours=2))
    expired = _run(DoctorContext(settings, repo="my-repo"))
    assert expired["ssh.key_id"].status == "skipped"


def test_simulator_fallback_names_the_denial(breaks_git: Sandbox) -> None:
    from onboard.doctor import policy_checks

    ctx = DoctorContext(helpdesk(breaks_git), repo="my-repo", subject_user="new-hire")
    finding = policy_checks._simulated_verdict(ctx, "new-hire")
    assert finding.status == "fail"
    assert finding.causes == ("mfa-policy-denies-git",)
    assert "codecommit:GitPull explicitDeny" in finding.summary
