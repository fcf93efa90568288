"""A user's effective policies and IAM's policy simulator."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from onboard.aws.base import GatewayBase
from onboard.aws.models import NamedPolicy, SimulationResult
from onboard.aws.translate import call


def _document(raw: Any) -> dict[str, Any]:
    """Policy documents come back decoded by botocore, or URL-encoded JSON."""
    if isinstance(raw, dict):
        return raw
    text = unquote(str(raw))
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}


def _context_entries(context: Mapping[str, str | Sequence[str]]) -> list[dict[str, Any]]:
    entries = []
    for key, value in context.items():
        values = [value] if isinstance(value, str) else list(value)
        single = values[0] if values else ""
        if single.lower() in ("true", "false"):
            kind = "boolean"
        elif single.isdigit():
            kind = "numeric"
        elif len(single) >= 10 and single[4:5] == "-" and single[7:8] == "-":
            kind = "date"
        else:
            kind = "string"
        if not isinstance(value, str):
            kind += "List"
        entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": kind})
    return entries


class PolicyOperations(GatewayBase):
    """What decides a user's permissions, and what IAM says they allow."""

    # --- policies ---------------------------------------------------------------------------

    def _managed(self, arn: str, kind: str, source: str) -> NamedPolicy:
        iam = self.client("iam")
        policy = call("GetPolicy", iam.get_policy, PolicyArn=arn)["Policy"]
        version = call(
            "GetPolicyVersion",
            iam.get_policy_version,
            PolicyArn=arn,
            VersionId=policy["DefaultVersionId"],
        )["PolicyVersion"]
        return NamedPolicy(policy["PolicyName"], arn, kind, _document(version["Document"]), source)

    def effective_policies(self, user: str) -> list[NamedPolicy]:
        """Every policy that decides what `user` may do: inline, attached, groups', boundary."""
        iam = self.client("iam")
        found: list[NamedPolicy] = []
        for name in call("ListUserPolicies", iam.list_user_policies, UserName=user)["PolicyNames"]:
            raw = call("GetUserPolicy", iam.get_user_policy, UserName=user, PolicyName=name)
            found.append(NamedPolicy(name, None, "inline", _document(raw["PolicyDocument"]), user))
        attached = call("ListAttachedUserPolicies", iam.list_attached_user_policies, UserName=user)[
            "AttachedPolicies"
        ]
        found.extend(self._managed(p["PolicyArn"], "managed", user) for p in attached)
        groups = call("ListGroupsForUser", iam.list_groups_for_user, UserName=user)["Groups"]
        for group in groups:
            gname = group["GroupName"]
            for name in call("ListGroupPolicies", iam.list_group_policies, GroupName=gname)[
                "PolicyNames"
            ]:
                raw = call("GetGroupPolicy", iam.get_group_policy, GroupName=gname, PolicyName=name)
                found.append(
                    NamedPolicy(name, None, "group-inline", _document(raw["PolicyDocument"]), gname)
                )
            attached = call(
                "ListAttachedGroupPolicies", iam.list_attached_group_policies, GroupName=gname
            )["AttachedPolicies"]
            found.extend(self._managed(p["PolicyArn"], "group-managed", gname) for p in attached)
        boundary = call("GetUser", iam.get_user, UserName=user)["User"].get("PermissionsBoundary")
        if boundary and boundary.get("PermissionsBoundaryArn"):
            found.append(self._managed(boundary["PermissionsBoundaryArn"], "boundary", user))
        return found

    def simulate_principal_policy(
        self,
        source_arn: str,
        actions: Sequence[str],
        resource_arns: Sequence[str] = ("*",),
        context: Mapping[str, str | Sequence[str]] | None = None,
    ) -> list[SimulationResult]:
        """IAM's policy simulator for a principal, with context keys."""
        raw = call(
            "SimulatePrincipalPolicy",
            self.client("iam").simulate_principal_policy,
            PolicySourceArn=source_arn,
            ActionNames=list(actions),
            ResourceArns=list(resource_arns),
            ContextEntries=_context_entries(context or {}),
        )
        return [
            SimulationResult(
                action=r["EvalActionName"],
                resource=r.get("EvalResourceName", "*"),
                decision=r["EvalDecision"],
                matched_statements=tuple(
                    m.get("SourcePolicyId", "") for m in r.get("MatchedStatements", [])
                ),
                missing_context_values=tuple(r.get("MissingContextValues", [])),
            )
            for r in raw["EvaluationResults"]
        ]
