"""The house rules that keep the core and the UI apart, checked on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_help_imports_neither_textual_boto3_nor_moto() -> None:
    code = (
        "import sys\n"
        "from onboard.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = [m for m in ('textual', 'boto3', 'botocore', 'moto') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == ""


def test_core_source_never_mentions_textual_import() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "onboard").rglob("*.py")
        if "import textual" in path.read_text() or "from textual" in path.read_text()
    ]
    assert offenders == []


def test_fixture_policies_match_shared_copies() -> None:
    shared = ROOT.parent / "shared" / "policies"
    if not shared.is_dir():  # a checkout without ../shared: nothing to compare
        return
    for original in shared.glob("*.json"):
        copy = ROOT / "onboard" / "sandbox" / "policies" / original.name
        assert copy.read_bytes() == original.read_bytes(), original.name


def test_usage_errors_exit_3_not_a_verdict_code() -> None:
    from onboard.cli import main

    try:
        main(["policy", "check", "--no-such-flag", "x"])
    except SystemExit as exc:
        assert exc.code == 3
    else:
        raise AssertionError("argparse should have exited")
