"""AWS Organizations (accounts, their place in the tree, SCPs) and STS AssumeRole.

What `onboard audit --org` needs: the organization's accounts, the SCPs that
apply to each (root, each OU on the path, the account: one level each), and a
gateway acting in a member account through a role.
"""

from __future__ import annotations

import json
from typing import Any

from onboard.aws import session as sess
from onboard.aws.base import GatewayBase
from onboard.aws.models import OrgAccount, ServiceControlPolicy
from onboard.aws.translate import call, translated

SCP_TYPE = "SERVICE_CONTROL_POLICY"


class OrganizationOperations(GatewayBase):
    """Read the organization's accounts and SCPs; enter a member account."""

    def organization_management_account(self) -> str:
        """The management account's ID (SCPs never apply to it)."""
        raw = call("DescribeOrganization", self.client("organizations").describe_organization)
        return str(raw["Organization"]["MasterAccountId"])

    def list_accounts(self) -> list[OrgAccount]:
        """Every account of the organization, all pages."""
        paginator = self.client("organizations").get_paginator("list_accounts")
        found: list[OrgAccount] = []
        with translated("ListAccounts"):
            for page in paginator.paginate():
                found.extend(
                    OrgAccount(a["Id"], a.get("Name", ""), a.get("Status", ""))
                    for a in page["Accounts"]
                )
        return found

    def parent_of(self, child_id: str) -> tuple[str, str]:
        """(parent ID, "ROOT" or "ORGANIZATIONAL_UNIT") of an account or OU."""
        parents = call("ListParents", self.client("organizations").list_parents, ChildId=child_id)[
            "Parents"
        ]
        return str(parents[0]["Id"]), str(parents[0]["Type"])

    def path_to_root(self, account_id: str) -> list[str]:
        """Target IDs from the root down to the account: root, OUs, the account."""
        path = [account_id]
        child = account_id
        for _ in range(10):  # AWS allows at most 5 OU levels
            parent, kind = self.parent_of(child)
            path.append(parent)
            if kind == "ROOT":
                break
            child = parent
        return list(reversed(path))

    def scp_ids_for_target(self, target_id: str) -> list[str]:
        """IDs of the SCPs attached directly to a root, OU or account."""
        paginator = self.client("organizations").get_paginator("list_policies_for_target")
        ids: list[str] = []
        with translated("ListPoliciesForTarget"):
            for page in paginator.paginate(TargetId=target_id, Filter=SCP_TYPE):
                ids.extend(p["Id"] for p in page["Policies"])
        return ids

    def describe_scp(self, policy_id: str) -> ServiceControlPolicy:
        """One SCP with its document."""
        raw = call(
            "DescribePolicy", self.client("organizations").describe_policy, PolicyId=policy_id
        )["Policy"]
        summary: dict[str, Any] = raw["PolicySummary"]
        content = raw["Content"]
        document = json.loads(content) if isinstance(content, str) else dict(content)
        return ServiceControlPolicy(summary["Id"], summary["Name"], summary["Arn"], document)

    def assume_role_gateway(self, role_arn: str, session_name: str = "onboard-audit") -> Any:
        """A gateway of the same class acting as `role_arn` (STS AssumeRole)."""
        raw = call(
            "AssumeRole",
            self.client("sts").assume_role,
            RoleArn=role_arn,
            RoleSessionName=session_name,
        )["Credentials"]
        boto_session = sess.session_from_keys(
            raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"], self.region
        )
        gateway = type(self)(boto_session, self._options, self.region, self._clock)
        gateway.credential_source_override = "assumed-role"
        return gateway
