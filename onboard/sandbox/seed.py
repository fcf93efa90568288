"""The sandbox account's contents, per scenario, written straight into moto's backends.

Account 123456789012 in us-east-1:
- user `new-hire` (path /) with one access key; member of group `developers`,
  which has the force-MFA policy `ForceMFA` attached; the user has
  `CodeCommitDeveloper` (CodeCommit, KMS, own SSH keys and Git credentials)
  and `ReadOwnPermissions` (read their own user, groups and policies).
- user `helpdesk` with one access key and `HelpdeskAdministrator` (*:*).
- CodeCommit repository `my-repo`, encrypted with a customer KMS key.

Scenarios: `fresh` (the fixed policy, nothing set up), `breaks-git` (the
policy without the seed article's two changes), `stale-device` (an
unassigned virtual MFA device already named `new-hire`), `onboarded` (MFA
enabled, an SSH key uploaded, HTTPS Git credentials created).
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.codecommit.models import codecommit_backends
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.moto_api._internal import mock_random

from onboard.errors import InvalidInput
from onboard.sandbox.ssh_keys import parse_public_key
from onboard.sandbox.state import GitCredentialRecord, SandboxState

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
NEW_HIRE = "new-hire"
HELPDESK = "helpdesk"
GROUP = "developers"
REPO = "my-repo"
SCENARIOS = ("fresh", "breaks-git", "stale-device", "onboarded", "org")
POLICIES_DIR = Path(__file__).resolve().parent / "policies"
RANDOM_SEED = 20240725


@dataclass(frozen=True)
class SandboxUser:
    """A seeded IAM user and its long-term access key."""

    user_name: str
    arn: str
    access_key_id: str
    secret_access_key: str = field(repr=False)


@dataclass(frozen=True)
class Seeded:
    """What seeding created (the onboarded scenario's secrets included)."""

    new_hire: SandboxUser
    helpdesk: SandboxUser
    repo_name: str
    kms_key_arn: str
    mfa_serial: str | None = None
    ssh_key_id: str | None = None
    ssh_private_key_pem: str | None = field(default=None, repr=False)
    git_username: str | None = None
    git_password: str | None = field(default=None, repr=False)


READ_OWN_PERMISSIONS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ViewOwnUserAndPolicies",
            "Effect": "Allow",
            "Action": [
                "iam:GetUser",
                "iam:ListUserPolicies",
                "iam:GetUserPolicy",
                "iam:ListAttachedUserPolicies",
                "iam:ListGroupsForUser",
                "iam:SimulatePrincipalPolicy",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "ViewPoliciesOfOwnGroupsAndAttached",
            "Effect": "Allow",
            "Action": [
                "iam:ListGroupPolicies",
                "iam:GetGroupPolicy",
                "iam:ListAttachedGroupPolicies",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
            ],
            "Resource": ["arn:aws:iam::*:group/*", "arn:aws:iam::*:policy/*"],
        },
    ],
}


def _policy_text(file_name: str) -> str:
    return (POLICIES_DIR / file_name).read_text(encoding="utf-8")


def _random_id(prefix: str, length: int) -> str:
    return prefix + "".join(
        mock_random.choice(string.ascii_uppercase + string.digits) for _ in range(length)
    )


def _user(iam: object, name: str) -> SandboxUser:
    user = iam.create_user(REGION, name, path="/")  # type: ignore[attr-defined]
    # AWS user IDs look like AIDA...; moto's are lowercase noise.
    user.id = _random_id("AIDA", 17)
    key = iam.create_access_key(name)  # type: ignore[attr-defined]
    return SandboxUser(name, user.arn, key.access_key_id, key.secret_access_key)


def _managed(iam: object, name: str, document: str) -> str:
    policy = iam.create_policy(  # type: ignore[attr-defined]
        description="", path="/", policy_document=document, policy_name=name, tags=[]
    )
    return str(policy.arn)


