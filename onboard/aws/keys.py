"""SSH public keys, HTTPS Git credentials and access keys of IAM users."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from onboard.aws.base import GatewayBase
from onboard.aws.models import AccessKeyInfo, AccessKeyLastUsed, GitCredential, SshPublicKey
from onboard.aws.translate import call
from onboard.secret import Secret

CODECOMMIT_SERVICE = "codecommit.amazonaws.com"


def _ssh_key(raw: Mapping[str, Any], user_name: str = "") -> SshPublicKey:
    return SshPublicKey(
        key_id=raw["SSHPublicKeyId"],
        fingerprint=raw.get("Fingerprint", ""),
        status=raw.get("Status", ""),
        upload_date=raw.get("UploadDate"),
        user_name=raw.get("UserName", user_name),
        body=raw.get("SSHPublicKeyBody", ""),
    )


def _git_credential(raw: Mapping[str, Any]) -> GitCredential:
    return GitCredential(
        id=raw["ServiceSpecificCredentialId"],
        username=raw.get("ServiceUserName", ""),
        status=raw.get("Status", ""),
        password=Secret(raw["ServicePassword"]) if raw.get("ServicePassword") else None,
        user_name=raw.get("UserName", ""),
        create_date=raw.get("CreateDate"),
    )


class KeyOperations(GatewayBase):
    """The credentials git uses: SSH keys, Git credentials; and the user's access keys."""

    # --- SSH keys -------------------------------------------------------------------------

    def upload_ssh_public_key(self, user: str, body: str) -> SshPublicKey:
        """Upload an ssh-rsa public key; its key ID is the CodeCommit SSH login."""
        raw = call(
            "UploadSSHPublicKey",
            self.client("iam").upload_ssh_public_key,
            UserName=user,
            SSHPublicKeyBody=body,
        )
        return _ssh_key(raw["SSHPublicKey"], user)

    def list_ssh_public_keys(self, user: str) -> list[SshPublicKey]:
        """The user's SSH keys (ID, status, date; fingerprints need `get_ssh_public_key`)."""
        raw = call("ListSSHPublicKeys", self.client("iam").list_ssh_public_keys, UserName=user)
        return [_ssh_key(k, user) for k in raw["SSHPublicKeys"]]

    def get_ssh_public_key(self, user: str, key_id: str) -> SshPublicKey:
        """One SSH key with its body and MD5 fingerprint."""
        raw = call(
            "GetSSHPublicKey",
            self.client("iam").get_ssh_public_key,
            UserName=user,
            SSHPublicKeyId=key_id,
            Encoding="SSH",
        )
        return _ssh_key(raw["SSHPublicKey"], user)

    def update_ssh_public_key(self, user: str, key_id: str, status: str) -> None:
        """Set an SSH key Active or Inactive."""
        call(
            "UpdateSSHPublicKey",
            self.client("iam").update_ssh_public_key,
            UserName=user,
            SSHPublicKeyId=key_id,
            Status=status,
        )

    def delete_ssh_public_key(self, user: str, key_id: str) -> None:
        """Delete an SSH key."""
        call(
            "DeleteSSHPublicKey",
            self.client("iam").delete_ssh_public_key,
            UserName=user,
            SSHPublicKeyId=key_id,
        )

    # --- HTTPS Git credentials --------------------------------------------------------------

    def create_service_specific_credential(self, user: str) -> GitCredential:
        """New HTTPS Git credentials for CodeCommit; the password is shown once."""
        raw = call(
            "CreateServiceSpecificCredential",
            self.client("iam").create_service_specific_credential,
            UserName=user,
            ServiceName=CODECOMMIT_SERVICE,
        )
        return _git_credential(raw["ServiceSpecificCredential"])

    def list_service_specific_credentials(self, user: str) -> list[GitCredential]:
        """The user's HTTPS Git credentials for CodeCommit (no passwords)."""
        raw = call(
            "ListServiceSpecificCredentials",
            self.client("iam").list_service_specific_credentials,
            UserName=user,
            ServiceName=CODECOMMIT_SERVICE,
        )
        return [_git_credential(c) for c in raw["ServiceSpecificCredentials"]]

    def reset_service_specific_credential(self, user: str, credential_id: str) -> GitCredential:
        """A new password for existing Git credentials (shown once)."""
        raw = call(
            "ResetServiceSpecificCredential",
            self.client("iam").reset_service_specific_credential,
            UserName=user,
            ServiceSpecificCredentialId=credential_id,
        )
        return _git_credential(raw["ServiceSpecificCredential"])

    def update_service_specific_credential(
        self, user: str, credential_id: str, status: str
    ) -> None:
        """Set Git credentials Active or Inactive."""
        call(
            "UpdateServiceSpecificCredential",
            self.client("iam").update_service_specific_credential,
            UserName=user,
            ServiceSpecificCredentialId=credential_id,
            Status=status,
        )

    def delete_service_specific_credential(self, user: str, credential_id: str) -> None:
        """Delete Git credentials."""
        call(
            "DeleteServiceSpecificCredential",
            self.client("iam").delete_service_specific_credential,
            UserName=user,
            ServiceSpecificCredentialId=credential_id,
        )

    # --- access keys ------------------------------------------------------------------------

    def list_access_keys(self, user: str | None = None) -> list[AccessKeyInfo]:
        """The user's access keys with status and age in days (never secrets)."""
        kwargs = {"UserName": user} if user else {}
        raw = call("ListAccessKeys", self.client("iam").list_access_keys, **kwargs)
        now = datetime.fromtimestamp(self._clock(), UTC)
        keys = []
        for k in raw["AccessKeyMetadata"]:
            created = k.get("CreateDate")
            age = (now - created).total_seconds() / 86400 if created else None
            keys.append(
                AccessKeyInfo(k["AccessKeyId"], k["Status"], created, age, k.get("UserName", ""))
            )
        return keys

    def access_key_last_used(self, key_id: str) -> AccessKeyLastUsed:
        """When the key was last used, by which service and region."""
        raw = call(
            "GetAccessKeyLastUsed", self.client("iam").get_access_key_last_used, AccessKeyId=key_id
        )
        used = raw.get("AccessKeyLastUsed", {})
        return AccessKeyLastUsed(
            access_key_id=key_id,
            user_name=raw.get("UserName"),
            last_used=used.get("LastUsedDate"),
            service=used.get("ServiceName"),
            region=used.get("Region"),
        )
