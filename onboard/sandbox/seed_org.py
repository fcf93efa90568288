"""The `org` scenario: an organization of 3 accounts, SCPs at every level, 2,000 users.

Written straight into moto's backends (no HTTP), so it starts in seconds.

- `123456789012` (management, the sandbox account of every scenario, with
  the fixed force-MFA policy): `new-hire` (no MFA device yet) and `helpdesk`
  (administrator: MFA not enforced). SCPs never apply to it.
- `222222222222` "engineering", in OU `Engineering`: 2,000 users `dev-0001`..
  `dev-2000` across groups, broken in the ways `ENGINEERING_BREAKS` lists.
- `333333333333` "experiments", in OU `Sandbox`, whose SCP `DenyCodeCommit`
  denies `codecommit:*`: its 5 users cannot use git at all.

SCPs: root `FullAWSAccess` + `DenyLeaveOrganization`; each OU `FullAWSAccess`
(and `DenyCodeCommit` on Sandbox); each member account `FullAWSAccess`, and
on engineering also `RegionGuard` (deny outside us-east-1/eu-west-1, which git
in us-east-1 passes). Each member account has `OrganizationAccountAccessRole`
(trusting the management account, administrator inside).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.iam.models import iam_backends
from moto.organizations import utils as org_utils
from moto.organizations.models import organizations_backends

from onboard.sandbox import org_patches

ENGINEERING = "222222222222"
EXPERIMENTS = "333333333333"
MEMBER_ACCOUNTS = {ENGINEERING: "engineering", EXPERIMENTS: "experiments"}
AUDIT_ROLE = "OrganizationAccountAccessRole"
ENGINEERING_USERS = 2000
EXPERIMENTS_USERS = 5
POLICIES_DIR = Path(__file__).resolve().parent / "policies"


@dataclass(frozen=True)
class Cohort:
    """Users dev-<first>..dev-<last> of the engineering account and how they are set up."""

    first: int
    last: int
    group: str
    device: str  # "assigned", "stale", "none"
    key_active: bool = True

    def names(self) -> list[str]:
        return [f"dev-{n:04d}" for n in range(self.first, self.last + 1)]


# The engineering account, cohort by cohort (the audit must find exactly these).
ENGINEERING_COHORTS = (
    Cohort(1, 1600, "developers", "assigned"),  # healthy
    Cohort(1601, 1640, "developers", "stale"),  # 40 stale devices
    Cohort(1641, 1700, "developers", "none"),  # 60 without a device
    Cohort(1701, 1800, "legacy", "assigned"),  # 100: breaks-git policy, MFA session only
    Cohort(1801, 1850, "legacy", "none"),  # 50: breaks-git policy and no device: blocked
    Cohort(1851, 1880, "developers", "assigned", key_active=False),  # 30 inactive keys
    Cohort(1881, 1900, "contractors", "assigned"),  # 20: no force-MFA policy
    Cohort(1901, 1910, "auditors", "assigned"),  # 10: no CodeCommit grant: blocked
    Cohort(1911, 2000, "developers", "assigned"),  # healthy
)

ENGINEERING_BREAKS = {
    "git-denied:legacy": 150,  # HTTPS Git credentials and SSH denied by ForceMFALegacy
    "git-needs-missing-mfa-device": 50,
    "git-denied:not-granted": 10,
    "stale-mfa-device": 40,
    "no-mfa-device": 60 + 50,
    "no-active-access-key": 30,
    "git-without-mfa-enforced": 20,
}

_ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
_SCPS = {
    "DenyLeaveOrganization": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyLeave",
                "Effect": "Deny",
                "Action": "organizations:LeaveOrganization",
                "Resource": "*",
            }
        ],
    },
    "DenyCodeCommit": {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoCodeCommit", "Effect": "Deny", "Action": "codecommit:*", "Resource": "*"}
        ],
    },
    "RegionGuard": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyOutsideRegions",
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*", "organizations:*"],
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}
                },
            }
        ],
    },
}
_AUDITOR = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}
    ],
}


def _text(file_name: str) -> str:
    return (POLICIES_DIR / file_name).read_text(encoding="utf-8")


@contextmanager
def _fixed_account_ids(ids: list[str]) -> Iterator[None]:
    """moto draws member account IDs at random: hand it ours, in order."""
    original = org_utils.make_random_account_id
    pending = iter(ids)
    org_utils.make_random_account_id = lambda: next(pending)
    try:
        yield
    finally:
        org_utils.make_random_account_id = original


def seed_organization(management: str, region: str) -> None:
    """The organization, its SCPs and the two member accounts (see the module docstring)."""
    org_patches.MEMBER_ACCOUNTS.clear()
    org_patches.MEMBER_ACCOUNTS.update(MEMBER_ACCOUNTS)
    for account in MEMBER_ACCOUNTS:
        organizations_backends.master_accounts.pop(account, None)  # left by a previous run
    orgs: Any = organizations_backends[management]["aws"]
    orgs.create_organization(region=region, FeatureSet="ALL")
    root_id = orgs.ou[0].id
    engineering_ou = orgs.create_organizational_unit(ParentId=root_id, Name="Engineering")
    sandbox_ou = orgs.create_organizational_unit(ParentId=root_id, Name="Sandbox")
    ou_ids = {
        "Engineering": engineering_ou["OrganizationalUnit"]["Id"],
        "Sandbox": sandbox_ou["OrganizationalUnit"]["Id"],
    }
    scp_ids = {}
    for name, document in _SCPS.items():
        made = orgs.create_policy(
            Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=json.dumps(document)
        )
        scp_ids[name] = made["Policy"]["PolicySummary"]["Id"]
    with _fixed_account_ids(list(MEMBER_ACCOUNTS)):
        for name in MEMBER_ACCOUNTS.values():
            orgs.create_account(AccountName=name, Email=f"{name}@example.com")
    for account, ou in ((ENGINEERING, "Engineering"), (EXPERIMENTS, "Sandbox")):
        orgs.move_account(AccountId=account, SourceParentId=root_id, DestinationParentId=ou_ids[ou])
    orgs.attach_policy(PolicyId=scp_ids["DenyLeaveOrganization"], TargetId=root_id)
    orgs.attach_policy(PolicyId=scp_ids["DenyCodeCommit"], TargetId=ou_ids["Sandbox"])
    orgs.attach_policy(PolicyId=scp_ids["RegionGuard"], TargetId=ENGINEERING)
    for account in MEMBER_ACCOUNTS:
        iam = iam_backends[account]["aws"]
        iam.put_role_policy(AUDIT_ROLE, "AdministratorAccess", json.dumps(_ALLOW_ALL))
    _seed_engineering(region)
    _seed_experiments(region)


def _managed(iam: Any, name: str, document: str) -> str:
    made = iam.create_policy(
        description="", path="/", policy_document=document, policy_name=name, tags=[]
    )
    return str(made.arn)


def _common_policies(iam: Any) -> dict[str, str]:
    return {
        "ForceMFA": _managed(iam, "ForceMFA", _text("force-mfa-codecommit-ok.json")),
        "CodeCommitDeveloper": _managed(
            iam, "CodeCommitDeveloper", _text("codecommit-developer-grants.json")
        ),
    }


def _add_users(iam: Any, region: str, cohort: Cohort) -> None:
    group = iam.get_group(cohort.group)
    for name in cohort.names():
        user = iam.create_user(region, name, path="/")
        key = iam.create_access_key(name)
        if not cohort.key_active:
            key.status = "Inactive"
        group.users.append(user)  # not add_user_to_group: its membership scan is O(n)
        if cohort.device == "none":
            continue
        device = iam.create_virtual_mfa_device(name, "/")
        if cohort.device == "assigned":
            iam.enable_mfa_device(name, device.serial_number, "000000", "000001")


def _seed_engineering(region: str) -> None:
    iam = iam_backends[ENGINEERING]["aws"]
    arns = _common_policies(iam)
    arns["ForceMFALegacy"] = _managed(iam, "ForceMFALegacy", _text("force-mfa-breaks-git.json"))
    arns["IamReadOnly"] = _managed(iam, "IamReadOnly", json.dumps(_AUDITOR))
    groups = {
        "developers": ("ForceMFA", "CodeCommitDeveloper"),
        "legacy": ("ForceMFALegacy", "CodeCommitDeveloper"),
        "contractors": ("CodeCommitDeveloper",),
        "auditors": ("ForceMFA", "IamReadOnly"),
    }
    for group, policies in groups.items():
        iam.create_group(group, "/")
        for policy in policies:
            iam.attach_group_policy(arns[policy], group)
    for cohort in ENGINEERING_COHORTS:
        _add_users(iam, region, cohort)


def _seed_experiments(region: str) -> None:
    iam = iam_backends[EXPERIMENTS]["aws"]
    arns = _common_policies(iam)
    iam.create_group("developers", "/")
    for policy in ("ForceMFA", "CodeCommitDeveloper"):
        iam.attach_group_policy(arns[policy], "developers")
    _add_users(iam, region, Cohort(1, EXPERIMENTS_USERS, "developers", "assigned"))
