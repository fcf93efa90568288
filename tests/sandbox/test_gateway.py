"""The AWS gateway against the sandbox: operations, typed values, redacted secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboard.aws.errors import NoCredentials
from onboard.aws.gateway import Gateway
from onboard.home import Home
from onboard.sandbox.account import Sandbox
from onboard.settings import Settings

from .helpers import rsa_public


def _gateway(sandbox: Sandbox, who: str = "new-hire") -> Gateway:
    settings = sandbox.helpdesk_settings() if who == "helpdesk" else sandbox.settings()
    return Gateway.from_settings(settings, max_attempts=1)


def test_whoami_and_endpoint_from_settings(sandbox: Sandbox) -> None:
    gateway = _gateway(sandbox)
    assert gateway.endpoint_url == sandbox.endpoint_url
    me = gateway.whoami()
    assert me.arn == sandbox.new_hire.arn
    assert me.user_name == "new-hire" and me.principal_type == "user"
    assert me.account == "123456789012" and me.credential_source == "env"
    assert not me.is_temporary


def test_the_walkthrough_through_the_gateway(sandbox: Sandbox) -> None:
    gateway = _gateway(sandbox)
    device = gateway.create_virtual_mfa_device("new-hire")
    seed = device.seed_base32.reveal()
    assert seed not in repr(device) and seed not in str(device.seed_base32)
    assert seed == sandbox.mfa_seed(device.serial)
    now = sandbox.state.now()
    gateway.enable_mfa_device(
        "new-hire",
        device.serial,
        sandbox.totp_now(device.serial, now - 30),
        sandbox.totp_now(device.serial, now),
    )
    assert [d.serial for d in gateway.list_mfa_devices("new-hire")] == [device.serial]
    assigned = gateway.list_virtual_mfa_devices("Assigned")
    assert [(d.name, d.user_name, d.assigned) for d in assigned] == [("new-hire", "new-hire", True)]
    creds = gateway.get_session_token(device.serial, sandbox.totp_now(device.serial, now + 30))
    assert creds.secret_access_key.reveal() not in repr(creds)
    assert creds.session_token.reveal() not in repr(creds)
    assert creds.session_token.reveal() not in repr(creds.session_token)
    session = gateway.with_session(creds)
    assert session.whoami().arn == sandbox.new_hire.arn
    assert session.whoami().credential_source == "mfa-session"
    body = rsa_public()
    key = session.upload_ssh_public_key("new-hire", body)
    assert key.key_id.startswith("APKA") and key.status == "Active"
    assert len(key.fingerprint.split(":")) == 16
    assert [k.key_id for k in session.list_ssh_public_keys("new-hire")] == [key.key_id]
    assert session.get_ssh_public_key("new-hire", key.key_id).fingerprint == key.fingerprint
    session.update_ssh_public_key("new-hire", key.key_id, "Inactive")
    assert session.get_ssh_public_key("new-hire", key.key_id).status == "Inactive"
    session.delete_ssh_public_key("new-hire", key.key_id)
    assert session.list_ssh_public_keys("new-hire") == []
    git = session.create_service_specific_credential("new-hire")
    assert git.username == "new-hire-at-123456789012"
    assert git.password and git.password.reveal() not in repr(git)
    listed = session.list_service_specific_credentials("new-hire")
    assert [(c.id, c.password) for c in listed] == [(git.id, None)]
    reset = session.reset_service_specific_credential("new-hire", git.id)
    assert reset.password and reset.password != git.password


def test_codecommit_and_policies(sandbox_with_git: Sandbox) -> None:
    sandbox = sandbox_with_git
    gateway = _gateway(sandbox)
    assert gateway.list_repositories() == ["my-repo"]
    repo = gateway.get_repository("my-repo")
    assert repo.arn == "arn:aws:codecommit:us-east-1:123456789012:my-repo"
    assert repo.clone_url_http == "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo"
    assert repo.kms_key_id == sandbox.kms_key_arn
    assert gateway.get_branch("my-repo", "main").commit_id
    admin = _gateway(sandbox, "helpdesk")
    policies = {(p.name, p.kind, p.source) for p in admin.effective_policies("new-hire")}
    assert policies == {
        ("CodeCommitDeveloper", "managed", "new-hire"),
        ("ReadOwnPermissions", "managed", "new-hire"),
        ("ForceMFA", "group-managed", "developers"),
    }
    force = next(p for p in admin.effective_policies("new-hire") if p.name == "ForceMFA")
    assert force.arn == "arn:aws:iam::123456789012:policy/ForceMFA"
    assert force.document["Statement"][-1]["Effect"] == "Deny"
    results = admin.simulate_principal_policy(
        sandbox.new_hire.arn,
        ["iam:UploadSSHPublicKey", "codecommit:GitPush"],
        [sandbox.new_hire.arn],
        {"aws:MultiFactorAuthPresent": "false"},
    )
    assert [(r.action, r.decision) for r in results] == [
        ("iam:UploadSSHPublicKey", "explicitDeny"),
        ("codecommit:GitPush", "allowed"),
    ]
    assert results[0].matched_statements == ("ForceMFA",)


def test_access_keys_and_last_used(sandbox: Sandbox) -> None:
    gateway = _gateway(sandbox)
    gateway.whoami()
    admin = _gateway(sandbox, "helpdesk")
    keys = admin.list_access_keys("new-hire")
    assert [k.access_key_id for k in keys] == [sandbox.new_hire.access_key_id]
    assert keys[0].status == "Active" and keys[0].age_days is not None
    used = admin.access_key_last_used(sandbox.new_hire.access_key_id)
    assert used.user_name == "new-hire"
    assert used.service == "sts" and used.last_used is not None


def test_clock_skew_is_measured_from_the_date_header(sandbox: Sandbox) -> None:
    gateway = _gateway(sandbox)
    assert abs(gateway.server_clock_skew()) < 5
    sandbox.set_clock_offset(3600)
    assert 3590 < gateway.server_clock_skew() < 3610  # read even from the error reply


def test_profile_from_the_injected_home(sandbox: Sandbox, home: Home) -> None:
    home.aws_credentials.write_text(
        "[dev]\n"
        f"aws_access_key_id = {sandbox.helpdesk.access_key_id}\n"
        f"aws_secret_access_key = {sandbox.helpdesk.secret_access_key}\n"
    )
    home.aws_config.write_text("[profile dev]\nregion = us-east-1\n")
    settings = Settings(
        profile="dev",
        home=home,
        endpoint_url=sandbox.endpoint_url,
        environ={"PATH": "/usr/bin"},
    )
    me = Gateway.from_settings(settings).whoami()
    assert me.user_name == "helpdesk"
    assert me.credential_source == "shared-credentials-file"
    env_profile = Settings(
        home=home,
        environ={"AWS_PROFILE": "dev", "AWS_ENDPOINT_URL": sandbox.endpoint_url},
    )
    assert Gateway.from_settings(env_profile).whoami().user_name == "helpdesk"
    with pytest.raises(NoCredentials) as exc:
        Gateway.from_settings(Settings(profile="nope", home=home, environ={}))
    assert "nope" in exc.value.what


def test_region_resolution(home: Home, tmp_path: Path) -> None:
    assert Gateway.from_settings(Settings(home=home, environ={})).region == "us-east-1"
    assert Gateway.from_settings(Settings(home=home, region="eu-west-1", environ={})).region == (
        "eu-west-1"
    )
    env = {"AWS_DEFAULT_REGION": "ap-northeast-1"}
    assert Gateway.from_settings(Settings(home=home, environ=env)).region == "ap-northeast-1"


def test_effective_policies_include_the_boundary(sandbox: Sandbox) -> None:
    admin = _gateway(sandbox, "helpdesk")
    iam = admin.client("iam")
    arn = iam.create_policy(
        PolicyName="Boundary",
        PolicyDocument='{"Version": "2012-10-17", "Statement": '
        '[{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
    )["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="new-hire", PermissionsBoundary=arn)
    kinds = {(p.name, p.kind) for p in admin.effective_policies("new-hire")}
    assert ("Boundary", "boundary") in kinds


def test_an_injected_environment_hides_the_process_one(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHEPROCESS00")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x" * 40)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    gateway = Gateway.from_settings(Settings(home=home, environ={}))
    assert gateway.endpoint_url is None
    with pytest.raises(NoCredentials):
        gateway.whoami()


def test_new_hire_reads_own_policies_only_with_mfa(sandbox: Sandbox) -> None:
    """ReadOwnPermissions works under the force-MFA deny only with an MFA session."""
    from onboard.aws.errors import AccessDenied

    gateway = _gateway(sandbox, "new-hire")
    with pytest.raises(AccessDenied):
        gateway.effective_policies("new-hire")
    device = gateway.create_virtual_mfa_device("new-hire")
    now = sandbox.state.now()
    gateway.enable_mfa_device(
        "new-hire",
        device.serial,
        sandbox.totp_now(device.serial, now - 30),
        sandbox.totp_now(device.serial, now),
    )
    session = gateway.with_session(
        gateway.get_session_token(device.serial, sandbox.totp_now(device.serial, now + 30))
    )
    names = {p.name for p in session.effective_policies("new-hire")}
    assert names == {"CodeCommitDeveloper", "ReadOwnPermissions", "ForceMFA"}
    with pytest.raises(AccessDenied):
        session.effective_policies("helpdesk")
