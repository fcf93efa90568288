"""`onboard explain`'s input: bounded, any bytes, never a wait on a FIFO or a device."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onboard.cli import main
from onboard.doctor.explain_cli import READ_LIMIT, TEXT_LIMIT

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = "fatal: unable to access 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r/': The requested URL returned error: 403"  # noqa: E501


def onboard(
    *argv: str, stdin: bytes = b"", timeout: int = 30
) -> subprocess.CompletedProcess[bytes]:
    """`onboard` as a process, as a user runs it (a hang fails on the timeout)."""
    code = "import sys; from onboard.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> io.BytesIO:
    raw = io.BytesIO(data)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(raw, encoding="utf-8"))
    return raw


def test_bytes_that_are_not_utf8_are_replaced_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, b"\xff\xfe garbage\n" + FORBIDDEN.encode() + b"\n")
    assert main(["explain", "-"]) == 0
    assert "returned error: 403" in capsys.readouterr().out


def test_stdin_is_read_up_to_the_limit_and_the_end_is_judged(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The error comes last, after a long trace: the part judged is the end.
    raw = _stdin(monkeypatch, b"x" * (READ_LIMIT - 200) + b"\n" + FORBIDDEN.encode() + b"\n" * 5000)
    assert main(["explain", "-"]) == 0
    captured = capsys.readouterr()
    assert "returned error: 403" in captured.out
    assert f"more than {READ_LIMIT // 1024:,} KiB on stdin" in captured.err
    assert f"explain judged its last {TEXT_LIMIT // 1024} KiB" in captured.err
    assert raw.tell() <= READ_LIMIT + 1 + 8192  # stopped reading (one buffer past the cap)


def test_a_long_file_is_cut_to_its_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "output.txt"
    saved.write_text("noise line\n" * 20_000 + FORBIDDEN + "\n")
    assert main(["explain", str(saved)]) == 0
    captured = capsys.readouterr()
    assert "returned error: 403" in captured.out
    assert f"explain judged its last {TEXT_LIMIT // 1024} KiB" in captured.err


def test_a_file_over_the_read_limit_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "huge.txt"
    saved.write_bytes(b"y" * (READ_LIMIT + 1))
    done = onboard("explain", str(saved))
    assert done.returncode == 3
    assert f"{saved} is too large" in done.stderr.decode()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_refused_before_reading() -> None:
    done = onboard("explain", "/dev/zero")
    assert done.returncode == 3
    err = done.stderr.decode()
    assert "/dev/zero is not a regular file" in err and "a device" in err
    assert "Traceback" not in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = onboard("explain", str(fifo))
    assert done.returncode == 3
    assert "a named pipe (FIFO)" in done.stderr.decode()


def test_non_utf8_stdin_as_a_process_exits_cleanly() -> None:
    done = onboard("explain", stdin=b"\xff\xfe\x00 " + FORBIDDEN.encode() + b"\n")
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
