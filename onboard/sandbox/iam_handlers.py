"""IAM handlers moto lacks or gets wrong: MFA devices, users, SSH keys."""

from __future__ import annotations

import re
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.iam.exceptions import IAMException

from onboard.sandbox import totp
from onboard.sandbox.moto_glue import ORIGINALS, caller_of, error, require_state
from onboard.sandbox.ssh_keys import MAX_KEYS_PER_USER, KeyRejected, parse_public_key
from onboard.sandbox.state import active

MAX_MFA_DEVICES = 8
# The root user's virtual device: ListVirtualMFADevices can show it as Unassigned, yet it is
# in use (by root), so deleting it is a DeleteConflict. The stale-device scenario holds one.
ROOT_MFA_DEVICE_NAME = "root-account-mfa-device"


# --- IAM: MFA ---------------------------------------------------------------------------------


_DEVICE_NAME = re.compile(r"[\w+=,.@-]{1,226}", re.ASCII)


def _create_virtual_mfa_device(self: Any) -> Any:
    # moto takes any name; AWS checks the API model's pattern and length first.
    name = str(self._get_param("VirtualMFADeviceName") or "")
    if active() is not None and _DEVICE_NAME.fullmatch(name) is None:
        constraint = (
            "Member must have length less than or equal to 226"
            if len(name) > 226
            else "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )
        raise error(
            self,
            "ValidationError",
            f"1 validation error detected: Value '{name}' at 'virtualMFADeviceName' "
            f"failed to satisfy constraint: {constraint}",
            400,
        )
    return ORIGINALS["create_virtual_mfa_device"](self)


def _invalid_code() -> IAMException:
    return IAMException("InvalidAuthenticationCode", "Authentication code for device is not valid.")


def _enable_mfa_device(self: Any) -> Any:
    state = active()
    if state is None:
        return ORIGINALS["enable_mfa_device"](self)
    user_name, serial = self._get_param("UserName"), self._get_param("SerialNumber")
    code1, code2 = self._get_param("AuthenticationCode1"), self._get_param("AuthenticationCode2")
    with state.lock:
        user = self.backend.get_user(user_name)
        device = self.backend.virtual_mfa_devices.get(serial)
        if device is None:
            raise IAMException("NoSuchEntity", f"MFA device {serial} does not exist.")
        if device.user is not None or serial in user.mfa_devices:
            raise IAMException("EntityAlreadyExists", "MFA device is already in use.")
        if len(user.mfa_devices) >= MAX_MFA_DEVICES:
            raise IAMException(
                "LimitExceeded", f"Cannot exceed quota for MFADevicesPerUser: {MAX_MFA_DEVICES}"
            )
        now_step = totp.step_of(state.now())
        step = totp.find_consecutive(device.base32_string_seed, str(code1), str(code2), now_step)
        if (
            step is None
            or step <= state.last_mfa_step.get(serial, -(2**62))
            or state.code_used(serial, step, step + 1)
        ):
            raise _invalid_code()
        state.last_mfa_step[serial] = step + 1
        state.use_codes(serial, step, step + 1)
        drift = step + 1 - now_step
        state.mfa_drift[serial] = drift if abs(drift) > 1 else 0
        self.backend.enable_mfa_device(user_name, serial, code1, code2)
    return EmptyResult()


def _resync_mfa_device(self: Any) -> Any:
    state = require_state()
    user_name, serial = self._get_param("UserName"), self._get_param("SerialNumber")
    code1, code2 = self._get_param("AuthenticationCode1"), self._get_param("AuthenticationCode2")
    with state.lock:
        user = self.backend.get_user(user_name)
        device = self.backend.virtual_mfa_devices.get(serial)
        if device is None or serial not in user.mfa_devices:
            raise IAMException(
                "NoSuchEntity", f"MFA device {serial} is not assigned to {user_name}."
            )
        now_step = totp.step_of(state.now())
        step = totp.find_consecutive(
            device.base32_string_seed,
            str(code1),
            str(code2),
            now_step,
            window=2 * totp.ENABLE_WINDOW_STEPS,
        )
        if (
            step is None
            or step <= state.last_mfa_step.get(serial, -(2**62))
            or state.code_used(serial, step, step + 1)
        ):
            raise _invalid_code()
        state.last_mfa_step[serial] = step + 1
        state.use_codes(serial, step, step + 1)
        state.mfa_drift[serial] = step + 1 - now_step
    return EmptyResult()


def _get_mfa_device(self: Any) -> Any:
    serial = self._get_param("SerialNumber")
    user_name = self._get_param("UserName")
    for user in self.backend.users.values():
        if user_name and user.name != user_name:
            continue
        device = user.mfa_devices.get(serial)
        if device is not None:
            return ActionResult(
                {"UserName": user.name, "SerialNumber": serial, "EnableDate": device.enable_date}
            )
    raise IAMException("NoSuchEntity", f"MFA device {serial} is not assigned to any user.")


def _delete_virtual_mfa_device(self: Any) -> Any:
    serial = self._get_param("SerialNumber")
    device = self.backend.virtual_mfa_devices.get(serial)
    in_use = device is not None and (
        device.user is not None
        or device.enable_date is not None
        or str(serial).endswith(f":mfa/{ROOT_MFA_DEVICE_NAME}")
    )
    if in_use:
        raise IAMException(
            "DeleteConflict", "MFA device is assigned to a user: deactivate it first."
        )
    return ORIGINALS["delete_virtual_mfa_device"](self)


# --- IAM: users -------------------------------------------------------------------------------


def _get_user(self: Any) -> Any:
    caller = caller_of(self)
    name = self._get_param("UserName") or (caller.user_name if caller else None)
    if not name:
        return ORIGINALS["get_user"](self)
    return ActionResult({"User": self.backend.get_user(name)})


def _put_user_permissions_boundary(self: Any) -> Any:
    state = require_state()
    user = self.backend.get_user(self._get_param("UserName"))
    arn = str(self._get_param("PermissionsBoundary") or "")
    if arn not in self.backend.managed_policies:
        raise IAMException("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.")
    state.boundaries[user.name] = arn
    # GetUser serializes this attribute as the user's PermissionsBoundary.
    user.permissions_boundary = {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    return EmptyResult()


def _delete_user_permissions_boundary(self: Any) -> Any:
    state = require_state()
    user = self.backend.get_user(self._get_param("UserName"))
    state.boundaries.pop(user.name, None)
    user.permissions_boundary = None
    return EmptyResult()


# --- IAM: SSH keys ----------------------------------------------------------------------------


def _upload_ssh_public_key(self: Any) -> Any:
    user_name, body = self._get_param("UserName"), self._get_param("SSHPublicKeyBody") or ""
    user = self.backend.get_user(user_name)
    try:
        parsed = parse_public_key(str(body))
    except KeyRejected as rejected:
        raise IAMException(rejected.code, rejected.message) from None
    for existing in user.ssh_public_keys:
        if existing.ssh_public_key_body.split()[:2] == parsed.openssh.split()[:2]:
            raise IAMException(
                "DuplicateSSHPublicKey", "The SSH public key is already uploaded for this user."
            )
    if len(user.ssh_public_keys) >= MAX_KEYS_PER_USER:
        raise IAMException(
            "LimitExceeded", f"Cannot exceed quota for PublicKeysPerUser: {MAX_KEYS_PER_USER}"
        )
    key = self.backend.upload_ssh_public_key(user_name, parsed.openssh)
    key.fingerprint = parsed.fingerprint
    return ActionResult({"SSHPublicKey": key})
