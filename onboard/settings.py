"""Options resolved once at start-up into a frozen value passed everywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from onboard.home import Home
from onboard.platform import Platform


@dataclass(frozen=True)
class Settings:
    """Who and where `onboard` works for this run.

    `profile`/`region` are what the user asked for (None: boto3's own
    resolution decides). `endpoint_url` is set for the sandbox. `helpdesk`
    holds the admin credentials' profile or None.
    """

    profile: str | None = None
    region: str | None = None
    sandbox: bool = False
    scenario: str = "fresh"
    endpoint_url: str | None = None
    home: Home = field(default_factory=Home.current)
    platform: Platform = field(default_factory=Platform.current)
    repo: str | None = None
    environ: dict[str, str] | None = None
    """Environment for boto3 and subprocesses; None means os.environ."""

    def env(self) -> dict[str, str]:
        """The environment subprocesses (git, ssh, aws) run with."""
        return self.home.env(dict(os.environ) if self.environ is None else self.environ)

    def with_home(self, root: Path) -> Settings:
        return replace(self, home=Home.sandbox(root))

    def replace(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]
