"""SVG snapshots of every screen against the sandbox (deterministic ids, fixed banner).

Update after an intended UI change with:
    .venv/bin/pytest tests/screens/test_snapshots.py --snapshot-update
The QR snapshot shows the sandbox's deterministic test seed, never a real secret.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton

from onboard.home import Home
from onboard.sandbox.account import Sandbox
from onboard.settings import Settings
from screens.app import OnboardApp

from .conftest import make_app, settle
from .flow import enroll, session, to_mfa

Snap = Callable[..., bool]
SIZE = (100, 40)


async def still(pilot: Pilot[object]) -> None:
    """Stop cursor blinking so the picture does not depend on timing."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    # Footer keys follow the screen's state (refresh_bindings) and scrolling to the
    # focused field is scheduled: let both land before the picture, even on a busy CPU.
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()
    await pilot.pause()


async def settled(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await still(pilot)


@pytest.fixture
def fresh(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    # A fixed home per test: Done shows the sandbox env file's path, which must not
    # change from run to run (pytest's tmp_path does).
    root = Path(tempfile.gettempdir()) / f"onboard-snapshot-{request.node.name}"
    shutil.rmtree(root, ignore_errors=True)
    sandbox = Sandbox.start("fresh", home_root=root / "home")
    yield sandbox
    sandbox.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def stale(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox.start("stale-device", home_root=tmp_path / "home")
    yield sandbox
    sandbox.stop()


def test_identity(snap_compare: Snap, fresh: Sandbox) -> None:
    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=settled)


def test_no_credentials(snap_compare: Snap, tmp_path: Path) -> None:
    settings = Settings(
        endpoint_url="http://127.0.0.1:9",
        region="us-east-1",
        home=Home.sandbox(tmp_path / "nohome"),
        environ={"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"},
    )
    assert snap_compare(
        OnboardApp(settings, banner="SANDBOX"), terminal_size=SIZE, run_before=settle
    )


def test_mfa_before_creating(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await to_mfa(pilot.app, pilot)  # type: ignore[arg-type]
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=before)


def test_mfa_qr_code(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await to_mfa(pilot.app, pilot)  # type: ignore[arg-type]
        await pilot.press("enter")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=before)


def test_mfa_qr_code_too_small_80x24(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await to_mfa(pilot.app, pilot)  # type: ignore[arg-type]
        await pilot.press("enter")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=(80, 24), run_before=before)


def test_mfa_stale_device(snap_compare: Snap, stale: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await to_mfa(pilot.app, pilot)  # type: ignore[arg-type]
        await still(pilot)

    assert snap_compare(make_app(stale), terminal_size=SIZE, run_before=before)


def test_session(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await enroll(pilot.app, pilot)  # type: ignore[arg-type]
        await pilot.press("enter")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=before)


def test_sshkey_choices(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        app = pilot.app
        serial = await enroll(app, pilot)  # type: ignore[arg-type]
        await session(app, pilot, fresh, serial)  # type: ignore[arg-type]
        await pilot.press("enter")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=before)


def test_git_choices(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        app = pilot.app
        serial = await enroll(app, pilot)  # type: ignore[arg-type]
        await session(app, pilot, fresh, serial)  # type: ignore[arg-type]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")  # no SSH key: HTTPS
        await settle(pilot)
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=before)


def test_verify_and_done(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        app = pilot.app
        serial = await enroll(app, pilot)  # type: ignore[arg-type]
        await session(app, pilot, fresh, serial)  # type: ignore[arg-type]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        app.screen.query_one("#m-https-helper", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=before)


def test_help(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        await still(pilot)

    assert snap_compare(make_app(fresh), terminal_size=SIZE, run_before=before)
