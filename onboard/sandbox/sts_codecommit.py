"""STS sessions that map to users and check MFA codes; CodeCommit calls moto lacks."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from typing import Any

from moto.codecommit.exceptions import RepositoryDoesNotExistException
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.iam.utils import generate_access_key_id_from_account_id, random_alphanumeric

from onboard.sandbox import totp
from onboard.sandbox.identity import iam_backend
from onboard.sandbox.moto_glue import ORIGINALS, caller_of, error
from onboard.sandbox.state import SessionRecord, active

INVALID_CODE_MESSAGE = "MultiFactorAuthentication failed with invalid MFA one time pass code."
"""AWS's answer to a wrong *or already used* GetSessionToken/AssumeRole code (403)."""

# --- STS --------------------------------------------------------------------------------------


def _get_session_token(self: Any) -> Any:
    state = active()
    caller = caller_of(self)
    if state is None or caller is None:
        return ORIGINALS["get_session_token"](self)
    duration = int(self._get_param("DurationSeconds") or 43200)
    if not 900 <= duration <= 129600:
        raise error(self, "ValidationError", "DurationSeconds must be between 900 and 129600", 400)
    serial, code = self._get_param("SerialNumber"), self._get_param("TokenCode")
    now = state.now()
    mfa_at: float | None = None
    if serial or code:
        iam = iam_backend(state)
        user = iam.users[caller.user_name]
        device = iam.virtual_mfa_devices.get(serial)
        if device is None or serial not in user.mfa_devices:
            raise error(
                self,
                "AccessDenied",
                "MultiFactorAuthentication failed, unable to validate MFA code. Please verify "
                "your MFA serial number is valid and associated with this user.",
            )
        with state.lock:
            expected = totp.step_of(now) + state.mfa_drift.get(serial, 0)
            step = totp.find_single(device.base32_string_seed, str(code or ""), expected)
            # AWS takes each code once per device (Enable/Resync/GetSessionToken alike) and
            # answers a reused code exactly as a wrong one.
            if step is None or state.code_used(serial, step):
                raise error(self, "AccessDenied", INVALID_CODE_MESSAGE)
            state.use_codes(serial, step)
        mfa_at = now
    record = SessionRecord(
        access_key_id=generate_access_key_id_from_account_id(state.account_id, "ASIA", 20),
        secret_access_key=random_alphanumeric(40),
        session_token="FwoGZXIvYXdzE"
        + random_alphanumeric(180).replace("/", "A").replace("+", "B"),
        user_name=caller.user_name,
        issued_at=now,
        expires_at=now + duration,
        mfa_authenticated_at=mfa_at,
    )
    state.sessions[record.access_key_id] = record
    return ActionResult(
        {
            "Credentials": {
                "AccessKeyId": record.access_key_id,
                "SecretAccessKey": record.secret_access_key,
                "SessionToken": record.session_token,
                "Expiration": datetime.fromtimestamp(record.expires_at, UTC),
            }
        }
    )


def _get_caller_identity(self: Any) -> Any:
    caller = caller_of(self)
    if caller is None:
        return ORIGINALS["get_caller_identity"](self)
    return ActionResult(
        {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.user_arn}
    )


# --- CodeCommit -------------------------------------------------------------------------------


def _list_repositories(self: Any) -> str:
    repos = sorted(
        self.codecommit_backend.repositories.values(),
        key=lambda r: r.repository_metadata["repositoryName"],
    )
    rows = [
        {
            "repositoryName": r.repository_metadata["repositoryName"],
            "repositoryId": r.repository_metadata["repositoryId"],
        }
        for r in repos
    ]
    return json.dumps({"repositories": rows})


def _get_branch(self: Any) -> str:
    name, branch = self._get_param("repositoryName"), self._get_param("branchName")
    if name not in self.codecommit_backend.repositories:
        raise RepositoryDoesNotExistException(name)
    state = active()
    path = state.repo_paths.get(name) if state else None
    commit = None
    if path:
        done = subprocess.run(
            ["git", "--git-dir", path, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            capture_output=True,
            text=True,
            check=False,
        )
        commit = done.stdout.strip() or None
    if commit is None:
        error = JsonRESTError(
            "BranchDoesNotExistException", f"Branch {branch} does not exist in repository {name}."
        )
        raise error
    return json.dumps({"branch": {"branchName": branch, "commitId": commit}})


def _create_repository(self: Any) -> str:
    body = json.loads(ORIGINALS["create_repository"](self))
    state = active()
    kms_key = self._get_param("kmsKeyId")
    name = body["repositoryMetadata"]["repositoryName"]
    metadata = self.codecommit_backend.repositories[name].repository_metadata
    if kms_key or state is not None:
        metadata["kmsKeyId"] = (
            kms_key or (state.repo_kms_keys.get(name) if state else None) or "alias/aws/codecommit"
        )
        body["repositoryMetadata"]["kmsKeyId"] = metadata["kmsKeyId"]
    return json.dumps(body)
