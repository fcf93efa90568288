"""End to end in a real terminal (tmux): an empty home and the administrator's CSV, to step 2.

The sandbox runs as its own process (`onboard sandbox --env-file`), reached
only through AWS_ENDPOINT_URL, as a laptop would reach AWS; `onboard` runs
in a tmux pane with HOME pointing at an empty folder and no key anywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal"),
]


@pytest.fixture
def sandbox_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A sandbox server in its own process; its NAME=value lines."""
    env_file = tmp_path / "sandbox.env"
    server = subprocess.Popen(
        [str(VENV_BIN / "onboard"), "sandbox", "--no-git", "--env-file", str(env_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 120
        while not env_file.exists():
            assert server.poll() is None, "the sandbox server stopped"
            assert time.monotonic() < deadline, "the sandbox server did not start"
            time.sleep(0.2)
        lines = env_file.read_text().splitlines()
        yield dict(line.split("=", 1) for line in lines if "=" in line)
    finally:
        server.terminate()
        server.wait(timeout=30)


class Pane:
    """One tmux pane on a private server socket (nothing else's tmux is touched)."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.screens: list[str] = []

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return result.stdout

    def text(self) -> str:
        screen = self.tmux("capture-pane", "-p", "-t", "app")
        self.screens.append(screen)
        return screen

    def wait_for(self, words: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.text()
            if words in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{words!r} never appeared; the screen was:\n{self.text()}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "app", *keys)


def test_empty_home_to_step_2_with_the_administrators_csv(
    sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "laptop"
    (home / "Downloads").mkdir(parents=True)
    key_id, secret = sandbox_env["AWS_ACCESS_KEY_ID"], sandbox_env["AWS_SECRET_ACCESS_KEY"]
    csv = home / "Downloads" / "new-hire_accessKeys.csv"
    # As the IAM console writes it: a byte-order mark and Windows line endings.
    csv.write_bytes(f"\ufeffAccess key ID,Secret access key\r\n{key_id},{secret}\r\n".encode())
    environment = {
        "HOME": str(home),
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": sandbox_env["AWS_ENDPOINT_URL"],
        "AWS_DEFAULT_REGION": sandbox_env["AWS_DEFAULT_REGION"],
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    command = [
        "env",
        "-i",
        *(f"{k}={v}" for k, v in environment.items()),
        str(VENV_BIN / "onboard"),
    ]
    pane = Pane(f"onboard-test-{os.getpid()}")
    pane.tmux("new-session", "-d", "-s", "app", "-x", "100", "-y", "40", *command)
    try:
        pane.wait_for("No AWS credentials on this computer yet")
        pane.wait_for("CSV file")
        pane.keys("-l", "~/Downloads/new-hire_accessKeys.csv")
        pane.keys("Enter")
        screen = pane.wait_for("AWS accepted the key")
        assert "new-hire" in screen and "123456789012" in screen
        assert not (home / ".aws" / "credentials").exists()  # checked, not saved yet
        pane.keys("Enter")  # Save (focused), as `default` in the likely region
        pane.wait_for("Delete ~/Downloads/new-hire_accessKeys.csv?")
        pane.keys("y")
        pane.wait_for("Credentials found")
        pane.keys("Enter")  # Continue
        pane.wait_for("Step 2 of 7")
    finally:
        pane.tmux("kill-server")
    assert not csv.exists()
    credentials = (home / ".aws" / "credentials").read_text()
    assert "[default]" in credentials and key_id in credentials
    assert (home / ".aws" / "credentials").stat().st_mode & 0o777 == 0o600
    assert "region = us-east-1" in (home / ".aws" / "config").read_text()
    for screen in pane.screens:
        assert secret not in screen
