"""Each scenario seeds what it says; every request goes through the policy engine."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from onboard.errors import OnboardError
from onboard.sandbox.account import Sandbox

from .helpers import client, mfa_client


def test_fresh_account(sandbox: Sandbox) -> None:
    assert sandbox.endpoint_url.startswith("http://127.0.0.1:")
    assert sandbox.new_hire.user_name == "new-hire"
    assert sandbox.new_hire.arn == "arn:aws:iam::123456789012:user/new-hire"
    assert sandbox.helpdesk.user_name == "helpdesk"
    assert sandbox.repo_name == "my-repo"
    assert sandbox.home.isolated and sandbox.home.root.is_dir()
    iam = client(sandbox, "iam", who="helpdesk")
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []
    assert iam.list_ssh_public_keys(UserName="new-hire")["SSHPublicKeys"] == []
    attached = iam.list_attached_group_policies(GroupName="developers")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["ForceMFA"]
    version = iam.get_policy_version(PolicyArn=attached[0]["PolicyArn"], VersionId="v1")[
        "PolicyVersion"
    ]["Document"]
    assert "codecommit:*" in version["Statement"][-1]["NotAction"]


def _ids(sandbox: Sandbox) -> dict[str, object]:
    admin = client(sandbox, "iam", who="helpdesk")
    users = {u["UserName"]: u["UserId"] for u in admin.list_users()["Users"]}
    repo = client(sandbox, "codecommit", who="helpdesk").get_repository(repositoryName="my-repo")
    keys = admin.list_ssh_public_keys(UserName="new-hire")["SSHPublicKeys"]
    creds = admin.list_service_specific_credentials(UserName="new-hire")
    return {
        "keys": (sandbox.new_hire.access_key_id, sandbox.helpdesk.access_key_id),
        "secrets": (sandbox.new_hire.secret_access_key, sandbox.helpdesk.secret_access_key),
        "users": users,
        "repo": repo["repositoryMetadata"]["repositoryId"],
        "kms": repo["repositoryMetadata"]["kmsKeyId"],
        "ssh": [k["SSHPublicKeyId"] for k in keys],
        "git": [c["ServiceSpecificCredentialId"] for c in creds["ServiceSpecificCredentials"]],
        "mfa": sandbox.mfa_serial,
    }


@pytest.mark.parametrize("scenario", ["fresh", "onboarded"])
def test_ids_are_deterministic(sandbox_factory, scenario: str) -> None:  # type: ignore[no-untyped-def]
    first = _ids(sandbox_factory(scenario))
    second = _ids(sandbox_factory(scenario))
    assert second == first
    assert all(str(user_id).startswith("AIDA") for user_id in first["users"].values())  # type: ignore[attr-defined]


def test_breaks_git_denies_codecommit_to_long_term_keys(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("breaks-git")
    with pytest.raises(ClientError) as exc:
        client(sandbox, "codecommit").get_repository(repositoryName="my-repo")
    error = exc.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"].endswith(
        "with an explicit deny in an identity-based policy: "
        "arn:aws:iam::123456789012:policy/ForceMFA"
    )
    # With an MFA session CodeCommit works again: MFA is what the policy wants.
    codecommit = mfa_client(sandbox, "codecommit")
    assert codecommit.get_repository(repositoryName="my-repo")["repositoryMetadata"]


def test_fresh_allows_codecommit_without_mfa(sandbox: Sandbox) -> None:
    codecommit = client(sandbox, "codecommit")
    assert codecommit.get_repository(repositoryName="my-repo")["repositoryMetadata"]["Arn"]
    # ...but still needs MFA for anything outside the NotAction list.
    with pytest.raises(ClientError) as exc:
        client(sandbox, "iam").create_access_key(UserName="new-hire")
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_stale_device_holds_the_name(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("stale-device")
    iam = client(sandbox, "iam")
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in unassigned] == ["arn:aws:iam::123456789012:mfa/new-hire"]
    # As on AWS, the root user's device can also list as Unassigned: code must never touch it.
    assert sandbox.add_root_mfa_device() == "arn:aws:iam::123456789012:mfa/root-account-mfa-device"
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in unassigned] == [
        "arn:aws:iam::123456789012:mfa/new-hire",
        "arn:aws:iam::123456789012:mfa/root-account-mfa-device",
    ]
    with pytest.raises(ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="new-hire")
    assert exc.value.response["Error"]["Code"] == "EntityAlreadyExists"
    admin = client(sandbox, "iam", who="helpdesk")
    with pytest.raises(ClientError) as exc:
        admin.delete_virtual_mfa_device(
            SerialNumber="arn:aws:iam::123456789012:mfa/root-account-mfa-device"
        )
    # It is in use (by root), whatever the listing says.
    assert exc.value.response["Error"]["Code"] == "DeleteConflict"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    admin.delete_virtual_mfa_device(SerialNumber="arn:aws:iam::123456789012:mfa/new-hire")


def test_other_scenarios_have_no_unassigned_device(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("fresh")
    iam = client(sandbox, "iam", who="helpdesk")
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


def test_onboarded_has_mfa_ssh_key_and_git_credentials(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("onboarded")
    iam = client(sandbox, "iam", who="helpdesk")
    devices = iam.list_mfa_devices(UserName="new-hire")["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [sandbox.mfa_serial]
    keys = iam.list_ssh_public_keys(UserName="new-hire")["SSHPublicKeys"]
    assert [k["SSHPublicKeyId"] for k in keys] == [sandbox.seeded.ssh_key_id]
    creds = iam.list_service_specific_credentials(UserName="new-hire")["ServiceSpecificCredentials"]
    assert [c["ServiceUserName"] for c in creds] == [sandbox.git_username]
    assert sandbox.git_password and len(sandbox.git_password) == 44
    assert sandbox.ssh_private_key_path is not None
    assert sandbox.ssh_private_key_path.stat().st_mode & 0o777 == 0o600
    # The seeded device is a real one: its codes open an MFA session.
    sts = client(sandbox, "sts")
    sts.get_session_token(
        SerialNumber=sandbox.mfa_serial, TokenCode=sandbox.totp_now(sandbox.mfa_serial)
    )


def test_unknown_scenario_is_a_clear_error() -> None:
    with pytest.raises(OnboardError) as exc:
        Sandbox.start("nope")
    assert "fresh, breaks-git, stale-device, onboarded" in exc.value.render()
    assert exc.value.exit_code == 3  # invalid input, as for `onboard sandbox --scenario nope`


def test_one_sandbox_per_process(sandbox: Sandbox) -> None:
    with pytest.raises(OnboardError) as exc:
        Sandbox.start("fresh", git=False)
    assert "already running" in exc.value.what
    assert client(sandbox, "sts").get_caller_identity()  # the first one is untouched


def test_settings_point_at_the_sandbox(sandbox: Sandbox) -> None:
    settings = sandbox.settings()
    assert settings.sandbox and settings.endpoint_url == sandbox.endpoint_url
    assert settings.home == sandbox.home and settings.region == "us-east-1"
    env = settings.env()
    assert env["HOME"] == str(sandbox.home.root)
    assert env["AWS_ACCESS_KEY_ID"] == sandbox.new_hire.access_key_id
    names = set(sandbox.env())
    assert {
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "ONBOARD_HELPDESK_ACCESS_KEY_ID",
        "ONBOARD_HELPDESK_SECRET_ACCESS_KEY",
        "HOME",
    } <= names


def test_stop_frees_everything(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("fresh", git=True)
    data = sandbox.data_dir
    assert data.is_dir()
    sandbox.stop()
    sandbox.stop()  # idempotent
    assert not data.exists()
    with Sandbox.start("fresh", git=False) as again:  # the process can start another
        assert client(again, "sts").get_caller_identity()["Account"] == "123456789012"
