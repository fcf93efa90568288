"""The clipboard copy: the platform's tool gets the secret on stdin, never on its argv."""

from __future__ import annotations

import stat
from pathlib import Path

from onboard.clipboard import copy_command, copy_text
from onboard.platform import Platform

SECRET = "JBSWY3DPEHPK3PXP"


def fake_tool(folder: Path, name: str) -> Path:
    """A stand-in clipboard tool that records its arguments and its stdin."""
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text(f'#!/bin/sh\necho "$@" > "{folder}/argv"\n/bin/cat > "{folder}/stdin"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


def test_macos_uses_pbcopy_with_the_secret_on_stdin(tmp_path: Path) -> None:
    fake_tool(tmp_path, "pbcopy")
    env = {"PATH": str(tmp_path)}
    assert copy_command(Platform("darwin"), env) == ("pbcopy",)
    assert copy_text(SECRET, Platform("darwin"), env)
    assert (tmp_path / "stdin").read_text() == SECRET
    assert SECRET not in (tmp_path / "argv").read_text()


def test_linux_picks_the_first_installed_tool(tmp_path: Path) -> None:
    fake_tool(tmp_path, "xclip")
    env = {"PATH": str(tmp_path)}
    assert copy_command(Platform("linux"), env) == ("xclip", "-selection", "clipboard")
    assert copy_text(SECRET, Platform("linux"), env)
    assert (tmp_path / "argv").read_text().strip() == "-selection clipboard"


def test_no_tool_means_false_not_an_error(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path)}
    assert copy_command(Platform("windows"), env) is None
    assert copy_text(SECRET, Platform("windows"), env) is False
