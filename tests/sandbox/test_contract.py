"""Every moto patch, exercised through boto3 against a running sandbox.

A moto upgrade that breaks a patch fails here. `test_every_patched_operation_is_covered`
keeps this list and `aws_patches.PATCHED_OPERATIONS` in step.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from onboard.sandbox import aws_patches
from onboard.sandbox.account import Sandbox

from .helpers import (
    client,
    enable_new_hire_mfa,
    mfa_client,
    mfa_session,
    other_public,
    rsa_pem_public,
    rsa_private_pem,
    rsa_public,
)

COVERED = {
    "get_user",
    "put_user_permissions_boundary",
    "delete_user_permissions_boundary",
    "enable_mfa_device",
    "resync_mfa_device",
    "get_mfa_device",
    "delete_virtual_mfa_device",
    "upload_ssh_public_key",
    "create_service_specific_credential",
    "list_service_specific_credentials",
    "reset_service_specific_credential",
    "update_service_specific_credential",
    "delete_service_specific_credential",
    "simulate_principal_policy",
    "simulate_custom_policy",
    "get_session_token",
    "get_caller_identity",
    "list_repositories",
    "get_branch",
    "create_repository",
    "create_virtual_mfa_device",
}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_every_patched_operation_is_covered() -> None:
    assert set(aws_patches.PATCHED_OPERATIONS) == COVERED
    assert __import__("moto").__version__ == aws_patches.MOTO_TESTED


# Operations moto 5.2.5 implements that the sandbox replaces; the rest it adds.
REPLACED = {
    "get_user",
    "enable_mfa_device",
    "delete_virtual_mfa_device",
    "upload_ssh_public_key",
    "get_session_token",
    "get_caller_identity",
    "create_repository",
    "create_virtual_mfa_device",
}


def test_moto_still_dispatches_to_what_is_patched() -> None:
    """A moto upgrade that renames a hook would silently unpatch it: fail here instead."""
    import inspect

    from moto.core.responses import BaseResponse

    aws_patches.apply()
    # Every request's authorization (the policy engine) rides on this one hook.
    assert "authorize" in aws_patches.ORIGINALS
    source = inspect.getsource(BaseResponse.call_action)
    assert "self._authenticate_and_authorize_normal_action(" in source
    assert BaseResponse._authenticate_and_authorize_normal_action is aws_patches._authorize_request
    assert {name for name in aws_patches.PATCHED_OPERATIONS if name in aws_patches.ORIGINALS} == (
        REPLACED
    )


# --- MFA ----------------------------------------------------------------------------------------


def test_enable_mfa_device_checks_two_consecutive_codes(sandbox: Sandbox) -> None:
    iam = client(sandbox, "iam")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="new-hire")["VirtualMFADevice"][
        "SerialNumber"
    ]
    now = sandbox.state.now()
    bad_pairs = [
        ("123456", "654321"),
        (sandbox.totp_now(serial, now), sandbox.totp_now(serial, now)),  # repeated
        (sandbox.totp_now(serial, now - 60), sandbox.totp_now(serial, now)),  # not consecutive
        (sandbox.totp_now(serial, now), sandbox.totp_now(serial, now - 30)),  # wrong order
    ]
    for code1, code2 in bad_pairs:
        with pytest.raises(ClientError) as exc:
            iam.enable_mfa_device(
                UserName="new-hire",
                SerialNumber=serial,
                AuthenticationCode1=code1,
                AuthenticationCode2=code2,
            )
        assert _code(exc) == ("InvalidAuthenticationCode", 403)
    assert iam.list_mfa_devices(UserName="new-hire")["MFADevices"] == []
    iam.enable_mfa_device(
        UserName="new-hire",
        SerialNumber=serial,
        AuthenticationCode1=sandbox.totp_now(serial, now - 30),
        AuthenticationCode2=sandbox.totp_now(serial, now),
    )
    devices = iam.list_mfa_devices(UserName="new-hire")["MFADevices"]
    assert [d["SerialNumber"] for d in devices] == [serial]


def test_create_virtual_mfa_device_validates_the_name(sandbox: Sandbox) -> None:
    iam = client(sandbox, "iam", who="helpdesk")
    with pytest.raises(ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="bad name!")
    assert _code(exc) == ("ValidationError", 400)
    assert exc.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'bad name!' at 'virtualMFADeviceName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )
    with pytest.raises(ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="x" * 227)
    assert _code(exc) == ("ValidationError", 400)
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName="a.b+c=d,e@f_g-h")
    assert created["VirtualMFADevice"]["SerialNumber"].endswith(":mfa/a.b+c=d,e@f_g-h")
    assert created["VirtualMFADevice"]["Base32StringSeed"]


def test_at_most_eight_mfa_devices_per_user(sandbox: Sandbox) -> None:
    iam = client(sandbox, "iam", who="helpdesk")
    now = sandbox.state.now()
    for number in range(9):
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"dev{number}")[
            "VirtualMFADevice"
        ]["SerialNumber"]
        codes = {
            "AuthenticationCode1": sandbox.totp_now(serial, now - 30),
            "AuthenticationCode2": sandbox.totp_now(serial, now),
        }
        if number < 8:
            iam.enable_mfa_device(UserName="new-hire", SerialNumber=serial, **codes)
            continue
        with pytest.raises(ClientError) as exc:
            iam.enable_mfa_device(UserName="new-hire", SerialNumber=serial, **codes)
        assert _code(exc) == ("LimitExceeded", 409)
    assert len(iam.list_mfa_devices(UserName="new-hire")["MFADevices"]) == 8


def test_resync_and_get_mfa_device(sandbox: Sandbox) -> None:
    serial = enable_new_hire_mfa(sandbox)
    iam = client(sandbox, "iam")
    # The seed's (older) force-MFA policy does not allow GetMFADevice: ask as the helpdesk.
    got = client(sandbox, "iam", who="helpdesk").get_mfa_device(
        SerialNumber=serial, UserName="new-hire"
    )
    assert got["SerialNumber"] == serial and got["UserName"] == "new-hire"
    with pytest.raises(ClientError) as exc:
        iam.resync_mfa_device(
            UserName="new-hire",
            SerialNumber=serial,
            AuthenticationCode1="000000",
            AuthenticationCode2="111111",
        )
    assert _code(exc) == ("InvalidAuthenticationCode", 403)
    # A device running 5 minutes fast: resync with its codes, then its codes open sessions.
    ahead = sandbox.state.now() + 300
    iam.resync_mfa_device(
        UserName="new-hire",
        SerialNumber=serial,
        AuthenticationCode1=sandbox.totp_now(serial, ahead),
        AuthenticationCode2=sandbox.totp_now(serial, ahead + 30),
    )
    sts = client(sandbox, "sts")
    # The resync used the device's current code: the next one opens the session.
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode=sandbox.totp_now(serial, ahead + 30))
    assert _code(exc) == ("AccessDenied", 403)
    sts.get_session_token(SerialNumber=serial, TokenCode=sandbox.totp_now(serial, ahead + 60))
    with pytest.raises(ClientError) as exc:
        client(sandbox, "iam", who="helpdesk").get_mfa_device(
            SerialNumber="arn:aws:iam::123456789012:mfa/nobody"
        )
    assert _code(exc)[0] == "NoSuchEntity"


def test_delete_virtual_mfa_device_refuses_an_assigned_device(sandbox: Sandbox) -> None:
    serial = enable_new_hire_mfa(sandbox)
    iam = client(sandbox, "iam", who="helpdesk")
    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert _code(exc) == ("DeleteConflict", 409)
    iam.deactivate_mfa_device(UserName="new-hire", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert iam.list_virtual_mfa_devices()["VirtualMFADevices"] == []


# --- STS ----------------------------------------------------------------------------------------


def test_get_session_token_checks_the_code_and_maps_to_the_user(sandbox: Sandbox) -> None:
    serial = enable_new_hire_mfa(sandbox)
    sts = client(sandbox, "sts")
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode="000000")
    code, status = _code(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"] == (
        "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )
    # A serial that is not this user's device gets AWS's other message (aws/aws-cli#6325).
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(
            SerialNumber="arn:aws:iam::123456789012:mfa/someone-else", TokenCode="123456"
        )
    assert _code(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"] == (
        "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA "
        "serial number is valid and associated with this user."
    )
    creds = mfa_session(sandbox, serial)
    assert creds["aws_access_key_id"].startswith("ASIA")
    assert creds["aws_access_key_id"] != "AKIAIOSFODNN7EXAMPLE"
    session_sts = client(sandbox, "sts", **creds)
    identity = session_sts.get_caller_identity()
    assert identity["Arn"] == sandbox.new_hire.arn
    assert identity["Account"] == sandbox.account_id
    # Session credentials cannot mint more sessions (as on AWS).
    with pytest.raises(ClientError) as exc:
        session_sts.get_session_token()
    assert _code(exc)[0] == "AccessDenied"


def test_each_mfa_code_works_once_per_device(sandbox: Sandbox) -> None:
    """AWS takes a code once per device: Enable, Resync and GetSessionToken share that."""
    iam = client(sandbox, "iam")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="new-hire")["VirtualMFADevice"][
        "SerialNumber"
    ]
    now = sandbox.state.now()
    iam.enable_mfa_device(
        UserName="new-hire",
        SerialNumber=serial,
        AuthenticationCode1=sandbox.totp_now(serial, now - 30),
        AuthenticationCode2=sandbox.totp_now(serial, now),
    )
    sts = client(sandbox, "sts")

    def refused(code: str) -> None:
        with pytest.raises(ClientError) as exc:
            sts.get_session_token(SerialNumber=serial, TokenCode=code)
        assert _code(exc) == ("AccessDenied", 403)
        # The same answer as a wrong code: AWS does not say the code was used.
        assert exc.value.response["Error"]["Message"] == (
            "MultiFactorAuthentication failed with invalid MFA one time pass code."
        )

    # The code that enabled the device is still the current one, yet it is refused.
    refused(sandbox.totp_now(serial, now))
    following = sandbox.totp_now(serial, now + 30)
    sts.get_session_token(SerialNumber=serial, TokenCode=following)
    refused(following)  # a second session with the same code
    # A code a session used cannot resync the device either.
    with pytest.raises(ClientError) as exc:
        iam.resync_mfa_device(
            UserName="new-hire",
            SerialNumber=serial,
            AuthenticationCode1=following,
            AuthenticationCode2=sandbox.totp_now(serial, now + 60),
        )
    assert _code(exc) == ("InvalidAuthenticationCode", 403)


def test_get_caller_identity_for_long_term_keys(sandbox: Sandbox) -> None:
    identity = client(sandbox, "sts", who="helpdesk").get_caller_identity()
    assert identity["Arn"] == sandbox.helpdesk.arn
    assert identity["UserId"].startswith("AIDA")


def test_mfa_session_carries_mfa_and_long_term_keys_do_not(sandbox: Sandbox) -> None:
    body = rsa_public()
    with pytest.raises(ClientError) as exc:
        client(sandbox, "iam").upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=body)
    assert _code(exc) == ("AccessDenied", 403)
    message = exc.value.response["Error"]["Message"]
    assert message == (
        "User: arn:aws:iam::123456789012:user/new-hire is not authorized to perform: "
        "iam:UploadSSHPublicKey on resource: arn:aws:iam::123456789012:user/new-hire "
        "with an explicit deny in an identity-based policy: "
        "arn:aws:iam::123456789012:policy/ForceMFA"
    )
    iam = mfa_client(sandbox, "iam")
    key = iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=body)["SSHPublicKey"]
    assert key["SSHPublicKeyId"].startswith("APKA")


# --- users and permissions boundaries ------------------------------------------------------------


def test_get_user_of_an_mfa_session_and_boundaries(sandbox: Sandbox) -> None:
    iam = mfa_client(sandbox, "iam")
    assert iam.get_user()["User"]["UserName"] == "new-hire"  # moto alone: "default_user"
    # Left out, UserName means the caller (for session credentials too).
    assert iam.list_mfa_devices()["MFADevices"][0]["UserName"] == "new-hire"
    created = iam.create_service_specific_credential(
        UserName="new-hire", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    mine = iam.list_service_specific_credentials()["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in mine] == [
        created["ServiceSpecificCredentialId"]
    ]
    admin = client(sandbox, "iam", who="helpdesk")
    boundary = admin.create_policy(
        PolicyName="OnlyReadCodeCommit",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["codecommit:Get*", "iam:*"], "Resource": "*"}
                ],
            }
        ),
    )["Policy"]["Arn"]
    admin.put_user_permissions_boundary(UserName="new-hire", PermissionsBoundary=boundary)
    user = admin.get_user(UserName="new-hire")["User"]
    assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    codecommit = client(sandbox, "codecommit")
    assert codecommit.get_repository(repositoryName="my-repo")["repositoryMetadata"]
    with pytest.raises(ClientError) as exc:
        codecommit.list_repositories()
    assert "because no permissions boundary allows" in exc.value.response["Error"]["Message"]
    admin.delete_user_permissions_boundary(UserName="new-hire")
    assert codecommit.list_repositories()["repositories"]
    assert "PermissionsBoundary" not in admin.get_user(UserName="new-hire")["User"]
    with pytest.raises(ClientError) as exc:
        admin.put_user_permissions_boundary(
            UserName="new-hire", PermissionsBoundary="arn:aws:iam::123456789012:policy/none"
        )
    assert _code(exc)[0] == "NoSuchEntity"


# --- SSH keys -----------------------------------------------------------------------------------


def test_upload_ssh_public_key_returns_the_real_md5_fingerprint(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    iam = mfa_client(sandbox, "iam")
    body = rsa_public()
    key = iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=body)["SSHPublicKey"]
    pub = tmp_path / "key.pub"
    pub.write_text(body + "\n")
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "md5", "-f", str(pub)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"MD5:{key['Fingerprint']} " in out
    got = iam.get_ssh_public_key(
        UserName="new-hire", SSHPublicKeyId=key["SSHPublicKeyId"], Encoding="SSH"
    )["SSHPublicKey"]
    assert got["SSHPublicKeyBody"].split()[:2] == body.split()[:2]


@pytest.mark.parametrize(
    ("body_kind", "code"),
    [
        ("ed25519", "UnrecognizedPublicKeyEncoding"),
        ("ecdsa", "UnrecognizedPublicKeyEncoding"),
        ("dsa", "UnrecognizedPublicKeyEncoding"),
        ("private", "UnrecognizedPublicKeyEncoding"),
        ("garbage", "UnrecognizedPublicKeyEncoding"),
        ("short-rsa", "InvalidPublicKey"),
        ("corrupt-rsa", "InvalidPublicKey"),
    ],
)
def test_upload_ssh_public_key_refuses_what_iam_refuses(
    sandbox: Sandbox, body_kind: str, code: str
) -> None:
    bodies = {
        "ed25519": lambda: other_public("ed25519"),
        "ecdsa": lambda: other_public("ecdsa"),
        "dsa": lambda: other_public("dsa"),
        "private": rsa_private_pem,
        "garbage": lambda: "hello world, this is not a key",
        "short-rsa": lambda: rsa_public(1024),
        "corrupt-rsa": lambda: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAB!!! x",
    }
    iam = mfa_client(sandbox, "iam")
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=bodies[body_kind]())
    assert _code(exc) == (code, 400)


def test_upload_ssh_public_key_pem_duplicate_and_limit(sandbox: Sandbox) -> None:
    iam = mfa_client(sandbox, "iam")
    pem_key = iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=rsa_pem_public())
    assert pem_key["SSHPublicKey"]["Status"] == "Active"
    body = rsa_public()
    iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=body)
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=body)
    assert _code(exc) == ("DuplicateSSHPublicKey", 400)
    for _ in range(3):
        iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=rsa_pem_public())
    assert len(iam.list_ssh_public_keys(UserName="new-hire")["SSHPublicKeys"]) == 5
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName="new-hire", SSHPublicKeyBody=rsa_pem_public())
    assert _code(exc) == ("LimitExceeded", 409)


# --- HTTPS Git credentials ----------------------------------------------------------------------


def test_service_specific_credentials_lifecycle(sandbox: Sandbox) -> None:
    iam = mfa_client(sandbox, "iam")
    first = iam.create_service_specific_credential(
        UserName="new-hire", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    assert first["ServiceUserName"] == "new-hire-at-123456789012"
    assert len(first["ServicePassword"]) >= 40 and first["Status"] == "Active"
    second = iam.create_service_specific_credential(
        UserName="new-hire", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    assert second["ServiceUserName"] != first["ServiceUserName"]
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(
            UserName="new-hire", ServiceName="codecommit.amazonaws.com"
        )
    assert _code(exc) == ("LimitExceeded", 409)
    listed = iam.list_service_specific_credentials(
        UserName="new-hire", ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredentials"]
    assert {c["ServiceSpecificCredentialId"] for c in listed} == {
        first["ServiceSpecificCredentialId"],
        second["ServiceSpecificCredentialId"],
    }
    assert all("ServicePassword" not in c for c in listed)
    reset = iam.reset_service_specific_credential(
        UserName="new-hire", ServiceSpecificCredentialId=first["ServiceSpecificCredentialId"]
    )["ServiceSpecificCredential"]
    assert reset["ServicePassword"] != first["ServicePassword"]
    admin = client(sandbox, "iam", who="helpdesk")  # the grants do not include update/delete
    admin.update_service_specific_credential(
        UserName="new-hire",
        ServiceSpecificCredentialId=second["ServiceSpecificCredentialId"],
        Status="Inactive",
    )
    admin.delete_service_specific_credential(
        UserName="new-hire", ServiceSpecificCredentialId=first["ServiceSpecificCredentialId"]
    )
    left = admin.list_service_specific_credentials(UserName="new-hire")[
        "ServiceSpecificCredentials"
    ]
    assert [(c["ServiceSpecificCredentialId"], c["Status"]) for c in left] == [
        (second["ServiceSpecificCredentialId"], "Inactive")
    ]
    with pytest.raises(ClientError) as exc:
        admin.create_service_specific_credential(
            UserName="new-hire", ServiceName="s3.amazonaws.com"
        )
    assert _code(exc) == ("NotSupportedService", 404)
    with pytest.raises(ClientError) as exc:
        admin.list_service_specific_credentials(UserName="new-hire", ServiceName="s3.amazonaws.com")
    assert _code(exc) == ("NotSupportedService", 404)
    with pytest.raises(ClientError) as exc:
        admin.reset_service_specific_credential(
            UserName="new-hire", ServiceSpecificCredentialId=first["ServiceSpecificCredentialId"]
        )
    assert _code(exc) == ("NoSuchEntity", 404)


# --- the policy simulator -----------------------------------------------------------------------


def test_simulate_principal_policy_honours_context(sandbox: Sandbox) -> None:
    iam = client(sandbox, "iam", who="helpdesk")

    def decide(context: list[dict[str, object]]) -> dict[str, object]:
        result = iam.simulate_principal_policy(
            PolicySourceArn=sandbox.new_hire.arn,
            ActionNames=["iam:UploadSSHPublicKey"],
            ResourceArns=[sandbox.new_hire.arn],
            ContextEntries=context,
        )["EvaluationResults"]
        assert len(result) == 1
        return dict(result[0])

    without = decide([])
    assert without["EvalDecision"] == "explicitDeny"
    assert without["MatchedStatements"][0]["SourcePolicyId"] == "ForceMFA"  # type: ignore[index]
    assert "aws:MultiFactorAuthPresent" in without["MissingContextValues"]  # type: ignore[operator]
    with_mfa = decide(
        [
            {
                "ContextKeyName": "aws:MultiFactorAuthPresent",
                "ContextKeyValues": ["true"],
                "ContextKeyType": "boolean",
            }
        ]
    )
    assert with_mfa["EvalDecision"] == "allowed"


def test_simulate_custom_policy(sandbox: Sandbox, policies_dir: Path) -> None:
    iam = client(sandbox, "iam", who="helpdesk")
    broken = (policies_dir / "force-mfa-breaks-git.json").read_text()
    fixed = (policies_dir / "force-mfa-codecommit-ok.json").read_text()
    grants = (policies_dir / "codecommit-developer-grants.json").read_text()
    decisions = {}
    for name, policy in (("broken", broken), ("fixed", fixed)):
        result = iam.simulate_custom_policy(
            PolicyInputList=[policy, grants], ActionNames=["codecommit:GitPull"]
        )["EvaluationResults"][0]
        decisions[name] = result["EvalDecision"]
    assert decisions == {"broken": "explicitDeny", "fixed": "allowed"}
    with pytest.raises(ClientError) as exc:
        iam.simulate_custom_policy(PolicyInputList=["{not json"], ActionNames=["s3:GetObject"])
    # botocore's model: SimulateCustomPolicy raises InvalidInput (400), not MalformedPolicyDocument.
    assert _code(exc) == ("InvalidInput", 400)
    json.loads(fixed)  # the fixture itself stays valid JSON


# --- CodeCommit ---------------------------------------------------------------------------------


def test_codecommit_list_get_branch_and_kms(sandbox_with_git: Sandbox) -> None:
    sandbox = sandbox_with_git
    codecommit = client(sandbox, "codecommit")
    names = [r["repositoryName"] for r in codecommit.list_repositories()["repositories"]]
    assert names == ["my-repo"]
    branch = codecommit.get_branch(repositoryName="my-repo", branchName="main")["branch"]
    assert len(branch["commitId"]) == 40
    with pytest.raises(ClientError) as exc:
        codecommit.get_branch(repositoryName="my-repo", branchName="nope")
    assert _code(exc)[0] == "BranchDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.get_branch(repositoryName="missing", branchName="main")
    assert _code(exc)[0] == "RepositoryDoesNotExistException"
    metadata = codecommit.get_repository(repositoryName="my-repo")["repositoryMetadata"]
    assert metadata["kmsKeyId"] == sandbox.kms_key_arn
    created = codecommit.create_repository(repositoryName="second", kmsKeyId="alias/mine")
    assert created["repositoryMetadata"]["kmsKeyId"] == "alias/mine"
    names = [r["repositoryName"] for r in codecommit.list_repositories()["repositories"]]
    assert names == ["my-repo", "second"]
