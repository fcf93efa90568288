"""`onboard sandbox` never writes into files it did not create, and SIGTERM always stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]
CODE = "import sys; from onboard.cli import main; sys.exit(main(sys.argv[1:]))"


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CODE, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sandbox", "--home", "/dev/null"], "/dev/null is not a folder"),
        (["sandbox", "--home", "/dev/null/x"], "the sandbox cannot use /dev/null/x"),
    ],
)
def test_bad_home_is_refused_without_traceback(argv: list[str], message: str) -> None:
    done = run_cli(*argv)
    assert "Traceback" not in done.stderr and message in done.stderr
    assert done.returncode == 3


def test_home_with_the_users_files_is_refused_and_untouched(tmp_path: Path) -> None:
    key = tmp_path / ".ssh" / "codecommit_rsa"
    key.parent.mkdir()
    key.write_text("MY KEY")
    done = run_cli("sandbox", "--scenario", "onboarded", "--home", str(tmp_path), "--no-git")
    assert done.returncode == 3 and str(key) in done.stderr
    assert key.read_text() == "MY KEY"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ssh"]


def test_env_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes\n")
    done = run_cli("sandbox", "--no-git", "--env-file", str(precious))
    assert done.returncode == 3 and "is not a sandbox env file" in done.stderr
    assert precious.read_text() == "my notes\n"


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_sigterm_stops_a_frozen_sandbox_and_removes_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    process = subprocess.Popen(
        [sys.executable, "-c", CODE, "sandbox", "--no-git", "--env-file", str(env_file)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_until(env_file.exists, timeout=60)
        assert "ONBOARD_SANDBOX_ADMIN_TOKEN=" in env_file.read_text()
        home = Path(dict(line.split("=", 1) for line in env_file.read_text().split())["HOME"])
        (server,) = _children(process.pid)
        os.kill(server, signal.SIGSTOP)  # the server can no longer react to anything
        started = time.monotonic()
        os.kill(process.pid, signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert time.monotonic() - started < 15
    assert "killed" in err and "Traceback" not in err
    assert not env_file.exists() and not home.exists()
    assert "ONBOARD_SANDBOX_ADMIN_TOKEN" not in out  # the token is in the env file only
    with pytest.raises(ProcessLookupError):
        os.kill(server, 0)
