"""SSH key file formats: get the public key blob out of whatever file we are given.

Public keys come as OpenSSH one-liners, PEM/PKCS#8 or RFC 4716 (PuTTYgen's
export). Private keys are read only to learn their *public* half, which
OpenSSH's own format and PuTTY's `.ppk` keep in clear text even when the
key is encrypted: so the doctor can compare an `IdentityFile` with the key
uploaded to IAM without asking for a passphrase. Nothing secret is returned.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

from cryptography.hazmat.primitives import serialization

from onboard.errors import InvalidInput

PRIVATE_MARKERS = (
    "PRIVATE KEY-----",  # OpenSSH, PKCS#1, PKCS#8, EC: all end their BEGIN line so
    "PuTTY-User-Key-File",
    "SSH2 ENCRYPTED PRIVATE KEY",
)
_OPENSSH_MAGIC = b"openssh-key-v1\0"
_PEM_BODY = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)


def is_private_key(text: str) -> bool:
    """Whether `text` looks like a private key in any format we know."""
    return any(marker in text for marker in PRIVATE_MARKERS)


def public_blob(text: str, where: str = "") -> tuple[bytes, str]:
    """(SSH public key blob, comment) from a public key file's text."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        return _pem_public_blob(stripped, where), ""
    if stripped.startswith("---- BEGIN SSH2 PUBLIC KEY ----"):
        return _rfc4716_blob(stripped, where)
    return _openssh_blob(stripped, where)


def public_blob_of_private(text: str, where: str = "") -> tuple[bytes, str]:
    """(public key blob, comment) from a private key file, without decrypting it.

    Raises `InvalidInput` when the public half is only inside the
    encryption (encrypted PEM) or the text is not a private key.
    """
    stripped = text.strip()
    if stripped.startswith("PuTTY-User-Key-File-"):
        return _ppk_public_blob(stripped, where)
    match = _PEM_BODY.search(stripped)
    if match is None:
        raise not_a_key(where, "it is not a private key file", private=True)
    label, body = match.group(1), match.group(2)
    if label == "OPENSSH PRIVATE KEY":
        return _openssh_private_public_blob(body, where), ""
    if label == "ENCRYPTED PRIVATE KEY" or "ENCRYPTED" in body.split("\n\n")[0]:
        raise InvalidInput(
            f"the private key{where} is encrypted and has no readable public half",
            "PEM keys keep the public key inside the encryption",
            "keep the .pub file beside it (`ssh-keygen -y -f KEY > KEY.pub` makes one)",
        )
    try:
        key = serialization.load_pem_private_key(stripped.encode("ascii", "replace"), None)
    except (ValueError, TypeError) as exc:
        raise not_a_key(where, f"the private key cannot be read ({exc})", private=True) from None
    except Exception as exc:  # UnsupportedAlgorithm for exotic key types
        raise not_a_key(where, str(exc), private=True) from None
    openssh = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return b64(openssh.split()[1].decode("ascii"), where), ""


def blob_type(blob: bytes, where: str = "") -> str:
    """The algorithm name at the start of an SSH public key blob."""
    value, _ = _ssh_string(blob, 0, where)
    if len(value) > 64:
        raise not_a_key(where, "the key data is not an SSH public key")
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        raise not_a_key(where, "the key data is not an SSH public key") from None


def b64(encoded: str, where: str = "") -> bytes:
    """Strict base64 decoding that fails as `InvalidInput`."""
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise not_a_key(where, "the key data is not valid base64") from None


def not_a_key(where: str, why: str, *, private: bool = False) -> InvalidInput:
    """The error for a file that is not the kind of key we asked for."""
    if private:
        return InvalidInput(
            f"this is not an SSH private key{where}",
            why,
            "point IdentityFile at the private key ssh-keygen made (no .pub at the end)",
        )
    return InvalidInput(
        f"this is not an SSH public key{where}",
        why,
        "choose the .pub file ssh-keygen made (it starts with `ssh-rsa AAAA`)",
    )


def _openssh_blob(text: str, where: str) -> tuple[bytes, str]:
    line = text.splitlines()[0].strip() if text else ""
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise not_a_key(where, "an OpenSSH public key is `<type> <base64> [comment]`")
    key_type, encoded = parts[0], parts[1]
    blob = b64(encoded, where)
    if blob_type(blob, where) != key_type:
        raise not_a_key(where, f"the key data does not match its type {key_type!r}")
    return blob, parts[2].strip() if len(parts) > 2 else ""


def _rfc4716_blob(text: str, where: str) -> tuple[bytes, str]:
    """The SSH2 format PuTTYgen exports: headers (maybe continued with `\\`), then base64."""
    comment = ""
    body: list[str] = []
    continued = False
    for line in (line.strip() for line in text.splitlines()[1:]):
        if line.startswith("---- END SSH2 PUBLIC KEY"):
            break
        if continued or ":" in line:
            if line.lower().startswith("comment:"):
                comment = line.split(":", 1)[1].strip().strip('"')
            continued = line.endswith("\\")
            continue
        body.append(line)
    return b64("".join(body), where), comment


def _pem_public_blob(text: str, where: str) -> bytes:
    try:
        key = serialization.load_pem_public_key(text.encode("ascii", errors="replace"))
    except ValueError as exc:
        raise not_a_key(where, f"the PEM block cannot be read ({exc})") from None
    except Exception as exc:  # UnsupportedAlgorithm for exotic key types
        raise not_a_key(where, str(exc)) from None
    openssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return b64(openssh.split()[1].decode("ascii"), where)


def _openssh_private_public_blob(body: str, where: str) -> bytes:
    """The first public key in an `openssh-key-v1` file (stored in clear text)."""
    data = b64("".join(body.split()), where)
    if not data.startswith(_OPENSSH_MAGIC):
        raise not_a_key(where, "the OpenSSH key header is missing", private=True)
    offset = len(_OPENSSH_MAGIC)
    for _field in ("cipher", "kdf", "kdf options"):
        _, offset = _ssh_string(data, offset, where)
    if len(data) < offset + 4:
        raise not_a_key(where, "the key file is cut short", private=True)
    (count,) = struct.unpack(">I", data[offset : offset + 4])
    if count < 1:
        raise not_a_key(where, "the key file holds no key", private=True)
    blob, _ = _ssh_string(data, offset + 4, where)
    blob_type(blob, where)
    return blob


def _ppk_public_blob(text: str, where: str) -> tuple[bytes, str]:
    """PuTTY's `.ppk` (v2 and v3): `Public-Lines: N` then N lines of base64."""
    lines = text.splitlines()
    comment = ""
    for index, line in enumerate(lines):
        name, _, value = line.partition(":")
        if name.strip() == "Comment":
            comment = value.strip()
        if name.strip() == "Public-Lines":
            try:
                count = int(value.strip())
            except ValueError:
                break
            encoded = "".join(part.strip() for part in lines[index + 1 : index + 1 + count])
            blob = b64(encoded, where)
            blob_type(blob, where)
            return blob, comment
    raise not_a_key(where, "the PuTTY key has no Public-Lines", private=True)


def _ssh_string(data: bytes, offset: int, where: str) -> tuple[bytes, int]:
    """An SSH wire-format string at `offset`: (value, offset after it)."""
    if len(data) < offset + 4:
        raise not_a_key(where, "the key data is too short")
    (length,) = struct.unpack(">I", data[offset : offset + 4])
    end = offset + 4 + length
    if end > len(data):
        raise not_a_key(where, "the key data is cut short")
    return data[offset + 4 : end], end
