"""Every sandbox request through our policy engine, with the context AWS would send.

Installed by `aws_patches` in place of moto's own (Condition-blind)
authorization. A denied request gets AWS's modern AccessDenied message,
naming the denying policy's ARN for an explicit deny in a managed policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from moto.iam.models import User

from onboard.policy import Evaluation, Policy, Request, evaluate, parse_policy
from onboard.sandbox.identity import Caller, iam_backend
from onboard.sandbox.state import SandboxState

# Actions AWS allows without any permission (STS docs: "no permissions are required").
ALWAYS_ALLOWED = frozenset({"sts:GetCallerIdentity", "sts:GetSessionToken"})

# IAM actions whose resource is the user named by UserName (default: the caller).
_USER_ACTIONS = frozenset(
    [
        "GetUser",
        "ListMFADevices",
        "EnableMFADevice",
        "ResyncMFADevice",
        "DeactivateMFADevice",
        "GetMFADevice",
        "UploadSSHPublicKey",
        "ListSSHPublicKeys",
        "GetSSHPublicKey",
        "UpdateSSHPublicKey",
        "DeleteSSHPublicKey",
        "CreateServiceSpecificCredential",
        "ListServiceSpecificCredentials",
        "ResetServiceSpecificCredential",
        "UpdateServiceSpecificCredential",
        "DeleteServiceSpecificCredential",
        "CreateAccessKey",
        "ListAccessKeys",
        "UpdateAccessKey",
        "DeleteAccessKey",
        "ListUserPolicies",
        "GetUserPolicy",
        "PutUserPolicy",
        "DeleteUserPolicy",
        "ListAttachedUserPolicies",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "ListGroupsForUser",
        "ChangePassword",
        "GetLoginProfile",
        "CreateLoginProfile",
        "UpdateLoginProfile",
        "DeleteLoginProfile",
        "DeleteUser",
        "ListUserTags",
        "TagUser",
        "UntagUser",
        "PutUserPermissionsBoundary",
        "DeleteUserPermissionsBoundary",
        "ListSigningCertificates",
    ]
)
_GROUP_ACTIONS = frozenset(
    ["GetGroup", "GetGroupPolicy", "ListGroupPolicies", "ListAttachedGroupPolicies"]
)
_POLICY_ACTIONS = frozenset(
    ["GetPolicy", "GetPolicyVersion", "ListPolicyVersions", "ListEntitiesForPolicy"]
)


@dataclass(frozen=True)
class PolicyRef:
    """A parsed policy and what AWS would call it in messages and simulations."""

    policy: Policy
    name: str
    arn: str | None
    kind: str


@lru_cache(maxsize=512)
def _parsed(key: str, document: str, kind: str) -> Policy:
    return parse_policy(document, key, kind=kind)


def _default_document(managed: Any) -> str:
    for version in managed.versions:
        if version.version_id == managed.default_version_id:
            return str(version.document)
    return str(managed.versions[-1].document)


def user_policies(state: SandboxState, user: User) -> tuple[list[PolicyRef], list[PolicyRef]]:
    """(identity policies, boundaries) of a user: inline, attached, groups', boundary."""
    backend = iam_backend(state)
    refs: list[PolicyRef] = []
    for name, doc in user.policies.items():
        refs.append(
            PolicyRef(_parsed(f"{user.name}/{name}", doc, "identity"), name, None, "inline")
        )
    for arn, managed in user.managed_policies.items():
        doc = _default_document(managed)
        refs.append(PolicyRef(_parsed(arn, doc, "identity"), managed.name, arn, "managed"))
    for group in backend.get_groups_for_user(user.name):
        for name, doc in group.policies.items():
            key = f"group/{group.name}/{name}"
            refs.append(PolicyRef(_parsed(key, doc, "identity"), name, None, "group-inline"))
        for arn, managed in group.managed_policies.items():
            doc = _default_document(managed)
            refs.append(
                PolicyRef(_parsed(arn, doc, "identity"), managed.name, arn, "group-managed")
            )
    boundaries: list[PolicyRef] = []
    boundary_arn = state.boundaries.get(user.name)
    if boundary_arn and boundary_arn in backend.managed_policies:
        managed = backend.managed_policies[boundary_arn]
        doc = _default_document(managed)
        boundaries.append(
            PolicyRef(
                _parsed(f"boundary:{boundary_arn}", doc, "boundary"),
                managed.name,
                boundary_arn,
                "boundary",
            )
        )
    return refs, boundaries


def parse_custom(documents: list[str]) -> list[PolicyRef]:
    """Policies given inline to SimulateCustomPolicy (named PolicyInputList.N like AWS)."""
    return [
        PolicyRef(
            _parsed(f"PolicyInputList.{i}", json.dumps(json.loads(doc)), "identity"),
            f"PolicyInputList.{i}",
            None,
            "custom",
        )
        for i, doc in enumerate(documents, start=1)
    ]


