"""The edit core's promises: locks, atomic backups, read-only files, bytes kept, bounded reads."""

from __future__ import annotations

import io
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from onboard import files, locks
from onboard.errors import ConfigFileError, InvalidInput
from onboard.files import (
    BACKUP_SUFFIX,
    TEMP_SUFFIX,
    atomic_write,
    edit_file,
    read_bounded,
    read_stream,
    read_text,
    upsert_block,
)
from onboard.home import Home
from onboard.ssh.config import managed_block, write_ssh_config


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((TEMP_SUFFIX, ".lock")))


def test_read_only_file_is_refused_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("mine\n")
    target.chmod(0o400)
    with pytest.raises(ConfigFileError) as caught:
        atomic_write(target, "theirs\n")
    assert "read-only (mode 0400)" in caught.value.what
    assert "chmod u+w" in caught.value.next_step
    assert target.read_text() == "mine\n" and stat.S_IMODE(target.stat().st_mode) == 0o400
    assert leftovers(tmp_path) == [] and not (tmp_path / ("config" + BACKUP_SUFFIX)).exists()


def test_non_utf8_bytes_in_comments_survive_byte_for_byte(home: Home) -> None:
    original = b"# caf\xe9 \xff\xfe latin-1 comment\nHost other\n  User me # \x80\n"
    home.ssh_config.write_bytes(original)
    write_ssh_config(home, "APKAEXAMPLE1", home.ssh_dir / "codecommit_rsa", (9, 2))
    data = home.ssh_config.read_bytes()
    assert data.endswith(b"\n" + original)
    assert b"User APKAEXAMPLE1" in data
    backup = home.ssh_config.with_name("config" + BACKUP_SUFFIX)
    assert backup.read_bytes() == original


def test_commented_out_old_block_is_not_the_managed_block(home: Home) -> None:
    old = (
        "# # >>> onboard: codecommit >>>\n# Host git-codecommit.*.amazonaws.com\n"
        "#   User APKAOLD\n# # <<< onboard: codecommit <<<\nHost *\n  User me\n"
    )
    home.ssh_config.write_text(old)
    assert managed_block(home) is None
    write_ssh_config(home, "APKANEW1", home.ssh_dir / "codecommit_rsa", (9, 2))
    text = home.ssh_config.read_text()
    assert text.endswith(old)  # the user's commented lines stay, untouched
    assert "User APKANEW1" in (managed_block(home) or "")


def test_start_marker_without_end_is_refused_not_guessed() -> None:
    text = "# >>> onboard: cc >>>\nHost a\n"
    with pytest.raises(ConfigFileError, match="no end line"):
        upsert_block(text, "cc", "Host b")


def test_first_backup_is_kept_and_written_0600(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    target.write_text("[default]\nkey = before-onboard\n")
    target.chmod(0o644)
    atomic_write(target, "one\n")
    atomic_write(target, "two\n")
    backup = tmp_path / ("credentials" + BACKUP_SUFFIX)
    assert backup.read_text() == "[default]\nkey = before-onboard\n"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert target.read_text() == "two\n" and leftovers(tmp_path) == []


def test_backup_temp_has_final_mode_from_first_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "credentials"
    target.write_text("secret\n")
    target.chmod(0o644)
    seen: list[int] = []
    real_write = os.write

    def spy(fd: int, data: bytes) -> int:
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))  # the mode when each byte lands
        return real_write(fd, data)

    monkeypatch.setattr(files.os, "write", spy)
    old_umask = os.umask(0)
    try:
        atomic_write(target, "new\n")
    finally:
        os.umask(old_umask)
    assert seen == [0o600, 0o600]  # the backup's temp file, then the file's


def test_temp_file_removed_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "config"
    target.write_text("old\n")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(ConfigFileError, match="No space left"):
        atomic_write(target, "new\n", backup=False)
    assert target.read_text() == "old\n" and leftovers(tmp_path) == []


def test_change_that_refuses_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("old\n")

    def refuse(_text: str) -> str:
        raise ConfigFileError("no")

    with pytest.raises(ConfigFileError):
        edit_file(target, refuse)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config"]


