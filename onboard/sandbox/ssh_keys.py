"""IAM's rules for UploadSSHPublicKey: ssh-rsa or PEM RSA, >= 2048 bits, MD5 fingerprint."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

MAX_BODY = 16384
MIN_RSA_BITS = 2048
MAX_KEYS_PER_USER = 5


class KeyRejected(Exception):
    """IAM's refusal: `code` is the error code botocore's model knows."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ParsedKey:
    """An accepted key: OpenSSH one-line body, the wire blob and its MD5 fingerprint."""

    openssh: str
    blob: bytes
    fingerprint: str
    bits: int


def _unrecognized() -> KeyRejected:
    return KeyRejected(
        "UnrecognizedPublicKeyEncoding",
        "The public key encoding format is unsupported or unrecognized. "
        "Only ssh-rsa and PEM-encoded RSA public keys are accepted.",
    )


def _invalid(detail: str) -> KeyRejected:
    return KeyRejected(
        "InvalidPublicKey", f"The public key is malformed or otherwise invalid: {detail}"
    )


def md5_fingerprint(blob: bytes) -> str:
    """`ssh-keygen -l -E md5` style: colon-separated hex of the MD5 of the key blob."""
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _blob_type(blob: bytes) -> str:
    if len(blob) < 4:
        return ""
    (length,) = struct.unpack(">I", blob[:4])
    return blob[4 : 4 + length].decode("ascii", "replace")


def parse_public_key(body: str) -> ParsedKey:
    """Validate an SSH public key the way IAM does; raise `KeyRejected` like IAM."""
    text = body.strip()
    if len(body) > MAX_BODY:
        raise KeyRejected(
            "ValidationError",
            "1 validation error detected: Value at 'sSHPublicKeyBody' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_BODY}",
        )
    if "PRIVATE KEY" in text:
        raise _unrecognized()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, TypeError) as exc:
            raise _invalid("the PEM block cannot be decoded") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise _unrecognized()
        openssh = key.public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        ).decode()
    else:
        parts = text.split()
        if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-", "sk-")):
            raise _unrecognized()
        if parts[0] != "ssh-rsa":
            raise _unrecognized()
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _invalid("the key data is not base64") from exc
        if _blob_type(blob) != "ssh-rsa":
            raise _invalid("the key data does not match its ssh-rsa type")
        try:
            key = serialization.load_ssh_public_key(f"ssh-rsa {parts[1]}".encode())
        except (ValueError, TypeError, struct.error) as exc:
            raise _invalid("the key data cannot be decoded") from exc
        if not isinstance(key, rsa.RSAPublicKey):  # pragma: no cover - type checked above
            raise _unrecognized()
        openssh = " ".join(parts[:3]) if len(parts) > 2 else " ".join(parts[:2])
    bits = key.key_size
    if bits < MIN_RSA_BITS:
        raise _invalid(f"the key is {bits} bits; RSA keys must be at least {MIN_RSA_BITS} bits")
    blob = base64.b64decode(openssh.split()[1])
    return ParsedKey(openssh=openssh, blob=blob, fingerprint=md5_fingerprint(blob), bits=bits)


def same_key(openssh_a: str, openssh_b: str) -> bool:
    """True when two OpenSSH one-line keys carry the same key blob (comments ignored)."""
    a, b = openssh_a.split(), openssh_b.split()
    return len(a) >= 2 and len(b) >= 2 and a[0] == b[0] and a[1] == b[1]
