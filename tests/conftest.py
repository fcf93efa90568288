"""Shared fixtures: paths to the shared fixture policies and an isolated home."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboard.home import Home

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "onboard" / "sandbox" / "policies"


@pytest.fixture
def policies_dir() -> Path:
    """The fixture policies (copies of ../shared/policies kept in the package)."""
    return POLICIES


@pytest.fixture
def home(tmp_path: Path) -> Home:
    """An isolated home: nothing a test does reaches the real ~."""
    return Home.sandbox(tmp_path / "home")


# --- the sandbox account (SANDBOX) --------------------------------------------------------------
# moto is imported inside the fixtures so that tests which do not use the
# sandbox never pay for it. One sandbox runs per process at a time.


@pytest.fixture
def sandbox_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start sandboxes: `sandbox_factory("breaks-git", git=True)`; all stopped at teardown."""
    from onboard.sandbox.account import Sandbox

    started: list[Sandbox] = []

    def start(scenario: str = "fresh", *, git: bool = False) -> Sandbox:
        for running in started:
            running.stop()
        sandbox = Sandbox.start(scenario, home_root=tmp_path / f"sandbox-{len(started)}", git=git)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(sandbox_factory):  # type: ignore[no-untyped-def]
    """A running `fresh` sandbox account (AWS APIs only, no git endpoints)."""
    return sandbox_factory("fresh")


@pytest.fixture
def sandbox_with_git(sandbox_factory):  # type: ignore[no-untyped-def]
    """A running `fresh` sandbox account with its git HTTPS/SSH endpoints."""
    return sandbox_factory("fresh", git=True)
