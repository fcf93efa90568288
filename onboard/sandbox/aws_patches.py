"""What moto 5.2 lacks or gets wrong for this product, fixed in one place.

moto has no plugin API; its maintainers suggest adding methods to the
`*Response` classes and wrapping backends (getmoto/moto #7126, #7481). `apply()`
does that once per process, here and only here; the handlers it installs live
in `iam_handlers`, `service_credentials`, `sts_codecommit` and `simulate`, and
every request first goes through `_authorize_request` (our policy engine).
Handlers that replace one of moto's fall back to it when no sandbox is running,
so plain moto users are unaffected.
`tests/sandbox/test_contract.py` exercises each patch through boto3: a moto
upgrade that breaks one fails loudly there. Tested with moto 5.2.5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.codecommit.responses import CodeCommitResponse
from moto.core.responses import BaseResponse
from moto.iam.models import AccessKeyLastUsed
from moto.iam.responses import IamResponse
from moto.sts.responses import TokenResponse

from onboard.sandbox import authorize as authz
from onboard.sandbox import iam_handlers as iam
from onboard.sandbox import org_patches as org
from onboard.sandbox import service_credentials as creds
from onboard.sandbox import simulate
from onboard.sandbox import sts_codecommit as sc
from onboard.sandbox.identity import AuthFailure, authenticate, iam_backend
from onboard.sandbox.moto_glue import ORIGINALS, error
from onboard.sandbox.state import active

MOTO_TESTED = "5.2.5"
_CALLER_DEFAULT_ACTIONS = frozenset(
    {
        "ListMFADevices",
        "ListAccessKeys",
        "CreateAccessKey",
        "UpdateAccessKey",
        "DeleteAccessKey",
        "ListServiceSpecificCredentials",
        "ListSigningCertificates",
        "GetLoginProfile",
    }
)


# --- authorization: every request -------------------------------------------------------------


def _authorize_request(self: Any, resource: str = "*") -> None:
    state = active()
    if state is None or not state.enforce:
        ORIGINALS["authorize"](self, resource)
        return
    if org.handles_role_request(state, self):  # a role session in a member account (org)
        return
    service = self.service_name or ""
    action_name = self._get_action() or ""
    try:
        caller = authenticate(state, self)
    except AuthFailure as failure:
        raise error(self, failure.code, failure.message, failure.status) from None
    self._onboard_caller = caller
    if (
        service == "iam"
        and action_name in _CALLER_DEFAULT_ACTIONS
        and not self._get_param("UserName")
    ):
        # AWS acts on the caller when UserName is left out (moto only knows long-term keys).
        params = getattr(self, "params", None)
        if isinstance(params, dict):
            params["UserName"] = caller.user_name
    if caller.session is None:
        found = iam_backend(state).users[caller.user_name]
        for key in found.access_keys:
            if key.access_key_id == caller.access_key_id:
                key.last_used = AccessKeyLastUsed(state.now_datetime(), service, self.region)
    action = f"{service}:{action_name}"
    if action == "sts:GetSessionToken" and caller.session is not None:
        raise error(self, "AccessDenied", "Cannot call GetSessionToken with session credentials")
    if action in authz.ALWAYS_ALLOWED:
        return
    target = authz.resource_for(state, self, service, action_name, caller)
    context = authz.request_context(state, caller, service)
    evaluation, identity, boundaries = authz.decide(
        state, caller.user_name, caller.user_arn, action, target, context
    )
    if not evaluation.allowed:
        by_boundary = bool(boundaries) and authz.boundary_blocks(
            identity, action, target, caller.user_arn, context
        )
        message, _ = authz.denied_message(
            caller.user_arn,
            action,
            target,
            evaluation,
            identity + boundaries,
            by_boundary=by_boundary,
        )
        raise error(self, "AccessDenied", message)


_IAM_METHODS: dict[str, Callable[..., Any]] = {
    "get_user": iam._get_user,
    "put_user_permissions_boundary": iam._put_user_permissions_boundary,
    "delete_user_permissions_boundary": iam._delete_user_permissions_boundary,
    "create_virtual_mfa_device": iam._create_virtual_mfa_device,
    "enable_mfa_device": iam._enable_mfa_device,
    "resync_mfa_device": iam._resync_mfa_device,
    "get_mfa_device": iam._get_mfa_device,
    "delete_virtual_mfa_device": iam._delete_virtual_mfa_device,
    "upload_ssh_public_key": iam._upload_ssh_public_key,
    "create_service_specific_credential": creds._create_service_specific_credential,
    "list_service_specific_credentials": creds._list_service_specific_credentials,
    "reset_service_specific_credential": creds._reset_service_specific_credential,
    "update_service_specific_credential": creds._update_service_specific_credential,
    "delete_service_specific_credential": creds._delete_service_specific_credential,
    "simulate_principal_policy": simulate.simulate_principal_policy,
    "simulate_custom_policy": simulate.simulate_custom_policy,
}
_STS_METHODS: dict[str, Callable[..., Any]] = {
    "get_session_token": sc._get_session_token,
    "get_caller_identity": sc._get_caller_identity,
}
_CODECOMMIT_METHODS: dict[str, Callable[..., Any]] = {
    "list_repositories": sc._list_repositories,
    "get_branch": sc._get_branch,
    "create_repository": sc._create_repository,
}
PATCHED_OPERATIONS = tuple(sorted([*_IAM_METHODS, *_STS_METHODS, *_CODECOMMIT_METHODS]))


def apply() -> None:
    """Install the patches (idempotent)."""
    if "authorize" in ORIGINALS:
        return
    ORIGINALS["authorize"] = BaseResponse._authenticate_and_authorize_normal_action
    for cls, methods in (
        (IamResponse, _IAM_METHODS),
        (TokenResponse, _STS_METHODS),
        (CodeCommitResponse, _CODECOMMIT_METHODS),
    ):
        for name, method in methods.items():
            original = getattr(cls, name, None)
            if original is not None:
                ORIGINALS[name] = original
            setattr(cls, name, method)
    org.install()
    BaseResponse._authenticate_and_authorize_normal_action = _authorize_request  # type: ignore[method-assign]