def request_context(state: SandboxState, caller: Caller, service: str) -> dict[str, str]:
    """The global condition keys AWS puts on a request by this caller."""
    now = state.now()
    context = {
        "aws:username": caller.user_name,
        "aws:userid": caller.user_id,
        "aws:PrincipalArn": caller.user_arn,
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": "User",
        "aws:CurrentTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now)),
        "aws:SourceIp": "127.0.0.1",
        "aws:SecureTransport": "true",  # AWS's API endpoints are HTTPS only
        "aws:RequestedRegion": state.region if service not in ("iam", "sts") else "us-east-1",
        "aws:ViaAWSService": "false",
    }
    # Only MFA sessions carry the MFA keys; long-term keys carry none at all,
    # which is what BoolIfExists in the force-MFA policy keys on.
    if caller.session is not None:
        context["aws:TokenIssueTime"] = datetime.fromtimestamp(
            caller.session.issued_at, UTC
        ).strftime("%Y-%m-%dT%H:%M:%SZ")
        if caller.session.mfa_authenticated_at is not None:
            context["aws:MultiFactorAuthPresent"] = "true"
            context["aws:MultiFactorAuthAge"] = str(
                max(0, int(now - caller.session.mfa_authenticated_at))
            )
    return context


def resource_for(
    state: SandboxState, response: Any, service: str, action: str, caller: Caller
) -> str:
    """The ARN AWS authorizes `service:action` on, for the operations `onboard` uses."""
    account, partition = state.account_id, "aws"
    param = response._get_param
    if service == "iam":
        if action in _USER_ACTIONS:
            user = param("UserName") or caller.user_name
            found = iam_backend(state).users.get(user)
            path = found.path if found is not None else "/"
            return f"arn:{partition}:iam::{account}:user{path}{user}"
        if action == "CreateVirtualMFADevice":
            path = param("Path") or "/"
            return f"arn:{partition}:iam::{account}:mfa{path}{param('VirtualMFADeviceName') or ''}"
        if action == "DeleteVirtualMFADevice":
            return str(param("SerialNumber") or "*")
        if action in _GROUP_ACTIONS:
            return f"arn:{partition}:iam::{account}:group/{param('GroupName') or ''}"
        if action in _POLICY_ACTIONS:
            return str(param("PolicyArn") or "*")
        if action == "SimulatePrincipalPolicy":
            return str(param("PolicySourceArn") or "*")
        if action == "GetAccessKeyLastUsed":
            return f"arn:{partition}:iam::{account}:user/{caller.user_name}"
        return "*"
    if service == "codecommit":
        name = param("repositoryName")
        if name:
            return f"arn:{partition}:codecommit:{state.region}:{account}:{name}"
        return "*"
    if service == "kms":
        key = param("KeyId")
        if key and not str(key).startswith("arn:"):
            return f"arn:{partition}:kms:{state.region}:{account}:key/{key}"
        return str(key or "*")
    return "*"


def decide(
    state: SandboxState,
    user_name: str,
    user_arn: str,
    action: str,
    resource: str,
    context: Mapping[str, str],
) -> tuple[Evaluation, list[PolicyRef], list[PolicyRef]]:
    """The policy engine's evaluation of one request by IAM user `user_name`."""
    user = iam_backend(state).users[user_name]
    identity, boundaries = user_policies(state, user)
    evaluation = evaluate(
        Request(action, resource, user_arn, context),
        [ref.policy for ref in identity],
        boundaries=[ref.policy for ref in boundaries],
    )
    return evaluation, identity, boundaries


def boundary_blocks(
    identity: list[PolicyRef], action: str, resource: str, user_arn: str, context: Mapping[str, str]
) -> bool:
    """True when the identity policies alone would allow (so the boundary denied)."""
    alone = evaluate(Request(action, resource, user_arn, context), [r.policy for r in identity])
    return alone.allowed


def denied_message(
    caller_arn: str,
    action: str,
    resource: str,
    evaluation: Evaluation,
    refs: list[PolicyRef],
    *,
    by_boundary: bool = False,
) -> tuple[str, str | None]:
    """AWS's modern AccessDenied text, and the denying policy's ARN (if it has one)."""
    by_key = {ref.policy.name: ref for ref in refs}
    head = f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource}"
    denies = [m for m in evaluation.matched if m.effect == "Deny"]
    if evaluation.decision.value == "ExplicitlyDenied" and denies:
        ref = by_key.get(denies[0].policy_name)
        kind = (
            "permissions boundary"
            if ref is not None and ref.kind == "boundary"
            else "identity-based"
        )
        arn = ref.arn if ref is not None else None
        suffix = f": {arn}" if arn else ""
        article = "an" if kind.startswith("i") else "a"
        return f"{head} with an explicit deny in {article} {kind} policy{suffix}", arn
    if by_boundary:
        return f"{head} because no permissions boundary allows the {action} action", None
    return f"{head} because no identity-based policy allows the {action} action", None
