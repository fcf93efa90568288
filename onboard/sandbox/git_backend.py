"""The sandbox account as the git endpoints see it (`git_auth.GitAuthBackend`)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from moto.codecommit.models import codecommit_backends

from onboard.sandbox import authorize as authz
from onboard.sandbox.git_auth import GIT_CREDENTIAL_SERVICE, GitIdentity
from onboard.sandbox.identity import iam_backend, user_of_access_key
from onboard.sandbox.ssh_keys import same_key
from onboard.sandbox.state import SandboxState


class SandboxGitBackend:
    """Access keys, sessions, Git credentials, SSH keys and policies of the sandbox account."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self.region = state.region
        self.account_id = state.account_id

    def _identity(self, user_name: str, mfa_at: float | None = None) -> GitIdentity | None:
        user = iam_backend(self._state).users.get(user_name)
        if user is None:
            return None
        when = datetime.fromtimestamp(mfa_at, UTC) if mfa_at is not None else None
        return GitIdentity(user.name, user.arn, self.account_id, when)

    def access_key_secret(
        self, access_key_id: str, session_token: str | None
    ) -> tuple[str, GitIdentity] | None:
        """Secret and identity of an Active long-term key or a live session."""
        state = self._state
        session = state.sessions.get(access_key_id)
        if session is not None:
            if session_token != session.session_token or state.now() >= session.expires_at:
                return None
            identity = self._identity(session.user_name, session.mfa_authenticated_at)
            return (session.secret_access_key, identity) if identity else None
        if session_token:
            return None
        found = user_of_access_key(state, access_key_id)
        if found is None or found[1].status != "Active":
            return None
        identity = self._identity(found[0].name)
        return (found[1].secret_access_key, identity) if identity else None

    def git_credential_identity(self, username: str, password: str) -> GitIdentity | None:
        """Identity of an Active CodeCommit HTTPS Git credential."""
        for record in list(self._state.git_credentials.values()):
            if (
                record.service_user_name == username
                and record.service_name == GIT_CREDENTIAL_SERVICE
                and record.status == "Active"
                and hmac.compare_digest(record.password.encode(), password.encode())
            ):
                return self._identity(record.user_name)
        return None

    def ssh_key_identity(self, ssh_key_id: str, public_key_openssh: str) -> GitIdentity | None:
        """The user of an Active SSH key ID whose uploaded key is the one offered."""
        for user in iam_backend(self._state).users.values():
            for key in user.ssh_public_keys:
                if key.ssh_public_key_id != ssh_key_id:
                    continue
                if key.status == "Active" and same_key(key.ssh_public_key_body, public_key_openssh):
                    return self._identity(user.name)
                return None
        return None

    def authorize(
        self, identity: GitIdentity, action: str, resource_arn: str, context: Mapping[str, str]
    ) -> tuple[bool, str]:
        """The policy engine's decision and AWS's AccessDenied text."""
        base = {
            "aws:username": identity.user_name,
            "aws:PrincipalArn": identity.user_arn,
            "aws:PrincipalAccount": identity.account_id,
            "aws:PrincipalType": "User",
            "aws:SourceIp": "127.0.0.1",
            "aws:CurrentTime": self._state.now_datetime().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(self._state.now())),
        }
        full = {**base, **context}
        try:
            evaluation, identity_refs, boundaries = authz.decide(
                self._state, identity.user_name, identity.user_arn, action, resource_arn, full
            )
        except KeyError:
            return False, f"User: {identity.user_arn} does not exist"
        if evaluation.allowed:
            return True, ""
        by_boundary = bool(boundaries) and authz.boundary_blocks(
            identity_refs, action, resource_arn, identity.user_arn, full
        )
        message, _ = authz.denied_message(
            identity.user_arn,
            action,
            resource_arn,
            evaluation,
            identity_refs + boundaries,
            by_boundary=by_boundary,
        )
        return False, message

    def repository_path(self, repo_name: str) -> Path | None:
        """The bare repository behind CodeCommit repository `repo_name`."""
        backend = codecommit_backends[self.account_id][self.region]
        if repo_name not in backend.repositories:
            return None
        path = self._state.repo_paths.get(repo_name)
        return Path(path) if path else None

    def repository_kms_key_arn(self, repo_name: str) -> str | None:
        """The KMS key ARN that encrypts `repo_name` (what CodeCommit calls KMS with)."""
        return self._state.repo_kms_keys.get(repo_name)
