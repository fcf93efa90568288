"""The audit's moto patches (`org_patches`), exercised through boto3 like AWS answers.

GetAccountAuthorizationDetails pages and lists boundaries, the credential report
has the root row and last-used region/service, ListVirtualMFADevices never shows
seeds, AssumeRole checks the role and its trust policy, role sessions in member
accounts are authenticated; Organizations answers as the audit reads it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.iam.models import iam_backends

from onboard.sandbox import org_patches
from onboard.sandbox.account import Sandbox
from onboard.sandbox.seed_org import AUDIT_ROLE, ENGINEERING, ENGINEERING_USERS, EXPERIMENTS

from .helpers import NO_RETRY, client, enable_new_hire_mfa

COVERED = {
    "get_account_authorization_details",
    "get_credential_report",
    "list_virtual_mfa_devices",
    "assume_role",
}


def test_every_audit_patch_is_covered() -> None:
    assert set(org_patches.PATCHED_OPERATIONS) == COVERED


# --- one account (fresh) -------------------------------------------------------------------------


def test_authorization_details_pages_like_aws(sandbox: Sandbox) -> None:
    iam = client(sandbox, "iam", "helpdesk")
    first = iam.get_account_authorization_details(MaxItems=1)
    assert first["IsTruncated"] is True and first["Marker"]
    seen = len(first["UserDetailList"]) + len(first["GroupDetailList"]) + len(first["Policies"])
    assert seen == 1
    users = []
    for page in iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User"], PaginationConfig={"PageSize": 1}
    ):
        users.extend(u["UserName"] for u in page["UserDetailList"])
        assert not page["GroupDetailList"] and not page["Policies"]  # the filter holds
    assert sorted(users) == ["helpdesk", "new-hire"]
    with pytest.raises(ClientError) as exc:
        iam.get_account_authorization_details(MaxItems=1001)
    assert exc.value.response["Error"]["Code"] == "ValidationError"


def test_authorization_details_list_boundaries_groups_and_inline(sandbox: Sandbox) -> None:
    iam = client(sandbox, "iam", "helpdesk")
    arn = f"arn:aws:iam::{sandbox.account_id}:policy/HelpdeskAdministrator"
    iam.put_user_permissions_boundary(UserName="new-hire", PermissionsBoundary=arn)
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="new-hire", PolicyName="NoS3", PolicyDocument=json.dumps(document))
    details = iam.get_account_authorization_details(Filter=["User", "Group", "LocalManagedPolicy"])
    new_hire = next(u for u in details["UserDetailList"] if u["UserName"] == "new-hire")
    assert new_hire["PermissionsBoundary"]["PermissionsBoundaryArn"] == arn
    assert new_hire["GroupList"] == ["developers"]
    (inline,) = new_hire["UserPolicyList"]
    assert inline["PolicyName"] == "NoS3" and inline["PolicyDocument"] == document  # decoded
    force = next(p for p in details["Policies"] if p["PolicyName"] == "ForceMFA")
    (version,) = force["PolicyVersionList"]
    assert version["IsDefaultVersion"] and version["Document"]["Statement"]


def test_credential_report_has_root_row_and_key_use(sandbox: Sandbox) -> None:
    iam = client(sandbox, "iam", "helpdesk")
    with pytest.raises(ClientError) as exc:
        iam.get_credential_report()
    assert exc.value.response["Error"]["Code"] == "ReportNotPresent"
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    content = iam.get_credential_report()["Content"].decode()
    rows = list(csv.DictReader(io.StringIO(content)))
    assert rows[0]["user"] == "<root_account>"
    assert rows[0]["arn"] == f"arn:aws:iam::{sandbox.account_id}:root"
    helpdesk = next(r for r in rows if r["user"] == "helpdesk")
    assert helpdesk["access_key_1_active"] == "true"
    assert helpdesk["access_key_1_last_used_service"] == "iam"
    assert helpdesk["access_key_1_last_used_region"] == "us-east-1"
    new_hire = next(r for r in rows if r["user"] == "new-hire")
    assert new_hire["access_key_1_last_used_date"] == "N/A"  # never used in this test
    assert new_hire["mfa_active"] == "false"


def test_virtual_mfa_devices_list_no_seed(sandbox: Sandbox) -> None:
    enable_new_hire_mfa(sandbox)
    raw = client(sandbox, "iam", "helpdesk").list_virtual_mfa_devices()
    (device,) = raw["VirtualMFADevices"]
    assert device["User"]["UserName"] == "new-hire" and device["EnableDate"]
    assert "Base32StringSeed" not in device and "QRCodePNG" not in device


# --- the organization ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root: Path = tmp_path_factory.mktemp("org-contract") / "home"
    sandbox = Sandbox.start("org", home_root=root, git=False)
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _role_client(org: Sandbox, service: str, account: str, role: str = AUDIT_ROLE) -> Any:
    sts = client(org, "sts", "helpdesk")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="audit")[
        "Credentials"
    ]
    return client(
        org,
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def test_assume_role_enters_a_member_account(org: Sandbox) -> None:
    iam = _role_client(org, "iam", ENGINEERING)
    page = iam.get_account_authorization_details(Filter=["User"], MaxItems=1000)
    assert page["IsTruncated"] is True
    assert page["UserDetailList"][0]["Arn"].startswith(f"arn:aws:iam::{ENGINEERING}:user/")
    total = sum(
        len(p["UserDetailList"])
        for p in iam.get_paginator("get_account_authorization_details").paginate(Filter=["User"])
    )
    assert total == ENGINEERING_USERS


def test_assume_role_refuses_a_missing_role_or_an_untrusting_one(org: Sandbox) -> None:
    sts = client(org, "sts", "helpdesk")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=f"arn:aws:iam::{ENGINEERING}:role/Nope", RoleSessionName="audit")
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert "sts:AssumeRole on resource" in exc.value.response["Error"]["Message"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam_backends[EXPERIMENTS]["aws"].create_role(
        "OtherTrust", json.dumps(trust), "/", None, "", [], "3600"
    )
    with pytest.raises(ClientError) as exc:
        sts.assume_role(
            RoleArn=f"arn:aws:iam::{EXPERIMENTS}:role/OtherTrust", RoleSessionName="audit"
        )
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_role_sessions_are_authenticated(org: Sandbox) -> None:
    sts = client(org, "sts", "helpdesk")
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{EXPERIMENTS}:role/{AUDIT_ROLE}", RoleSessionName="audit"
    )["Credentials"]
    forged = boto3.client(
        "iam",
        endpoint_url=org.endpoint_url,
        region_name=org.region,
        config=NO_RETRY,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key="wrong" + creds["SecretAccessKey"][5:],
        aws_session_token=creds["SessionToken"],
    )
    with pytest.raises(ClientError) as exc:
        forged.list_users()
    assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    no_token = boto3.client(
        "iam",
        endpoint_url=org.endpoint_url,
        region_name=org.region,
        config=NO_RETRY,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
    )
    with pytest.raises(ClientError) as exc:
        no_token.list_users()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_new_hire_may_not_assume_the_role(org: Sandbox) -> None:
    # The new hire's force-MFA policy denies sts:AssumeRole without MFA.
    with pytest.raises(ClientError) as exc:
        client(org, "sts").assume_role(
            RoleArn=f"arn:aws:iam::{ENGINEERING}:role/{AUDIT_ROLE}", RoleSessionName="audit"
        )
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_organizations_answers_what_the_audit_reads(org: Sandbox) -> None:
    orgs = client(org, "organizations", "helpdesk")
    management = orgs.describe_organization()["Organization"]["MasterAccountId"]
    assert management == org.account_id
    accounts = {a["Id"] for a in orgs.list_accounts()["Accounts"]}
    assert accounts == {org.account_id, ENGINEERING, EXPERIMENTS}
    (parent,) = orgs.list_parents(ChildId=EXPERIMENTS)["Parents"]
    assert parent["Type"] == "ORGANIZATIONAL_UNIT"
    (root,) = orgs.list_parents(ChildId=parent["Id"])["Parents"]
    assert root["Type"] == "ROOT"
    attached = orgs.list_policies_for_target(TargetId=parent["Id"], Filter="SERVICE_CONTROL_POLICY")
    names = {p["Name"]: p["Id"] for p in attached["Policies"]}
    assert set(names) == {"FullAWSAccess", "DenyCodeCommit"}
    content = json.loads(
        orgs.describe_policy(PolicyId=names["DenyCodeCommit"])["Policy"]["Content"]
    )
    assert content["Statement"][0]["Action"] == "codecommit:*"
