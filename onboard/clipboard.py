"""Copy text (the MFA secret for manual entry) to the system clipboard.

The text goes through the copy tool's stdin, never its command line (other
users can read command lines). Terminals that support OSC 52 get it from the
TUI as well; this covers the ones that do not.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

from onboard.platform import Platform

# Linux has no standard tool: the first one installed wins (Wayland, then X11).
_LINUX_TOOLS: tuple[tuple[str, ...], ...] = (
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
)


def copy_command(platform: Platform, env: Mapping[str, str]) -> tuple[str, ...] | None:
    """The clipboard command available here, or None."""
    candidates = (platform.copy_command,) if platform.copy_command else _LINUX_TOOLS
    for command in candidates:
        if command and shutil.which(command[0], path=env.get("PATH")):
            return command
    return None


def copy_text(text: str, platform: Platform, env: Mapping[str, str]) -> bool:
    """Put `text` on the clipboard; False when no tool is available or it failed."""
    command = copy_command(platform, env)
    if command is None:
        return False
    executable = shutil.which(command[0], path=env.get("PATH"))
    if executable is None:
        return False
    try:
        result = subprocess.run(
            [executable, *command[1:]],
            input=text,
            text=True,
            env=dict(env),
            capture_output=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0
