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
