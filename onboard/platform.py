"""The one seam for what differs between macOS, Linux and Windows.

Code that cares about the operating system takes a `Platform` (default:
`Platform.current()`); tests inject each flavour to exercise every branch.
"""

from __future__ import annotations

import platform as _platform
import sys
from dataclasses import dataclass
from typing import Literal

System = Literal["linux", "darwin", "windows"]

# git credential helpers that store passwords: they replay CodeCommit's
# short-lived SigV4 password after it expires (HTTP 403 ~15 minutes later).
_CACHING_HELPERS: dict[str, tuple[str, ...]] = {
    "darwin": ("osxkeychain", "manager", "manager-core", "store", "cache"),
    "windows": ("manager", "manager-core", "wincred", "store", "cache"),
    "linux": ("libsecret", "gnome-keyring", "manager", "manager-core", "store", "cache"),
}


@dataclass(frozen=True)
class Platform:
    """What `onboard` needs to know about the operating system it runs on."""

    system: System
    machine: str = "x86_64"
    """The CPU architecture (`platform.machine()`): x86_64, arm64, aarch64, AMD64."""

    @classmethod
    def current(cls) -> Platform:
        machine = _platform.machine() or "x86_64"
        if sys.platform == "darwin":
            return cls("darwin", machine)
        if sys.platform.startswith("win"):
            return cls("windows", machine)
        return cls("linux", machine)

    @property
    def is_windows(self) -> bool:
        return self.system == "windows"

    @property
    def caching_credential_helpers(self) -> tuple[str, ...]:
        """Credential helpers that may cache CodeCommit's temporary password."""
        return _CACHING_HELPERS[self.system]

    def executable(self, name: str) -> str:
        """The file name of a command-line tool (`ssh` -> `ssh.exe` on Windows)."""
        if self.is_windows and not name.lower().endswith((".exe", ".cmd", ".bat")):
            return "aws.cmd" if name == "aws" else f"{name}.exe"
        return name

    @property
    def default_ssh_flavour(self) -> str:
        """Which ssh git uses by default: OpenSSH everywhere; Windows may use PuTTY's plink."""
        return "openssh"

    @property
    def aws_cli_install_command(self) -> str:
        """The AWS CLI v2 install command AWS documents for this system (one line)."""
        if self.system == "darwin":
            return (
                'curl "https://awscli.amazonaws.com/AWSCLIV2.pkg" -o "AWSCLIV2.pkg" '
                "&& sudo installer -pkg AWSCLIV2.pkg -target /"
            )
        if self.system == "windows":
            return "msiexec.exe /i https://awscli.amazonaws.com/AWSCLIV2.msi"
        arch = "aarch64" if self.machine.lower() in ("aarch64", "arm64") else "x86_64"
        return (
            f'curl "https://awscli.amazonaws.com/awscli-exe-linux-{arch}.zip" -o "awscliv2.zip" '
            "&& unzip awscliv2.zip && sudo ./aws/install"
        )

    @property
    def copy_command(self) -> tuple[str, ...] | None:
        """A clipboard command for 'copy the secret', when the OS has a standard one."""
        if self.system == "darwin":
            return ("pbcopy",)
        if self.system == "windows":
            return ("clip",)
        return None