def seed_account(state: SandboxState, scenario: str) -> Seeded:
    """Write the scenario's account into moto's (freshly reset) backends."""
    if scenario not in SCENARIOS:
        raise InvalidInput(
            f"unknown sandbox scenario {scenario!r}",
            f"the sandbox knows: {', '.join(SCENARIOS)}",
            "pick one of those with --scenario",
        )
    mock_random.seed(RANDOM_SEED)
    iam = iam_backends[state.account_id]["aws"]
    new_hire = _user(iam, NEW_HIRE)
    helpdesk = _user(iam, HELPDESK)
    force_mfa = _policy_text(
        "force-mfa-breaks-git.json" if scenario == "breaks-git" else "force-mfa-codecommit-ok.json"
    )
    force_arn = _managed(iam, "ForceMFA", force_mfa)
    grants_arn = _managed(
        iam, "CodeCommitDeveloper", _policy_text("codecommit-developer-grants.json")
    )
    # Many companies let developers read their own permissions (AWS's example
    # policy "allows IAM users to view their own permissions"): with it the
    # walkthrough and the doctor judge the user's effective policies with the
    # engine instead of sending them to the helpdesk.
    read_own_arn = _managed(iam, "ReadOwnPermissions", json.dumps(READ_OWN_PERMISSIONS))
    admin = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    admin_arn = _managed(iam, "HelpdeskAdministrator", admin)
    iam.create_group(GROUP, "/")
    iam.add_user_to_group(GROUP, NEW_HIRE)
    iam.attach_group_policy(force_arn, GROUP)
    iam.attach_user_policy(grants_arn, NEW_HIRE)
    iam.attach_user_policy(read_own_arn, NEW_HIRE)
    iam.attach_user_policy(admin_arn, HELPDESK)

    kms = kms_backends[state.account_id][state.region]
    key = kms.create_key(
        policy=None,
        key_usage="ENCRYPT_DECRYPT",
        key_spec="SYMMETRIC_DEFAULT",
        description="CodeCommit repository key",
        tags=None,
    )
    codecommit = codecommit_backends[state.account_id][state.region]
    metadata = codecommit.create_repository(REPO, "The team's repository (sandbox)")
    metadata["kmsKeyId"] = key.arn
    metadata["defaultBranch"] = "main"
    state.repo_kms_keys[REPO] = key.arn

    seeded = Seeded(new_hire, helpdesk, REPO, key.arn)
    if scenario == "stale-device":
        iam.create_virtual_mfa_device(NEW_HIRE, "/")
    if scenario == "onboarded":
        seeded = _onboard(state, iam, seeded)
    if scenario == "org":  # an organization of 3 accounts, 2,000 users (seed_org.py)
        from onboard.sandbox.seed_org import seed_organization

        seed_organization(state.account_id, state.region)
    return seeded


def _onboard(state: SandboxState, iam: object, seeded: Seeded) -> Seeded:
    """MFA enabled, an RSA key uploaded, HTTPS Git credentials: the finished walkthrough."""
    device = iam.create_virtual_mfa_device(NEW_HIRE, "/")  # type: ignore[attr-defined]
    iam.enable_mfa_device(NEW_HIRE, device.serial_number, "000000", "000001")  # type: ignore[attr-defined]
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    parsed = parse_public_key(f"{public} {NEW_HIRE}@sandbox")
    key = iam.upload_ssh_public_key(NEW_HIRE, parsed.openssh)  # type: ignore[attr-defined]
    key.fingerprint = parsed.fingerprint
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    credential_id = _random_id("ACCA", 17)
    password = "".join(
        mock_random.choice(string.ascii_letters + string.digits + "+/=") for _ in range(44)
    )
    username = f"{NEW_HIRE}-at-{state.account_id}"
    state.git_credentials[credential_id] = GitCredentialRecord(
        credential_id,
        NEW_HIRE,
        "codecommit.amazonaws.com",
        username,
        password,
        "Active",
        state.now(),
    )
    return Seeded(
        seeded.new_hire,
        seeded.helpdesk,
        seeded.repo_name,
        seeded.kms_key_arn,
        mfa_serial=device.serial_number,
        ssh_key_id=key.ssh_public_key_id,
        ssh_private_key_pem=pem,
        git_username=username,
        git_password=password,
    )