def test_leftover_temp_file_of_a_killed_run_is_removed_with_a_note(tmp_path: Path) -> None:
    target = tmp_path / "config"
    target.write_text("old\n")
    (tmp_path / ("config" + TEMP_SUFFIX)).write_text("half writ")
    result = atomic_write(target, "new\n")
    assert leftovers(tmp_path) == []
    assert any("stopped" in note for note in result.notes)


def test_stale_git_lock_is_recovered_with_a_note(tmp_path: Path) -> None:
    target = tmp_path / ".gitconfig"
    target.write_text("[user]\n\tname = me\n")
    lock = tmp_path / ".gitconfig.lock"
    lock.write_text("partial")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    result = edit_file(target, lambda t: t + "[x]\n\ty = 1\n", git_lock=True)
    assert result.changed and not lock.exists()
    assert any(".gitconfig.lock" in note and "stopped" in note for note in result.notes)


def test_fresh_git_lock_is_waited_for(tmp_path: Path) -> None:
    target = tmp_path / ".gitconfig"
    target.write_text("")
    lock = tmp_path / ".gitconfig.lock"
    lock.write_text("git is writing")
    threading.Timer(0.3, lock.unlink).start()
    started = time.monotonic()
    result = edit_file(target, lambda t: "[a]\n\tb = c\n", git_lock=True, mode=None)
    assert result.changed and time.monotonic() - started >= 0.25
    assert result.notes == ()  # git's own lock, released in time: nothing to report


def test_git_lock_held_too_long_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / ".gitconfig"
    (tmp_path / ".gitconfig.lock").write_text("")
    with pytest.raises(ConfigFileError, match="git is editing"):
        locks.create_exclusive(target, ".lock", 0o600, [], stale_after=60, timeout=0.2)


def test_symlinked_file_is_edited_where_it_lives(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config"
    real.parent.mkdir()
    real.write_text("a\n")
    link = tmp_path / "config"
    link.symlink_to(real)
    atomic_write(link, "b\n")
    assert link.is_symlink() and real.read_text() == "b\n"


def test_folder_lock_excludes_other_threads_and_is_reentrant(tmp_path: Path) -> None:
    order: list[str] = []
    with locks.folder_lock(tmp_path):
        with locks.folder_lock(tmp_path):  # re-entrant in one thread
            pass

        def other() -> None:
            with locks.folder_lock(tmp_path):
                order.append("other")

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(5)
    assert order == ["first", "other"]


def test_read_bounded_refuses_fifo_device_folder_and_large_files(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(InvalidInput, match="named pipe"):
        read_bounded(fifo, 1000)
    assert time.monotonic() - started < 2  # no wait for a writer
    with pytest.raises(InvalidInput, match="a device"):
        read_bounded(Path("/dev/zero"), 1000)
    with pytest.raises(InvalidInput, match="a folder"):
        read_bounded(tmp_path, 1000)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 1001)
    with pytest.raises(InvalidInput, match="too large"):
        read_bounded(big, 1000)
    with pytest.raises(InvalidInput, match="does not exist"):
        read_bounded(tmp_path / "absent", 1000)
    assert read_bounded(big, 1001) == b"x" * 1001


def test_read_text_of_a_config_that_is_a_fifo_is_an_error(tmp_path: Path) -> None:
    fifo = tmp_path / "config"
    os.mkfifo(fifo)
    with pytest.raises(ConfigFileError, match="not a regular file"):
        read_text(fifo)
    with pytest.raises(ConfigFileError, match="not a regular file"):
        atomic_write(fifo, "x")


def test_read_stream_cuts_at_the_limit() -> None:
    assert read_stream(io.BytesIO(b"abc"), 10) == (b"abc", False)
    assert read_stream(io.BytesIO(b"a" * 11), 10) == (b"a" * 10, True)
    with open("/dev/zero", "rb") as zero:  # endless input: read stops at the limit
        data, cut = read_stream(zero, 1 << 20)
    assert len(data) == 1 << 20 and cut
