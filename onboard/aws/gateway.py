"""The IAM / STS / CodeCommit operations `onboard` needs, as typed values.

The only module (with `session.py` and `translate.py`) that talks to boto3.
Every botocore error leaves here as an `onboard.aws.errors.AwsError`.
"""

from __future__ import annotations

from dataclasses import replace
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.exceptions import ClientError

from onboard.aws import session as sess
from onboard.aws.codecommit import CodeCommitOperations
from onboard.aws.inventory import InventoryOperations
from onboard.aws.keys import KeyOperations
from onboard.aws.models import (
    CallerIdentity,
    MfaDevice,
    SessionCredentials,
    VirtualMfaDevice,
    VirtualMfaDeviceInfo,
)
from onboard.aws.organizations import OrganizationOperations
from onboard.aws.policies import PolicyOperations
from onboard.aws.translate import call, translated
from onboard.secret import Secret
from onboard.settings import Settings


def _principal(arn: str) -> tuple[str, str | None]:
    """("user", "alice") from an ARN; the type for roles/root/federated users."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    kind, _, rest = resource.partition("/")
    if kind == "user":
        return "user", rest.rsplit("/", 1)[-1]
    if kind in ("assumed-role", "federated-user"):
        return kind, None
    if resource == "root":
        return "root", None
    return "unknown", None


class Gateway(
    KeyOperations,
    CodeCommitOperations,
    PolicyOperations,
    InventoryOperations,
    OrganizationOperations,
):
    """The AWS account as `onboard` sees it; build with `Gateway.from_settings`."""

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Gateway:
        """Resolve credentials/region/endpoint the boto3 way; `options` tune retries/timeouts."""
        boto_session = sess.build_session(settings)
        client_options = sess.ClientOptions(endpoint_url=sess.resolve_endpoint(settings), **options)
        return cls(boto_session, client_options, sess.session_region(boto_session))

    def with_session(self, creds: SessionCredentials) -> Gateway:
        """The same endpoint and options, acting with temporary (MFA) credentials."""
        boto_session = sess.session_from_keys(
            creds.access_key_id,
            creds.secret_access_key.reveal(),
            creds.session_token.reveal(),
            self.region,
        )
        gateway = Gateway(boto_session, self._options, self.region, self._clock)
        gateway.credential_source_override = "mfa-session"
        return gateway

    def with_options(self, **changes: Any) -> Gateway:
        """The same credentials with other client options (e.g. fewer retries)."""
        gateway = Gateway(
            self._session, replace(self._options, **changes), self.region, self._clock
        )
        gateway.credential_source_override = self.credential_source_override
        return gateway

    # --- identity -------------------------------------------------------------------------

    def whoami(self) -> CallerIdentity:
        """STS GetCallerIdentity plus where the credentials came from."""
        raw = call("GetCallerIdentity", self.client("sts").get_caller_identity)
        principal_type, user_name = _principal(raw["Arn"])
        return CallerIdentity(
            account=raw["Account"],
            arn=raw["Arn"],
            user_id=raw["UserId"],
            user_name=user_name,
            principal_type=principal_type,
            credential_source=self.credential_source_override
            or sess.credential_source(self._session),
        )

    def server_clock_skew(self) -> float:
        """Seconds AWS's clock is ahead of ours (negative: behind), from the HTTP Date header."""
        sent = self._clock()
        try:
            raw = self.client("sts").get_caller_identity()
            headers = raw.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        except ClientError as exc:  # a skew error still carries the server's Date
            headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        except Exception as exc:
            with translated("GetCallerIdentity"):
                raise exc
        received = self._clock()
        date = headers.get("date")
        if not date:
            return 0.0
        server = parsedate_to_datetime(date).timestamp()
        # The header has one-second resolution: compare with the middle of the call.
        return server - (sent + received) / 2

    # --- MFA ------------------------------------------------------------------------------

    def list_mfa_devices(self, user: str | None = None) -> list[MfaDevice]:
        """The MFA devices assigned to `user` (default: the caller)."""
        kwargs = {"UserName": user} if user else {}
        raw = call("ListMFADevices", self.client("iam").list_mfa_devices, **kwargs)
        return [
            MfaDevice(d["UserName"], d["SerialNumber"], d.get("EnableDate"))
            for d in raw["MFADevices"]
        ]

    def list_virtual_mfa_devices(
        self, assignment: str = "Any", page_size: int | None = None
    ) -> list[VirtualMfaDeviceInfo]:
        """Virtual MFA devices in the account; "Unassigned" finds abandoned ones.

        `page_size` (at most 1000) means fewer calls for an account with many devices.
        """
        paginator = self.client("iam").get_paginator("list_virtual_mfa_devices")
        devices: list[VirtualMfaDeviceInfo] = []
        config = {"PageSize": page_size} if page_size else {}
        with translated("ListVirtualMFADevices"):
            for page in paginator.paginate(AssignmentStatus=assignment, PaginationConfig=config):
                for raw in page["VirtualMFADevices"]:
                    user = raw.get("User") or {}
                    devices.append(
                        VirtualMfaDeviceInfo(
                            serial=raw["SerialNumber"],
                            user_name=user.get("UserName"),
                            user_arn=user.get("Arn"),
                            enable_date=raw.get("EnableDate"),
                        )
                    )
        return devices

    def create_virtual_mfa_device(self, name: str, path: str = "/") -> VirtualMfaDevice:
        """A new virtual device; the seed is returned once, only here."""
        raw = call(
            "CreateVirtualMFADevice",
            self.client("iam").create_virtual_mfa_device,
            VirtualMFADeviceName=name,
            Path=path,
        )["VirtualMFADevice"]
        seed = raw["Base32StringSeed"]
        seed_text = seed.decode("ascii") if isinstance(seed, bytes) else str(seed)
        return VirtualMfaDevice(serial=raw["SerialNumber"], seed_base32=Secret(seed_text))

    def enable_mfa_device(self, user: str, serial: str, code1: str, code2: str) -> None:
        """Assign the device to the user; AWS checks two consecutive codes."""
        call(
            "EnableMFADevice",
            self.client("iam").enable_mfa_device,
            UserName=user,
            SerialNumber=serial,
            AuthenticationCode1=code1,
            AuthenticationCode2=code2,
        )

    def resync_mfa_device(self, user: str, serial: str, code1: str, code2: str) -> None:
        """Resynchronise a drifted device with two consecutive codes."""
        call(
            "ResyncMFADevice",
            self.client("iam").resync_mfa_device,
            UserName=user,
            SerialNumber=serial,
            AuthenticationCode1=code1,
            AuthenticationCode2=code2,
        )

    def deactivate_mfa_device(self, user: str, serial: str) -> None:
        """Unassign the device from the user (it stays in the account)."""
        call(
            "DeactivateMFADevice",
            self.client("iam").deactivate_mfa_device,
            UserName=user,
            SerialNumber=serial,
        )

    def delete_virtual_mfa_device(self, serial: str) -> None:
        """Delete an unassigned virtual device (AWS refuses an assigned one)."""
        call(
            "DeleteVirtualMFADevice",
            self.client("iam").delete_virtual_mfa_device,
            SerialNumber=serial,
        )

    def get_session_token(
        self, serial: str, code: str, duration_seconds: int = 43200
    ) -> SessionCredentials:
        """MFA session credentials: their requests carry aws:MultiFactorAuthPresent=true."""
        raw = call(
            "GetSessionToken",
            self.client("sts").get_session_token,
            SerialNumber=serial,
            TokenCode=code,
            DurationSeconds=duration_seconds,
        )["Credentials"]
        return SessionCredentials(
            access_key_id=raw["AccessKeyId"],
            secret_access_key=Secret(raw["SecretAccessKey"]),
            session_token=Secret(raw["SessionToken"]),
            expiration=raw["Expiration"],
        )
