"""The walkthrough in a real terminal (tmux), driven by keys as a new hire would press them.

`onboard --sandbox` runs in a tmux pane; the test reads the screen with
`capture-pane`, computes the codes an authenticator app would show from the
secret the app reveals (ctrl+s), clones from a plain shell with the
sandbox's env file while the app runs, and reads the summary the terminal
keeps after the app exits.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


def flatten(screen: str) -> str:
    """The screen's words in one line: panel borders dropped, wrapped sentences joined."""
    return " ".join(re.sub(r"[│╭╮╰╯─▁▔▊▎]", " ", screen).split())


class Pane:
    """One tmux session running `onboard --sandbox`, on a tmux server of its own.

    A private socket (`-L`): when tests run in parallel, one test ending its last
    session stops a shared server while another test is connecting to it.
    """

    def __init__(self, scenario: str, cwd: Path) -> None:
        self.name = f"onboard-e2e-{uuid.uuid4().hex[:8]}"
        self.tmux = ["tmux", "-L", self.name]
        venv_bin = str(Path(sys.executable).parent)
        env = f"PATH={shlex.quote(venv_bin + os.pathsep + os.environ.get('PATH', ''))}"
        command = (  # the pause lets the resize below land before the app reads the size
            f"sleep 1; cd {shlex.quote(str(cwd))} && env {env} TERM=xterm-256color "
            f"{shlex.quote(sys.executable)} -m onboard --sandbox --scenario {scenario}"
        )
        subprocess.run(
            [*self.tmux, "new-session", "-d", "-s", self.name, "-x", "100", "-y", "40", command],
            check=True,
        )
        subprocess.run(
            [*self.tmux, "set-option", "-t", self.name, "remain-on-exit", "on"], check=True
        )
        # Detached sessions start at tmux's default size: make it the size a laptop has.
        subprocess.run(
            [*self.tmux, "resize-window", "-t", self.name, "-x", "100", "-y", "40"], check=True
        )

    def screen(self, history: bool = False) -> str:
        args = [*self.tmux, "capture-pane", "-p", "-J", "-t", self.name]
        if history:
            args += ["-S", "-300"]
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            subprocess.run([*self.tmux, "send-keys", "-t", self.name, key], check=True)
            time.sleep(0.15)

    def type(self, text: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, "-l", text], check=True)
        time.sleep(0.2)

    def wait(self, pattern: str, timeout: float = 60, history: bool = False) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen(history)
            if re.search(pattern, text) or re.search(pattern, flatten(text)):
                return text
            time.sleep(0.3)
        raise AssertionError(f"{pattern!r} never appeared; the screen:\n{text}")

    def wait_gone(self, pattern: str, timeout: float = 30) -> str:
        """Wait until `pattern` is no longer on screen (a dialog has closed)."""
        deadline = time.monotonic() + timeout
        text = self.screen()
        while time.monotonic() < deadline:
            if not re.search(pattern, flatten(text)):
                return text
            time.sleep(0.3)
            text = self.screen()
        raise AssertionError(f"{pattern!r} stayed on screen:\n{text}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], check=False)


@pytest.fixture
def pane_factory(tmp_path: Path) -> Iterator[object]:
    panes: list[Pane] = []

    def start(scenario: str) -> Pane:
        pane = Pane(scenario, tmp_path)
        panes.append(pane)
        return pane

    yield start
    for pane in panes:
        pane.close()


def enroll_and_session(pane: Pane, *, save: bool) -> None:
    """Steps 1-3 by keys: create the device, read its secret, type codes, get a session."""
    pane.wait(r"Step 1 of 7")
    pane.wait(r"Credentials found", timeout=60)
    pane.keys("Enter")
    pane.wait(r"Step 2 of 7")
    pane.wait(r"Create device")
    pane.keys("Enter")
    pane.wait(r"First code")
    pane.keys("C-s")  # the secret, to type by hand (here: to compute the codes)
    screen = pane.wait(r"Secret key:(?s:.*)\(time-based")
    shown = screen.split("Secret key:", 1)[1].split("(time-based", 1)[0]
    # The secret may wrap: keep its groups of base32 letters, line by line beside the form.
    groups = re.findall(r"\b[A-Z2-7]{2,4}\b", shown)
    totp = pyotp.TOTP("".join(groups))
    now = time.time()
    pane.type(totp.at(now - 30))  # six digits move on to the second field by themselves
    pane.type(totp.at(now))
    pane.keys("Enter")
    pane.wait(r"enabled", timeout=60)
    pane.keys("Enter")
    pane.wait(r"Step 3 of 7")
    pane.wait(r"Type the code")
    pane.type(totp.at(time.time() + 30))  # the next code: each code works once
    if save:
        pane.keys("Tab")
        pane.type(" ")  # tick "Save it as profile"
        pane.wait(r"▐✓▌ Save it as profile")
        pane.keys("Tab")  # on to Get session
    pane.keys("Enter")
    pane.wait(r"MFA session ready", timeout=60)
    pane.keys("Enter")
    pane.wait(r"Step 4 of 7")


def env_clone(screen: str, target: Path) -> None:
    """Run the Done screen's `env $(cat FILE) git clone ...` from a plain shell."""
    flat = flatten(screen)
    found = re.search(r"env \$\(cat (\S+)\) (git clone \S+) (\S+)", flat)
    assert found, screen
    env_file, clone, _repo = found.groups()
    run = subprocess.run(
        ["sh", "-c", f"env $(cat {env_file}) GIT_TERMINAL_PROMPT=0 {clone} {target}"],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert (target / ".git").is_dir()


def finish(pane: Pane) -> str:
    pane.keys("Enter")
    return pane.wait(r"onboard: what this run did", timeout=60, history=True)


def test_fresh_with_ssh_then_clone_from_a_shell(pane_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pane = pane_factory("fresh")
    enroll_and_session(pane, save=False)
    pane.wait(r"Press g to generate|generate")
    pane.keys("Tab", "Enter")  # the path field has the focus: passphrase, enter generates
    pane.wait(r"SSH key ready", timeout=90)
    pane.keys("Enter")
    pane.wait(r"Step 5 of 7")
    pane.wait(r"✓ SSH key · recommended", timeout=60)
    pane.keys("C-s")
    pane.wait(r"git is set up for SSH", timeout=60)
    pane.keys("Enter")
    pane.wait(r"git works with CodeCommit", timeout=90)
    pane.keys("Enter")
    screen = pane.wait(r"Step 7 of 7")
    env_clone(screen, tmp_path / "ssh-clone")
    summary = finish(pane)
    assert "uploaded SSH public key" in summary
    assert "git clone ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/" in summary


def test_fresh_with_https_git_credentials_then_clone(pane_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pane = pane_factory("fresh")
    enroll_and_session(pane, save=False)
    pane.keys("C-s")  # skip the SSH key: HTTPS
    pane.wait(r"Step 5 of 7")
    pane.wait(r"recommended", timeout=60)
    pane.keys("Down", "Enter")  # the method after the recommended one: Git credentials
    pane.wait(r"HTTPS Git credentials \(user name \+ password\):")
    pane.keys("C-s")
    pane.wait(r"shown once", timeout=60)
    pane.keys("Escape")
    pane.wait_gone(r"shown once")  # as a person would: once the dialog has gone
    pane.wait(r"git is set up for HTTPS Git credentials")
    pane.keys("Enter")
    pane.wait(r"git works with CodeCommit", timeout=90)
    pane.keys("Enter")
    screen = pane.wait(r"Step 7 of 7")
    env_clone(screen, tmp_path / "https-clone")
    summary = finish(pane)
    assert "created HTTPS Git credentials" in summary


def test_breaks_git_shows_the_admin_request_whose_patch_passes(  # type: ignore[no-untyped-def]
    pane_factory, tmp_path: Path
) -> None:
    pane = pane_factory("breaks-git")
    enroll_and_session(pane, save=False)
    pane.keys("C-s")  # skip the SSH key
    pane.wait(r"Step 5 of 7")
    pane.wait(r"Ask your administrator to apply the patch to ForceMFA \(press a\)", timeout=60)
    pane.keys("a")
    pane.wait(r"Ask your administrator")
    pane.keys("s")
    pane.wait(r"Saved as ")
    pane.keys("Escape")
    saved = tmp_path / "onboard-admin-request-new-hire.md"
    request = saved.read_text()
    fixed = re.search(
        r"The whole fixed policy \(save it as `(\S+)`\):\n\n```json\n(.*?)\n```", request, re.S
    )
    assert fixed, request
    name, document = fixed.groups()
    (tmp_path / name).write_text(json.dumps(json.loads(document)))
    command = re.search(r"```sh\n(onboard policy check .*?)\n```", request)
    assert command, request
    check = subprocess.run(
        [sys.executable, "-m", "onboard", *shlex.split(command.group(1))[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    summary = finish_from_git(pane)
    assert "Your policy blocks" in summary


def finish_from_git(pane: Pane) -> str:
    """Quit from the Git step: ctrl+c quits (no half-enrolled device) and prints the summary."""
    pane.keys("C-c")
    return pane.wait(r"onboard: what this run did", timeout=60, history=True)
