"""A private key without its `.pub`: derive the public half, or pick a free name.

Like `ssh-keygen -y -f KEY > KEY.pub`, done with `cryptography` so it needs
no terminal for a passphrase (the passphrase field gives it). The `.pub`
is new (0644); the private key is only read.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from onboard.errors import InvalidInput
from onboard.files import atomic_write
from onboard.home import Home
from onboard.ssh import keys as sshkeys

_SKIP = {"config", "known_hosts", "known_hosts.old", "authorized_keys", "environment"}


def orphan_keys(home: Home) -> list[Path]:
    """Private key files in the ssh folder whose `.pub` is missing."""
    folder = home.ssh_dir
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".pub" or path.name in _SKIP or not path.is_file():
            continue
        if path.with_name(path.name + ".pub").exists():
            continue
        try:
            head = path.read_bytes()[:64]
        except OSError:
            continue
        if head.startswith(b"-----BEGIN") and b"PRIVATE KEY" in head:
            found.append(path)
    return found


def derive_public_key(private: Path, passphrase: str = "") -> sshkeys.KeyInfo:
    """Write `<private>.pub` from the private key (as `ssh-keygen -y` does) and judge it."""
    data = private.read_bytes()
    password = passphrase.encode("utf-8") or None
    try:
        try:
            key = serialization.load_ssh_private_key(data, password=password)
        except ValueError:
            key = serialization.load_pem_private_key(data, password=password)  # type: ignore[assignment]
    except TypeError as exc:  # encrypted and no passphrase, or the other way round
        raise InvalidInput(
            f"{private} is protected by a passphrase",
            "the public half can only be read with it",
            "type the key's passphrase in the Passphrase field, then press d again",
        ) from exc
    except ValueError as exc:
        raise InvalidInput(
            f"cannot read the private key {private}",
            "wrong passphrase, or not a key OpenSSH or PEM format holds",
            "check the passphrase, or generate a new key (g)",
        ) from exc
    if not isinstance(key, RSAPrivateKey):
        raise InvalidInput(
            f"{private} is not an RSA key",
            "IAM accepts only RSA keys for CodeCommit",
            "generate a new key (g)",
        )
    line = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    public = private.with_name(private.name + ".pub")
    text = line.decode("ascii") + f" {private.name}\n"
    atomic_write(public, text, mode=0o644, backup=False)
    info = sshkeys.inspect_public_key(text, public)
    return replace(info, private_key_path=private)


def free_key_name(home: Home, base: str = sshkeys.DEFAULT_KEY_NAME) -> str:
    """`codecommit_rsa`, else the first `codecommit_rsa_N` with neither file taken."""
    for number in range(1, 100):
        name = base if number == 1 else f"{base}_{number}"
        private = home.ssh_dir / name
        if not private.exists() and not private.with_name(name + ".pub").exists():
            return name
    raise InvalidInput("no free key name", f"{base}_2 to {base}_99 are taken", "tidy ~/.ssh")
