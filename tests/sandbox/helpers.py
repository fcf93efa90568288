"""boto3 clients against a running sandbox, and RSA/ed25519 test keys."""

from __future__ import annotations

import time
import warnings
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa

from onboard.sandbox.account import Sandbox

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def client(sandbox: Sandbox, service: str, who: str = "new-hire", **creds: str) -> Any:
    """A boto3 client for `service` as the new hire, the helpdesk, or explicit credentials."""
    if not creds:
        user = sandbox.helpdesk if who == "helpdesk" else sandbox.new_hire
        creds = {
            "aws_access_key_id": user.access_key_id,
            "aws_secret_access_key": user.secret_access_key,
        }
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        config=NO_RETRY,
        **creds,
    )


def enable_new_hire_mfa(sandbox: Sandbox) -> str:
    """Create and enable the new hire's virtual device; returns its serial."""
    iam = client(sandbox, "iam")
    serial = str(
        iam.create_virtual_mfa_device(VirtualMFADeviceName="new-hire")["VirtualMFADevice"][
            "SerialNumber"
        ]
    )
    now = sandbox.state.now()
    iam.enable_mfa_device(
        UserName="new-hire",
        SerialNumber=serial,
        AuthenticationCode1=sandbox.totp_now(serial, now - 30),
        AuthenticationCode2=sandbox.totp_now(serial, now),
    )
    return serial


def next_code(sandbox: Sandbox, serial: str) -> str:
    """The device's next code (one step ahead, within AWS's window).

    The current one was just used to enable the device, and AWS takes each code once.
    """
    return sandbox.totp_now(serial, sandbox.state.now() + 30)


def mfa_session(sandbox: Sandbox, serial: str) -> dict[str, str]:
    """boto3 keyword credentials of an MFA session of the new hire."""
    creds = client(sandbox, "sts").get_session_token(
        SerialNumber=serial, TokenCode=next_code(sandbox, serial)
    )["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def mfa_client(sandbox: Sandbox, service: str) -> Any:
    """A client acting as the new hire with an MFA session (enables MFA first)."""
    serial = enable_new_hire_mfa(sandbox)
    return client(sandbox, service, **mfa_session(sandbox, serial))


@cache
def rsa_public(bits: int = 2048, comment: str = "dev@laptop") -> str:
    """An OpenSSH ssh-rsa public key line (cached: key generation is slow)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return f"{line.decode()} {comment}"


def rsa_pem_public(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def other_public(kind: str) -> str:
    """ed25519 / ecdsa / dsa public key lines (IAM refuses all three)."""
    if kind == "ed25519":
        key: Any = ed25519.Ed25519PrivateKey.generate()
    elif kind == "ecdsa":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = dsa.generate_private_key(key_size=1024)
    with warnings.catch_warnings():  # cryptography deprecates DSA; IAM refuses it anyway
        warnings.simplefilter("ignore")
        line = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    return str(line.decode())


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll `predicate` until true (for subprocess start-up), without asserting on time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
