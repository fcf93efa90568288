"""What the SSH step writes about keys: list labels, a key missing its .pub, SSH denied."""

from __future__ import annotations

from pathlib import Path

from onboard.home import Home
from onboard.ssh import keys as sshkeys
from onboard.walkthrough.ssh_derive import orphan_keys


def scan_keys(home: Home) -> tuple[list[sshkeys.KeyInfo], list[Path]]:
    """The keys in the ssh folder, and private keys missing their .pub."""
    return sshkeys.find_keys(home), orphan_keys(home)


def key_label(key: sshkeys.KeyInfo) -> str:
    """One line per key: mark, file name, type and size, and IAM's verdict."""
    name = key.path.name if key.path else "(pasted key)"
    mark = "✓" if key.usable else "✗"
    return f"{mark} {name}  {key.reason}"


def orphan_hint(private: Path, free_name: str) -> str:
    """The line offering to derive a missing .pub, or to generate under a free name."""
    name = private.name
    return (
        f"\n{name} has no {name}.pub beside it: press d to derive it from the private "
        f"key (like ssh-keygen -y; a passphrase goes in the field below), or g to "
        f"generate a new key named {free_name}."
    )


def ssh_denied_text(message: str) -> str:
    """Said before any upload when the policy denies git over SSH."""
    return (
        f"Your policy denies git over SSH: {message}. The key can still be "
        "uploaded, but git over SSH will be refused until the administrator changes the "
        "policy. Skip (ctrl+s) to use git-remote-codecommit with your MFA session; the "
        "Git step shows what to ask the administrator."
    )
