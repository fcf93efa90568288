"""SVG snapshots of step 1's first-key screens: the import form, the save form, a refused key.

The sandbox's new hire key is deterministic; the snapshots also prove the
secret is never drawn. Update after an intended UI change with:
    .venv/bin/pytest tests/screens/test_first_key_snapshots.py --snapshot-update
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from onboard.sandbox.account import Sandbox

from .conftest import settle
from .test_first_key import access_key_csv, bare_app
from .test_snapshots import still

Snap = Callable[..., bool]
SIZE = (100, 40)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Sandbox]:
    sandbox = Sandbox.start("fresh", home_root=tmp_path / "home")
    yield sandbox
    sandbox.stop()


def test_import_form(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await still(pilot)

    assert snap_compare(bare_app(fresh), terminal_size=SIZE, run_before=before)


def test_typed_key_form_hides_the_secret(snap_compare: Snap, fresh: Sandbox) -> None:
    async def before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.click("#src-typed")
        await pilot.pause()
        pilot.app.screen.query_one("#key-id", Input).value = fresh.new_hire.access_key_id
        pilot.app.screen.query_one("#secret", Input).value = fresh.new_hire.secret_access_key
        await still(pilot)

    assert snap_compare(bare_app(fresh), terminal_size=SIZE, run_before=before)


def test_key_accepted_save_form(snap_compare: Snap, fresh: Sandbox) -> None:
    csv = access_key_csv(fresh, fresh.home.root / "new-hire_accessKeys.csv")

    async def before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#csv-path", Input).value = f"~/{csv.name}"
        await pilot.press("enter")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(bare_app(fresh), terminal_size=SIZE, run_before=before)


def test_refused_key(snap_compare: Snap, fresh: Sandbox) -> None:
    csv = fresh.home.root / "old_accessKeys.csv"
    csv.write_text("Access key ID,Secret access key\r\nAKIAOLDKEYDELETED000," + "x" * 40 + "\r\n")

    async def before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        pilot.app.screen.query_one("#csv-path", Input).value = "~/old_accessKeys.csv"
        await pilot.press("enter")
        await settle(pilot)
        await still(pilot)

    assert snap_compare(bare_app(fresh), terminal_size=SIZE, run_before=before)


def test_no_snapshot_holds_the_secret(fresh: Sandbox) -> None:
    """The committed pictures of step 1 (and every other screen) never show the key's secret."""
    secret = fresh.new_hire.secret_access_key
    pictures = list((Path(__file__).parent / "__snapshots__").rglob("*.svg"))
    assert any("first_key" in str(path) for path in pictures)
    for path in pictures:
        text = path.read_text(encoding="utf-8")
        # Textual writes spaces as &#160;: a secret has none, so it would appear whole.
        assert secret not in text, path
