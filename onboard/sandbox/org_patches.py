"""Where moto 5.2 differs from AWS in what `onboard audit` reads, fixed for the sandbox.

- `GetAccountAuthorizationDetails`: moto ignores `MaxItems`/`Marker` (one page,
  always) and leaves out users' permissions boundaries; AWS pages (100 entities
  by default, at most 1000) and lists the boundary.
- `GetCredentialReport`: AWS's report starts with a `<root_account>` row and
  gives each access key's last-used region and service; moto has no root row
  and writes `not_supported` there.
- `ListVirtualMFADevices`: moto returns each device's seed and QR code; AWS
  returns them only once, from `CreateVirtualMFADevice`.
- `AssumeRole`: moto hands out credentials for any role ARN, existing or not,
  whoever asks; AWS checks that the role exists and that its trust policy
  names the caller (else `AccessDenied`).
- Requests signed with those role credentials in member accounts: the sandbox
  authenticates them (SigV4 against the session's secret, the session token,
  expiry) and authorizes them with the role's policies, as it does users'.

`install()` is called once by `aws_patches.apply()`; `handles_role_request`
by its authorizer.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.sts.models import sts_backends
from moto.sts.responses import TokenResponse

from onboard.policy import Request, evaluate, parse_policy
from onboard.sandbox.identity import AuthFailure, check_clock
from onboard.sandbox.moto_glue import ORIGINALS, error
from onboard.sandbox.state import SandboxState, active

DEFAULT_PAGE = 100
MAX_PAGE = 1000
MEMBER_ACCOUNTS: set[str] = set()
"""Accounts whose role sessions the sandbox authenticates (set by the org scenario)."""


# --- GetAccountAuthorizationDetails -------------------------------------------------------------


def _inline(policies: dict[str, str]) -> list[dict[str, str]]:
    return [{"PolicyName": n, "PolicyDocument": quote(doc)} for n, doc in policies.items()]


def _attached(managed: dict[str, Any]) -> list[dict[str, str]]:
    return [{"PolicyName": p.name, "PolicyArn": arn} for arn, p in managed.items()]


def _entities(
    backend: Any, filters: list[str], boundaries: dict[str, str]
) -> list[tuple[str, Any]]:
    wanted = set(filters) or {"User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy"}
    groups_of: dict[str, list[str]] = {}
    for group in backend.groups.values():
        for member in group.users:
            groups_of.setdefault(member.name, []).append(group.name)
    out: list[tuple[str, Any]] = []
    if "User" in wanted:
        for user in backend.users.values():
            entry = {
                "Path": user.path,
                "UserName": user.name,
                "UserId": user.id,
                "Arn": user.arn,
                "CreateDate": user.create_date,
                "UserPolicyList": _inline(user.policies),
                "GroupList": groups_of.get(user.name, []),
                "AttachedManagedPolicies": _attached(user.managed_policies),
            }
            boundary = boundaries.get(user.name)
            if boundary:
                entry["PermissionsBoundary"] = {
                    "PermissionsBoundaryType": "Policy",
                    "PermissionsBoundaryArn": boundary,
                }
            out.append(("UserDetailList", entry))
    if "Group" in wanted:
        for group in backend.groups.values():
            out.append(
                (
                    "GroupDetailList",
                    {
                        "Path": group.path,
                        "GroupName": group.name,
                        "GroupId": group.id,
                        "Arn": group.arn,
                        "CreateDate": group.create_date,
                        "GroupPolicyList": _inline(group.policies),
                        "AttachedManagedPolicies": _attached(group.managed_policies),
                    },
                )
            )
    if "Role" in wanted:
        for role in backend.roles.values():
            out.append(
                (
                    "RoleDetailList",
                    {
                        "Path": role.path,
                        "RoleName": role.name,
                        "RoleId": role.id,
                        "Arn": role.arn,
                        "CreateDate": role.create_date,
                        "AssumeRolePolicyDocument": quote(role.assume_role_policy_document),
                        "RolePolicyList": _inline(role.policies),
                        "AttachedManagedPolicies": _attached(role.managed_policies),
                    },
                )
            )
    aws_managed = set(backend.aws_managed_policies)
    for policy in backend.managed_policies.values():
        kind = "AWSManagedPolicy" if policy in aws_managed else "LocalManagedPolicy"
        if kind not in wanted or (kind == "AWSManagedPolicy" and not policy.attachment_count):
            continue
        out.append(
            (
                "Policies",
                {
                    "PolicyName": policy.name,
                    "PolicyId": policy.id,
                    "Arn": policy.arn,
                    "Path": policy.path,
                    "DefaultVersionId": policy.default_version_id,
                    "AttachmentCount": policy.attachment_count,
                    "IsAttachable": True,
                    "CreateDate": policy.create_date,
                    "UpdateDate": policy.update_date,
                    "PolicyVersionList": [
                        {
                            "Document": quote(str(v.document)),
                            "VersionId": v.version_id,
                            "IsDefaultVersion": v.is_default,
                            "CreateDate": v.create_date,
                        }
                        for v in policy.versions
                    ],
                },
            )
        )
    return out


def _get_account_authorization_details(self: Any) -> Any:
    state = active()
    if state is None:
        return ORIGINALS["get_account_authorization_details"](self)
    try:
        max_items = int(self._get_param("MaxItems") or DEFAULT_PAGE)
        start = int(self._get_param("Marker") or 0)
    except ValueError:
        raise error(self, "ValidationError", "Invalid Marker or MaxItems", 400) from None
    if not 1 <= max_items <= MAX_PAGE:
        raise error(
            self,
            "ValidationError",
            f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_PAGE}",
            400,
        )
    boundaries = state.boundaries if self.current_account == state.account_id else {}
    entities = _entities(self.backend, list(self._get_param("Filter", []) or []), boundaries)
    page = entities[start : start + max_items]
    result: dict[str, Any] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    for key, entry in page:
        result[key].append(entry)
    truncated = start + max_items < len(entities)
    result["IsTruncated"] = truncated
    if truncated:
        result["Marker"] = str(start + max_items)
    return ActionResult(result)


# --- credential report and virtual MFA devices -------------------------------------------------

_REPORT_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


def _key_fields(key: Any) -> list[str]:
    if key is None:
        return ["false", "N/A", "N/A", "N/A", "N/A"]
    used = key.last_used
    return [
        "true" if key.status == "Active" else "false",
        key.create_date.strftime(_REPORT_FORMAT),
        "N/A" if used is None else used.strftime(_REPORT_FORMAT),
        "N/A" if used is None else str(used.region or "N/A"),
        "N/A" if used is None else str(used.service or "N/A"),
    ]


def _get_credential_report(self: Any) -> Any:
    state = active()
    if state is None:
        return ORIGINALS["get_credential_report"](self)
    original = ORIGINALS["get_credential_report"](self)  # raises ReportNotPresent like moto
    header = str(original.result["Content"]).splitlines()[0]
    now = state.now_datetime().strftime(_REPORT_FORMAT)
    account = self.current_account
    rows = [
        header,
        f"<root_account>,arn:aws:iam::{account}:root,{now},not_supported,N/A,not_supported,"
        "not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
    ]
    for user in self.backend.users.values():
        keys = [*list(user.access_keys)[:2], None, None]
        created = user.create_date.strftime(_REPORT_FORMAT)
        password = "true" if user.password else "false"
        rows.append(
            ",".join(
                [
                    user.name,
                    user.arn,
                    created,
                    password,
                    "no_information" if user.password else "N/A",
                    created if user.password else "N/A",
                    "N/A",
                    "true" if user.mfa_devices else "false",
                    *_key_fields(keys[0]),
                    *_key_fields(keys[1]),
                    "false",
                    "N/A",
                    "false",
                    "N/A",
                ]
            )
        )
    return ActionResult(
        {
            "Content": "\n".join(rows) + "\n",
            "ReportFormat": "text/csv",
            "GeneratedTime": state.now_datetime(),
        }
    )


def _list_virtual_mfa_devices(self: Any) -> Any:
    result = ORIGINALS["list_virtual_mfa_devices"](self)
    if active() is None:
        return result
    devices = []
    for device in result.result["VirtualMFADevices"]:
        entry: dict[str, Any] = {"SerialNumber": device.serial_number}
        if device.user is not None:
            entry["User"] = {
                "Path": device.user.path,
                "UserName": device.user.name,
                "UserId": device.user.id,
                "Arn": device.user.arn,
                "CreateDate": device.user.create_date,
            }
        if device.enable_date is not None:
            entry["EnableDate"] = device.enable_date
        devices.append(entry)  # never the seed or the QR code
    return ActionResult({**result.result, "VirtualMFADevices": devices})


# --- AssumeRole and role sessions --------------------------------------------------------------


def _trusts(document: str, caller_arn: str) -> bool:
    account = caller_arn.split(":")[4]
    names = {caller_arn, account, f"arn:aws:iam::{account}:root", "*"}
    statements = json.loads(document).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = statement.get("Principal", {})
        named = principal if isinstance(principal, str) else principal.get("AWS", [])
        named = [named] if isinstance(named, str) else named
        if names.intersection(named):
            return True
    return False


def _assume_role(self: Any) -> Any:
    state = active()
    caller = getattr(self, "_onboard_caller", None)
    if state is None or caller is None:
        return ORIGINALS["assume_role"](self)
    role_arn = str(self._get_param("RoleArn") or "")
    parts = role_arn.split(":")
    account = parts[4] if len(parts) == 6 else ""
    name = parts[5].rsplit("/", 1)[-1] if len(parts) == 6 else ""
    role = None
    if account and name:
        role = next(
            (r for r in iam_backends[account]["aws"].roles.values() if r.name == name), None
        )
    if role is None or not _trusts(role.assume_role_policy_document, caller.user_arn):
        raise error(
            self,
            "AccessDenied",
            f"User: {caller.user_arn} is not authorized to perform: sts:AssumeRole on "
            f"resource: {role_arn}",
        )
    return ORIGINALS["assume_role"](self)


def _role_session(access_key_id: str) -> Any:
    for account in MEMBER_ACCOUNTS:
        found = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key_id)
        if found is not None:
            return found
    return None


def handles_role_request(state: SandboxState, response: Any) -> bool:
    """Authenticate and authorize a request signed with a member-account role session.

    False when the request is not signed by such a session (the caller then
    authenticates it as a user); raises AWS's error when it is refused.
    """
    if not MEMBER_ACCOUNTS:
        return False
    from onboard.sandbox.identity import _KEY_IN_AUTH, _signature_ok

    authorization = response.headers.get("Authorization", "")
    match = _KEY_IN_AUTH.search(authorization)
    session = _role_session(match.group(1)) if match else None
    if session is None:
        return False
    headers = response.headers
    try:
        if headers.get("X-Amz-Security-Token") != session.session_token:
            raise AuthFailure(
                "InvalidClientTokenId", "The security token included in the request is invalid."
            )
        if state.now() >= session.expiration.timestamp():
            raise AuthFailure(
                "ExpiredToken", "The security token included in the request is expired"
            )
        check_clock(state, headers.get("X-Amz-Date", ""))
        path = response.raw_path
        if response.parsed_url.query:
            path += "?" + response.parsed_url.query
        body = response.raw_body or response.data
        if not _signature_ok(
            session.secret_access_key, headers, response.method, path, body, authorization
        ):
            raise AuthFailure(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
    except AuthFailure as failure:
        raise error(response, failure.code, failure.message, failure.status) from None
    action = f"{response.service_name}:{response._get_action()}"
    role = iam_backends[session.account_id]["aws"].get_role_by_arn(session.role_arn)
    policies = [
        parse_policy(doc, f"{session.role_arn}/{name}") for name, doc in role.policies.items()
    ]
    policies += [
        parse_policy(str(p.versions[-1].document), arn) for arn, p in role.managed_policies.items()
    ]
    decision = evaluate(Request(action, "*", session.arn, {}), policies)
    if not decision.allowed:
        raise error(
            response,
            "AccessDenied",
            f"User: {session.arn} is not authorized to perform: {action} on resource: * "
            "because no identity-based policy allows the {action} action".replace(
                "{action}", action
            ),
        )
    return True


_IAM_METHODS = {
    "get_account_authorization_details": _get_account_authorization_details,
    "get_credential_report": _get_credential_report,
    "list_virtual_mfa_devices": _list_virtual_mfa_devices,
}
PATCHED_OPERATIONS = (*sorted(_IAM_METHODS), "assume_role")


def install() -> None:
    """Install the audit's patches (called once, by `aws_patches.apply`)."""
    for name, method in _IAM_METHODS.items():
        ORIGINALS[name] = getattr(IamResponse, name)
        setattr(IamResponse, name, method)
    ORIGINALS["assume_role"] = TokenResponse.assume_role
    TokenResponse.assume_role = _assume_role  # type: ignore[method-assign]
