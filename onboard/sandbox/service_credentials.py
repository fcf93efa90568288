"""Service-specific credentials (HTTPS Git credentials for CodeCommit), missing from moto."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.iam.exceptions import IAMException
from moto.moto_api._internal import mock_random

from onboard.sandbox.moto_glue import require_state
from onboard.sandbox.state import GitCredentialRecord, SandboxState

GIT_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")
# Services AWS issues service-specific credentials for: listing another one is
# NotSupportedService (404), as on AWS; creating takes only GIT_SERVICES here.
KNOWN_SERVICES = frozenset({*GIT_SERVICES, "bedrock.amazonaws.com"})
MAX_GIT_CREDENTIALS = 2


# --- IAM: service-specific (HTTPS Git) credentials --------------------------------------------


def _credential_view(record: GitCredentialRecord, with_password: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "UserName": record.user_name,
        "Status": record.status,
        "ServiceUserName": record.service_user_name,
        "CreateDate": datetime.fromtimestamp(record.created_at, UTC),
        "ServiceSpecificCredentialId": record.credential_id,
        "ServiceName": record.service_name,
    }
    if with_password:
        view["ServicePassword"] = record.password
    return view


def _new_password() -> str:
    alphabet = string.ascii_letters + string.digits + "+/="
    return "".join(mock_random.choice(alphabet) for _ in range(44))


def _credential(state: SandboxState, user_name: str, credential_id: str) -> GitCredentialRecord:
    record = state.git_credentials.get(credential_id)
    if record is None or record.user_name != user_name:
        raise IAMException(
            "NoSuchEntity", f"No such credential {credential_id} for user {user_name}."
        )
    return record


def _create_service_specific_credential(self: Any) -> Any:
    state = require_state()
    user_name, service = self._get_param("UserName"), self._get_param("ServiceName")
    self.backend.get_user(user_name)
    if service not in GIT_SERVICES:
        raise IAMException("NotSupportedService", f"Service {service} is not supported.")
    with state.lock:
        mine = [
            r
            for r in state.git_credentials.values()
            if r.user_name == user_name and r.service_name == service
        ]
        if len(mine) >= MAX_GIT_CREDENTIALS:
            raise IAMException(
                "LimitExceeded",
                "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                f"{MAX_GIT_CREDENTIALS}",
            )
        taken = {r.service_user_name for r in mine}
        base = f"{user_name}-at-{state.account_id}"
        service_user = base if base not in taken else f"{user_name}+1-at-{state.account_id}"
        credential_id = "ACCA" + "".join(
            mock_random.choice(string.ascii_uppercase + string.digits) for _ in range(17)
        )
        record = GitCredentialRecord(
            credential_id, user_name, service, service_user, _new_password(), "Active", state.now()
        )
        state.git_credentials[credential_id] = record
    return ActionResult({"ServiceSpecificCredential": _credential_view(record, True)})


def _list_service_specific_credentials(self: Any) -> Any:
    state = require_state()
    user_name, service = self._get_param("UserName"), self._get_param("ServiceName")
    if user_name:
        self.backend.get_user(user_name)
    if service and service not in KNOWN_SERVICES:
        raise IAMException("NotSupportedService", f"Service {service} is not supported.")
    rows = [
        _credential_view(r, False)
        for r in state.git_credentials.values()
        if (not user_name or r.user_name == user_name)
        and (not service or r.service_name == service)
    ]
    return ActionResult({"ServiceSpecificCredentials": rows})


def _reset_service_specific_credential(self: Any) -> Any:
    state = require_state()
    record = _credential(
        state, self._get_param("UserName"), self._get_param("ServiceSpecificCredentialId")
    )
    record.password = _new_password()
    return ActionResult({"ServiceSpecificCredential": _credential_view(record, True)})


def _update_service_specific_credential(self: Any) -> Any:
    state = require_state()
    record = _credential(
        state, self._get_param("UserName"), self._get_param("ServiceSpecificCredentialId")
    )
    record.status = str(self._get_param("Status"))
    return EmptyResult()


def _delete_service_specific_credential(self: Any) -> Any:
    state = require_state()
    record = _credential(
        state, self._get_param("UserName"), self._get_param("ServiceSpecificCredentialId")
    )
    del state.git_credentials[record.credential_id]
    return EmptyResult()
