"""docs/make_screenshots.py keeps running: the README's pictures come from the app itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
def test_screenshot_script_renders_every_main_screen(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_screenshots.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = sorted(path.stem for path in tmp_path.glob("*.svg"))
    assert names == [
        "1-identity",
        "2-mfa-qr",
        "3-session",
        "4-sshkey",
        "5-git",
        "6-verify",
        "7-done",
        "8-admin-request",
    ]
    # The breaks-git picture is the request a blocked new hire sends the administrator.
    admin = (tmp_path / "8-admin-request.svg").read_text()
    assert "Ask&#160;your&#160;administrator" in admin
    for number, name in enumerate(names[:7], start=1):
        svg = (tmp_path / f"{name}.svg").read_text()
        assert svg.startswith("<svg")
        assert f"Step&#160;{number}&#160;of&#160;7" in svg
    # The verify picture shows git really working, not a placeholder.
    assert "refs/heads/main" in (tmp_path / "6-verify.svg").read_text()
    # The committed pictures exist for the README.
    assert sorted(p.stem for p in (ROOT / "docs" / "screenshots").glob("*.svg")) == names
