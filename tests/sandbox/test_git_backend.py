"""The sandbox's `GitAuthBackend`: keys, sessions, Git credentials, SSH keys, decisions."""

from __future__ import annotations

from onboard.sandbox.account import Sandbox
from onboard.sandbox.git_auth import GitAuthBackend
from onboard.sandbox.git_backend import SandboxGitBackend

from .helpers import client, enable_new_hire_mfa, mfa_session, rsa_public

NO_MFA = {"aws:SecureTransport": "true"}


def test_it_is_a_git_auth_backend(sandbox: Sandbox) -> None:
    backend: GitAuthBackend = SandboxGitBackend(sandbox.state)
    assert backend.region == "us-east-1" and backend.account_id == "123456789012"


def test_access_keys_and_sessions(sandbox: Sandbox) -> None:
    backend = SandboxGitBackend(sandbox.state)
    found = backend.access_key_secret(sandbox.new_hire.access_key_id, None)
    assert found is not None
    secret, identity = found
    assert secret == sandbox.new_hire.secret_access_key
    assert identity.user_name == "new-hire" and identity.mfa_authenticated_at is None
    assert backend.access_key_secret(sandbox.new_hire.access_key_id, "token") is None
    assert backend.access_key_secret("AKIANOSUCHKEY0000000", None) is None
    serial = enable_new_hire_mfa(sandbox)
    creds = mfa_session(sandbox, serial)
    session = backend.access_key_secret(creds["aws_access_key_id"], creds["aws_session_token"])
    assert session is not None
    assert session[0] == creds["aws_secret_access_key"]
    assert session[1].mfa_authenticated_at is not None
    assert backend.access_key_secret(creds["aws_access_key_id"], "other-token") is None
    sandbox.set_clock_offset(43201)
    assert backend.access_key_secret(creds["aws_access_key_id"], creds["aws_session_token"]) is None
    sandbox.set_clock_offset(0)
    admin = client(sandbox, "iam", who="helpdesk")
    admin.update_access_key(
        UserName="new-hire", AccessKeyId=sandbox.new_hire.access_key_id, Status="Inactive"
    )
    assert backend.access_key_secret(sandbox.new_hire.access_key_id, None) is None


def test_git_credentials(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("onboarded")
    backend = SandboxGitBackend(sandbox.state)
    identity = backend.git_credential_identity(sandbox.git_username, sandbox.git_password)
    assert identity is not None and identity.user_name == "new-hire"
    assert backend.git_credential_identity(sandbox.git_username, "wrong") is None
    assert backend.git_credential_identity("someone-at-123456789012", sandbox.git_password) is None
    admin = client(sandbox, "iam", who="helpdesk")
    (cred,) = admin.list_service_specific_credentials(UserName="new-hire")[
        "ServiceSpecificCredentials"
    ]
    admin.update_service_specific_credential(
        UserName="new-hire",
        ServiceSpecificCredentialId=cred["ServiceSpecificCredentialId"],
        Status="Inactive",
    )
    assert backend.git_credential_identity(sandbox.git_username, sandbox.git_password) is None


def test_ssh_keys(sandbox: Sandbox) -> None:
    backend = SandboxGitBackend(sandbox.state)
    admin = client(sandbox, "iam", who="helpdesk")
    body = rsa_public()
    key_id = admin.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=body)[
        "SSHPublicKey"
    ]["SSHPublicKeyId"]
    offered = " ".join(body.split()[:2])  # what the SSH server sees: no comment
    identity = backend.ssh_key_identity(key_id, offered)
    assert identity is not None and identity.user_name == "new-hire"
    assert identity.mfa_authenticated_at is None
    assert backend.ssh_key_identity("APKANOSUCHKEY0000000", offered) is None
    assert backend.ssh_key_identity(key_id, rsa_public(2048, "other").replace("A", "B", 1)) is None
    admin.update_ssh_public_key(UserName="new-hire", SSHPublicKeyId=key_id, Status="Inactive")
    assert backend.ssh_key_identity(key_id, offered) is None


def test_authorize_follows_the_scenario_policy(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    repo = "arn:aws:codecommit:us-east-1:123456789012:my-repo"
    fresh = sandbox_factory("fresh")
    backend = SandboxGitBackend(fresh.state)
    identity = backend.access_key_secret(fresh.new_hire.access_key_id, None)[1]  # type: ignore[index]
    assert backend.authorize(identity, "codecommit:GitPull", repo, NO_MFA) == (True, "")
    kms = {"kms:ViaService": "codecommit.us-east-1.amazonaws.com"}
    assert backend.authorize(identity, "kms:Decrypt", fresh.kms_key_arn, kms)[0]
    allowed, message = backend.authorize(identity, "kms:Decrypt", fresh.kms_key_arn, NO_MFA)
    assert not allowed and "explicit deny" in message  # a direct KMS call still needs MFA
    assert backend.repository_path("my-repo") is None  # git endpoints not started
    assert backend.repository_path("nope") is None
    broken = sandbox_factory("breaks-git")
    backend = SandboxGitBackend(broken.state)
    identity = backend.access_key_secret(broken.new_hire.access_key_id, None)[1]  # type: ignore[index]
    allowed, message = backend.authorize(identity, "codecommit:GitPush", repo, NO_MFA)
    assert not allowed
    assert message == (
        "User: arn:aws:iam::123456789012:user/new-hire is not authorized to perform: "
        f"codecommit:GitPush on resource: {repo} with an explicit deny in an identity-based "
        "policy: arn:aws:iam::123456789012:policy/ForceMFA"
    )
    with_mfa = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "10"}
    assert backend.authorize(identity, "codecommit:GitPush", repo, with_mfa)[0]


def test_repository_path_with_git(sandbox_with_git: Sandbox) -> None:
    backend = SandboxGitBackend(sandbox_with_git.state)
    path = backend.repository_path("my-repo")
    assert path is not None and (path / "HEAD").is_file()
    assert backend.repository_kms_key_arn("my-repo") == sandbox_with_git.kms_key_arn
