"""SSH keys for CodeCommit: find them, check them the way IAM will, generate one.

IAM's UploadSSHPublicKey takes only RSA keys of at least 2048 bits (OpenSSH
one-line or PEM), with a body of at most 16,384 characters. We check that
locally, before the upload, and say why a key will not do. The ssh config
block and `ssh -V`/`ssh -G` live in `onboard.ssh.config` (re-exported here).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from onboard.errors import InvalidInput, OnboardError
from onboard.home import Home
from onboard.platform import Platform
from onboard.ssh.config import (
    CODECOMMIT_HOST_PATTERN,
    codecommit_ssh_block,
    effective_ssh_config,
    git_ssh_command,
    ssh_command,
    ssh_version,
    write_ssh_config,
)
from onboard.ssh.formats import (
    blob_type,
    is_private_key,
    not_a_key,
    public_blob,
    public_blob_of_private,
)

__all__ = [
    "CODECOMMIT_HOST_PATTERN",
    "IAM_MAX_BODY",
    "IAM_MIN_RSA_BITS",
    "KeyInfo",
    "codecommit_ssh_block",
    "effective_ssh_config",
    "find_keys",
    "generate_key",
    "git_ssh_command",
    "inspect_identity_file",
    "inspect_private_key",
    "inspect_public_key",
    "ssh_command",
    "ssh_version",
    "validate_passphrase",
    "write_ssh_config",
]

IAM_MIN_RSA_BITS = 2048
IAM_MAX_BODY = 16_384
DEFAULT_KEY_NAME = "codecommit_rsa"
MIN_PASSPHRASE = 5


@dataclass(frozen=True)
class KeyInfo:
    """A public key as IAM would judge it.

    `usable` says whether IAM accepts it (and, for a key found on disk,
    whether its private half is beside it); `reason` says why not.
    `public_key` is the OpenSSH one-line text (`ssh-rsa AAAA... comment`).
    """

    path: Path | None
    key_type: str
    bits: int | None
    fingerprint_md5: str
    fingerprint_sha256: str
    comment: str
    usable: bool
    reason: str
    public_key: str
    private_key_path: Path | None = None
    """The private key file beside a `.pub` found on disk, when it exists."""


def inspect_public_key(text: str, path: Path | None = None) -> KeyInfo:
    """Parse an OpenSSH, RFC 4716 or PEM public key and judge it as IAM would.

    Raises `InvalidInput` for a private key, an empty file or text that is
    not a public key.
    """
    where = f" ({path})" if path else ""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(f"the key file is empty{where}", "", "choose the .pub file of a key")
    if is_private_key(stripped):
        raise InvalidInput(
            f"this is a PRIVATE key{where}",
            "only the public half may leave your computer; the private key stays secret",
            "upload the .pub file (the same name with .pub at the end)",
        )
    blob, comment = public_blob(stripped, where)
    return _judge(blob, comment, path)


def inspect_private_key(text: str, path: Path | None = None) -> KeyInfo:
    """The public half of a private key file, judged as IAM would; no passphrase needed.

    OpenSSH and PuTTY (.ppk) files keep the public key in clear text;
    unencrypted PEM keys are read with `cryptography`. Raises `InvalidInput`
    for encrypted PEM keys (keep a .pub beside them) and non-keys.
    """
    where = f" ({path})" if path else ""
    blob, comment = public_blob_of_private(text, where)
    return _replace(_judge(blob, comment, None), private_key_path=path)


def inspect_identity_file(path: Path) -> KeyInfo:
    """What an `IdentityFile` holds: its `.pub` if any, else the private key's public half."""
    public = path.with_name(path.name + ".pub")
    try:
        if public.is_file():
            info = inspect_public_key(public.read_text(encoding="utf-8", errors="replace"), public)
        else:
            info = inspect_private_key(path.read_text(encoding="utf-8", errors="replace"), path)
    except FileNotFoundError:
        raise InvalidInput(
            f"the key file {path} does not exist",
            "the ssh config names a key that is not there",
            "generate the key again, or fix IdentityFile in the ssh config",
        ) from None
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}", exc.strerror or str(exc), "check its permissions"
        ) from None
    return _replace(info, private_key_path=path if path.is_file() else None)


def find_keys(home: Home) -> list[KeyInfo]:
    """Every `*.pub` in the ssh directory, judged; files we cannot parse are listed unusable."""
    if not home.ssh_dir.is_dir():
        return []
    keys: list[KeyInfo] = []
    for public in sorted(home.ssh_dir.glob("*.pub")):
        private = public.with_suffix("")
        private_path = private if private.is_file() else None
        try:
            info = inspect_public_key(public.read_text(encoding="utf-8", errors="replace"), public)
        except InvalidInput as exc:
            keys.append(
                KeyInfo(public, "unknown", None, "", "", "", False, exc.what, "", private_path)
            )
            continue
        if info.usable and private_path is None:
            info = _replace(info, usable=False, reason=f"its private key {private} is missing")
        keys.append(_replace(info, private_key_path=private_path))
    return keys


