"""Render SVG screenshots of the walkthrough's main screens, made by the app itself.

Runs the real app against the embedded sandbox (deterministic ids, no AWS
account), walks through the steps as a user would, and saves one SVG per
screen into docs/screenshots/ (or --out). The MFA screen shows the
sandbox's test seed, never a real secret. A test runs this script, so the
pictures in the README cannot silently drift from the app.

    .venv/bin/python docs/make_screenshots.py [--out DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402
from textual.widgets import RadioButton  # noqa: E402
from textual.worker import WorkerFailed, WorkerState  # noqa: E402

from onboard.sandbox.account import Sandbox  # noqa: E402
from screens.app import OnboardApp  # noqa: E402
from screens.widgets.code_input import CodeInput  # noqa: E402

SIZE = (100, 40)
SCREENS = (
    "1-identity",
    "2-mfa-qr",
    "3-session",
    "4-sshkey",
    "5-git",
    "6-verify",
    "7-done",
    "8-admin-request",
)


async def settle(pilot: Pilot[object]) -> None:
    """Wait until every worker finished and its result is on screen."""
    app = pilot.app
    for _ in range(200):
        with contextlib.suppress(WorkerFailed):  # failures are shown by the app itself
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            await pilot.pause()
            return
    raise RuntimeError("the app kept working")


async def shoot(sandbox: Sandbox, out: Path, size: tuple[int, int] = SIZE) -> list[Path]:
    """Walk the fresh sandbox account through every step, saving a screenshot of each."""
    app = OnboardApp(sandbox.settings(), banner="SANDBOX (fresh)")
    saved: list[Path] = []

    def save(name: str) -> None:
        saved.append(Path(app.save_screenshot(f"{name}.svg", str(out))))

    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        save("1-identity")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # create the device
        await settle(pilot)
        save("2-mfa-qr")
        serial = sandbox.mfa_serial
        now = time.time()
        for field, at in (("#code1", now - 30), ("#code2", now)):
            app.screen.query_one(field, CodeInput).value = sandbox.totp_now(serial, at=at)
        app.screen.query_one("#code2", CodeInput).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        save("3-session")
        code = app.screen.query_one("#code", CodeInput)
        code.value = sandbox.totp_now(serial, at=time.time() + 30)
        code.focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        save("4-sshkey")
        app.screen.query_one("#keys").focus()
        await pilot.press("g")  # generate codecommit_rsa and upload it
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#m-https-helper", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        save("5-git")
        await pilot.press("enter")
        await settle(pilot)
        save("6-verify")
        await pilot.press("enter")
        await settle(pilot)
        save("7-done")
        app.exit(0)
    return saved


async def shoot_admin_request(
    sandbox: Sandbox, out: Path, size: tuple[int, int] = SIZE
) -> list[Path]:
    """On `breaks-git`: through the session to the Git step, then the admin request (a)."""
    app = OnboardApp(sandbox.settings(), banner="SANDBOX (breaks-git)")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # create the device
        await settle(pilot)
        serial, now = sandbox.mfa_serial, time.time()
        for field, at in (("#code1", now - 30), ("#code2", now)):
            app.screen.query_one(field, CodeInput).value = sandbox.totp_now(serial, at=at)
        app.screen.query_one("#code2", CodeInput).focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        code = app.screen.query_one("#code", CodeInput)
        code.value = sandbox.totp_now(serial, at=time.time() + 30)
        code.focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")  # skip the SSH key
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        path = Path(app.save_screenshot("8-admin-request.svg", str(out)))
        app.exit(0)
    return [path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the walkthrough's screenshots.")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--size", default="100x40", help="terminal WIDTHxHEIGHT (default 100x40)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onboard-shots-") as scratch:
        sandbox = Sandbox.start("fresh", home_root=Path(scratch) / "home")
        width, _, height = args.size.partition("x")
        size = (int(width), int(height))
        try:
            saved = asyncio.run(shoot(sandbox, args.out, size))
        finally:
            sandbox.stop()
        blocked = Sandbox.start("breaks-git", home_root=Path(scratch) / "home-breaks-git")
        try:
            saved += asyncio.run(shoot_admin_request(blocked, args.out, size))
        finally:
            blocked.stop()
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
