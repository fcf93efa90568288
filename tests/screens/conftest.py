"""Fixtures for the walkthrough's Pilot tests: a real sandbox account per test."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyotp
import pytest
from textual.pilot import Pilot
from textual.worker import WorkerFailed, WorkerState

from onboard.sandbox.account import Sandbox
from onboard.secret import Secret
from screens.app import OnboardApp

StartSandbox = Callable[..., Sandbox]


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[StartSandbox]:
    """Start the embedded sandbox (one per test; stopped afterwards)."""
    started: list[Sandbox] = []

    def start(scenario: str = "fresh") -> Sandbox:
        sandbox = Sandbox.start(scenario, home_root=tmp_path / "home")
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


def make_app(sandbox: Sandbox, clock: Callable[[], float] = time.time) -> OnboardApp:
    """The walkthrough against a sandbox, with a fixed banner (snapshots stay stable).

    PATH starts with this venv's bin (the AWS CLI and git-remote-codecommit
    are test dependencies), so what the app finds installed does not depend
    on whether the venv was activated.
    """
    settings = sandbox.settings()
    environ = dict(settings.environ or os.environ)
    venv_bin = str(Path(sys.executable).parent)
    environ["PATH"] = venv_bin + os.pathsep + environ.get("PATH", "")
    return OnboardApp(settings.replace(environ=environ), banner="SANDBOX", clock=clock)


async def settle(pilot: Pilot[object], rounds: int = 200) -> None:
    """Wait until no worker runs and every resulting message was handled."""
    app = pilot.app
    for _ in range(rounds):
        with contextlib.suppress(WorkerFailed):  # failures are the screens' business
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers kept running")


def codes_for(seed: str | Secret, now: float, offset_steps: int = 0) -> tuple[str, str]:
    """Two consecutive codes as a phone would show them, ending `offset_steps` from now."""
    totp = pyotp.TOTP(seed.reveal() if isinstance(seed, Secret) else seed)
    last = now + offset_steps * 30
    return totp.at(last - 30), totp.at(last)