def generate_key(
    home: Home,
    name: str = DEFAULT_KEY_NAME,
    passphrase: str = "",
    *,
    platform: Platform | None = None,
    env: Mapping[str, str] | None = None,
    comment: str = "codecommit",
) -> KeyInfo:
    """Make an RSA-4096 key pair `<ssh dir>/<name>` with ssh-keygen; never overwrites.

    The passphrase never goes on a command line (other users can read
    those): ssh-keygen writes an unencrypted key in a private temporary
    folder and we encrypt it (PKCS#8, which OpenSSH reads) before it lands.
    """
    platform = platform or Platform.current()
    problem = validate_passphrase(passphrase)
    if problem is not None:
        raise InvalidInput("the passphrase cannot be used", problem, "choose a longer one")
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InvalidInput(f"{name!r} is not a plain file name", "", "use e.g. codecommit_rsa")
    private = home.ssh_dir / name
    public = private.with_name(name + ".pub")
    for existing in (private, public):
        if existing.exists():
            raise InvalidInput(
                f"{existing} already exists",
                "onboard never overwrites a key: another tool or account may use it",
                f"use that key, or choose another name than {name!r}",
            )
    home.ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    keygen = shutil.which(platform.executable("ssh-keygen"), path=(env or os.environ).get("PATH"))
    if keygen is None:
        raise OnboardError(
            "ssh-keygen was not found",
            "it comes with OpenSSH, which git over SSH needs too",
            "install OpenSSH (Windows: the OpenSSH Client optional feature), or use HTTPS",
        )
    with tempfile.TemporaryDirectory(prefix=".onboard-keygen-", dir=home.ssh_dir) as scratch:
        os.chmod(scratch, 0o700)
        scratch_key = Path(scratch) / name
        command = [keygen, "-q", "-t", "rsa", "-b", "4096", "-N", "", "-C", comment]
        result = subprocess.run(
            [*command, "-f", str(scratch_key)],
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        if result.returncode != 0:
            raise OnboardError(
                "ssh-keygen could not make the key",
                (result.stderr or result.stdout).strip() or f"exit code {result.returncode}",
                "run `ssh-keygen -t rsa -b 4096` yourself, then pick the key in onboard",
            )
        private_bytes = scratch_key.read_bytes()
        if passphrase:
            key = serialization.load_ssh_private_key(private_bytes, password=None)
            private_bytes = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
            )
        public_text = scratch_key.with_name(name + ".pub").read_text(encoding="utf-8")
        _write_new(private, private_bytes, 0o600)
        _write_new(public, public_text.encode("utf-8"), 0o644)
    return _replace(inspect_public_key(public_text, public), private_key_path=private)


def validate_passphrase(passphrase: str) -> str | None:
    """None when `passphrase` is empty (no passphrase) or long enough, else why not."""
    if passphrase and len(passphrase) < MIN_PASSPHRASE:
        # ssh-keygen's own rule; we encrypt the key ourselves, so we apply it here.
        return f"A passphrase needs at least {MIN_PASSPHRASE} characters (or leave it empty)."
    if any(char in passphrase for char in "\r\n\0"):
        return "A passphrase cannot contain line breaks."
    return None


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` exclusively (a race with another writer fails, not overwrites)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def _judge(blob: bytes, comment: str, path: Path | None) -> KeyInfo:
    key_type = blob_type(blob)
    encoded = base64.b64encode(blob).decode("ascii")
    public_key = f"{key_type} {encoded}" + (f" {comment}" if comment else "")
    md5 = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    fingerprint_md5 = ":".join(md5[i : i + 2] for i in range(0, len(md5), 2))
    sha = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
    bits: int | None = None
    usable, reason = False, ""
    if key_type == "ssh-rsa":
        try:
            loaded = serialization.load_ssh_public_key(f"ssh-rsa {encoded}".encode("ascii"))
        except ValueError as exc:
            raise not_a_key("", f"the RSA key data is damaged ({exc})") from None
        assert isinstance(loaded, rsa.RSAPublicKey)
        bits = loaded.key_size
        if bits < IAM_MIN_RSA_BITS:
            reason = f"IAM needs at least {IAM_MIN_RSA_BITS} bits; this RSA key has {bits}"
        elif len(public_key) > IAM_MAX_BODY:
            reason = f"IAM takes at most {IAM_MAX_BODY} characters; this key has {len(public_key)}"
        else:
            usable, reason = True, f"RSA {bits} bits: IAM accepts it"
    else:
        reason = (
            f"IAM does not accept this type ({_TYPE_NAMES.get(key_type, key_type)}): "
            "CodeCommit needs an RSA key"
        )
    return KeyInfo(
        path=path,
        key_type=key_type,
        bits=bits,
        fingerprint_md5=fingerprint_md5,
        fingerprint_sha256=f"SHA256:{sha}",
        comment=comment,
        usable=usable,
        reason=reason,
        public_key=public_key,
    )


_TYPE_NAMES = {
    "ssh-ed25519": "ed25519",
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "ssh-dss": "DSA",
    "sk-ssh-ed25519@openssh.com": "ed25519 security key",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA security key",
}


def _replace(info: KeyInfo, **changes: object) -> KeyInfo:
    return replace(info, **changes)  # type: ignore[arg-type]
