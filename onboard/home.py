"""Where the files `onboard` reads and writes live.

Production code never writes `~` or `Path.home()` itself: it takes a `Home`.
The sandbox swaps in a throw-away home so it never touches the user's own
`~/.ssh`, `~/.gitconfig` or `~/.aws`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Home:
    """The user's home directory and the config files `onboard` knows in it."""

    root: Path
    isolated: bool = False
    """True for a sandbox home: subprocesses get HOME and the git/aws file
    variables pointed here so that nothing outside it is read or written."""

    @classmethod
    def current(cls) -> Home:
        """The real home of the user running `onboard`."""
        return cls(Path.home())

    @classmethod
    def sandbox(cls, root: Path) -> Home:
        """An isolated home (created if missing) for the embedded sandbox."""
        root.mkdir(parents=True, exist_ok=True)
        (root / ".ssh").mkdir(mode=0o700, exist_ok=True)
        (root / ".aws").mkdir(mode=0o700, exist_ok=True)
        return cls(root, isolated=True)

    @property
    def ssh_dir(self) -> Path:
        return self.root / ".ssh"

    @property
    def ssh_config(self) -> Path:
        return self.ssh_dir / "config"

    @property
    def known_hosts(self) -> Path:
        return self.ssh_dir / "known_hosts"

    @property
    def aws_dir(self) -> Path:
        return self.root / ".aws"

    @property
    def aws_config(self) -> Path:
        if not self.isolated and os.environ.get("AWS_CONFIG_FILE"):
            return Path(os.environ["AWS_CONFIG_FILE"]).expanduser()
        return self.aws_dir / "config"

    @property
    def aws_credentials(self) -> Path:
        if not self.isolated and os.environ.get("AWS_SHARED_CREDENTIALS_FILE"):
            return Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).expanduser()
        return self.aws_dir / "credentials"

    @property
    def gitconfig(self) -> Path:
        """The global git config file `git config --global` writes."""
        if not self.isolated and os.environ.get("GIT_CONFIG_GLOBAL"):
            return Path(os.environ["GIT_CONFIG_GLOBAL"]).expanduser()
        return self.root / ".gitconfig"

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for subprocesses (git, ssh, aws) that should see this home.

        For the real home it is the environment as it is. For an isolated
        home, HOME (and USERPROFILE for Windows tools) point here, and git's
        system config is ignored so the developer's own settings cannot leak in.
        """
        env = dict(os.environ if base is None else base)
        if self.isolated:
            env["HOME"] = str(self.root)
            env["USERPROFILE"] = str(self.root)
            env["GIT_CONFIG_GLOBAL"] = str(self.gitconfig)
            env["GIT_CONFIG_NOSYSTEM"] = "1"
            env["AWS_CONFIG_FILE"] = str(self.aws_config)
            env["AWS_SHARED_CREDENTIALS_FILE"] = str(self.aws_credentials)
        return env
