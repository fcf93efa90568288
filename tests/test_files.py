"""Atomic, idempotent, byte-preserving edits of the user's config files."""

from __future__ import annotations

import stat
from pathlib import Path

from onboard.files import atomic_write, has_block, read_text, remove_block, upsert_block


def test_atomic_write_backs_up_and_is_idempotent(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("Host other\n  User me\n")
    first = atomic_write(target, "new\n")
    assert first.changed and first.backup is not None
    assert first.backup.read_text() == "Host other\n  User me\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = atomic_write(target, "new\n")
    assert not again.changed and again.backup is None


def test_upsert_block_keeps_other_bytes_and_replaces_in_place() -> None:
    original = "Host a\r\n  User x\r\n\r\n# trailing comment\r\n"
    once = upsert_block(original, "codecommit", "Host git-codecommit.*\n  User APKA1")
    assert once.startswith(original)
    assert "\r\n  User APKA1\r\n" in once
    twice = upsert_block(once, "codecommit", "Host git-codecommit.*\n  User APKA2")
    assert twice.count("onboard: codecommit >>>") == 1
    assert "APKA1" not in twice and twice.startswith(original)
    assert remove_block(twice, "codecommit").rstrip("\r\n") == original.rstrip("\r\n")
    assert has_block(twice, "codecommit") and not has_block(original, "codecommit")


def test_prepend_puts_block_before_catch_all() -> None:
    text = upsert_block("Host *\n  User everyone\n", "cc", "Host git\n  User K", prepend=True)
    assert text.index("Host git") < text.index("Host *")


def test_read_text_missing_is_empty(tmp_path: Path) -> None:
    assert read_text(tmp_path / "absent") == ""


def test_remove_block_undoes_upsert_exactly() -> None:
    for original in ("Host *\n  User everyone\n", "a\r\nb\r\n", "no newline"):
        for prepend in (True, False):
            added = upsert_block(original, "cc", "Host git\n  User K", prepend=prepend)
            expected = original
            if not prepend and not original.endswith("\n"):
                expected += "\n"  # the final newline upsert had to add stays
            assert remove_block(added, "cc") == expected, (original, prepend)
