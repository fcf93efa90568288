"""Fuzzing the CLI entry points: no traceback (exit 70), no run over its time limit.

Hypothesis builds command lines for `policy`, `explain`, `mfa` and `sandbox`
(only option errors: a valid `sandbox` would serve until stopped) with
hostile files (deep JSON, 5,000-digit numbers, 0xff bytes, FIFOs, devices,
folders) and hostile stdin. Each run happens in this process with AWS
pointed at a closed port, under a SIGALRM time limit. Example counts are
bounded so the whole file stays within a few tens of seconds on 2 cores.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from onboard.cli import main
from onboard.crash import EXIT_INTERNAL

TIME_LIMIT = 20  # seconds for one command; every run here takes well under one

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM")


class OverTime(Exception):
    """A command ran past TIME_LIMIT."""


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(_signum: int, _frame: Any) -> None:
        raise OverTime(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    os.mkfifo(root / "fifo")
    (root / "folder").mkdir()
    return root


CONTENTS = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.integers(1, 20_000).map(lambda n: (b"[" * n) + (b"]" * n)),
    st.integers(1, 20_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(4_000, 6_000).map(lambda n: b'{"Version": ' + b"9" * n + b"}"),
    st.sampled_from(
        [
            b'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*",'
            b'"Resource":"arn:*********************************x"}]}',
            b"JBSWY3DPEHPK3PXP\xff",
            b"\xef\xbb\xbf{}",
            b'[{"action": "codecommit:GitPull"}]' * 3,
        ]
    ),
)
SPECIAL_PATHS = st.sampled_from(["fifo", "folder", "/dev/zero", "/dev/null", "absent", "-"])
WORDS = st.one_of(
    st.sampled_from(
        ["--json", "--region", "us-east-1", "--method", "ssh", "--user", "x", "--", "-", "--help"]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[list[str], bytes | None, bytes]:
    """(argv with FILE placeholders, file content or None for a special path, stdin)."""
    shape = draw(
        st.sampled_from(
            ["policy check", "policy simulate", "policy fix", "explain", "mfa", "sandbox", "free"]
        )
    )
    content = draw(st.one_of(st.none(), CONTENTS))
    special = draw(SPECIAL_PATHS)
    target = "FILE" if content is not None else special
    extra = draw(st.lists(WORDS, max_size=3))
    if shape.startswith("policy"):
        argv = [*shape.split(), target, *extra]
    elif shape == "explain":
        argv = ["explain", target, *extra]
    elif shape == "mfa":
        codes = draw(st.lists(st.text(max_size=8), min_size=2, max_size=2))
        argv = ["mfa", "resync", "--codes", *codes, "--seed-file", target, *extra]
        argv = draw(st.sampled_from([argv, ["mfa"], ["mfa", *extra]]))
    elif shape == "sandbox":
        argv = draw(
            st.sampled_from(
                [
                    ["sandbox", "--home", "/dev/null"],
                    ["sandbox", "--home", "/dev/null/x"],
                    ["sandbox", "--port", draw(st.text(max_size=6).filter(_not_a_port))],
                    ["sandbox", "--scenario", draw(st.text(max_size=10))],
                    ["sandbox", "--env-file", "FILE"],
                ]
            )
        )
    else:
        argv = extra
    stdin = draw(st.one_of(st.binary(max_size=2_000), CONTENTS))
    return argv, content, stdin


def _not_a_port(text: str) -> bool:
    try:
        return not 0 <= int(text) <= 65535
    except ValueError:
        return True


@contextlib.contextmanager
def isolated_io(stdin: bytes) -> Iterator[tuple[io.TextIOWrapper, io.TextIOWrapper]]:
    saved = sys.stdin, sys.stdout, sys.stderr
    streams = [io.TextIOWrapper(io.BytesIO(), encoding="utf-8") for _ in range(2)]
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = streams
    try:
        yield streams[0], streams[1]
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode("utf-8", "replace")


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=command_lines())
# The cases that once hung or crashed run every time, not only when drawn.
@example(case=(["explain", "fifo"], None, b""))
@example(case=(["explain", "/dev/zero"], None, b""))
@example(case=(["explain", "-"], None, b"fatal: \xff\xfe 403\n"))
@example(case=(["policy", "check", "fifo"], None, b""))
@example(case=(["policy", "simulate", "FILE"], b'[{"action": ' + b"9" * 5_000 + b"}]", b""))
@example(case=(["policy", "simulate", "-"], None, b'{"Version": ' + b"9" * 5_000 + b"}"))
def test_no_traceback_and_no_hang(
    case: tuple[list[str], bytes | None, bytes], arena: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv, content, stdin = case
    file = arena / "input"
    if content is not None:
        file.write_bytes(content)
    argv = [
        str(file)
        if word == "FILE"
        else str(arena / word)
        if word in ("fifo", "folder", "absent")
        else word
        for word in argv
    ]
    crashes = arena / "crashes"
    for name, value in {
        "ONBOARD_CRASH_DIR": str(crashes),
        "HOME": str(arena / "home"),
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": str(arena / "absent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(arena / "absent"),
        "COLUMNS": "100",
    }.items():
        monkeypatch.setenv(name, value)
    started = time.monotonic()
    with isolated_io(stdin) as (out, err), time_limit(TIME_LIMIT):
        try:
            code = main(argv)
        except SystemExit as stop:  # argparse's --help / usage errors
            code = stop.code if isinstance(stop.code, int) else 3
    elapsed = time.monotonic() - started
    errors = _text(err)
    assert "Traceback" not in errors + _text(out), (argv, errors)
    assert code != EXIT_INTERNAL, (argv, errors, list(crashes.glob("*")))
    assert isinstance(code, int) and 0 <= code < 256
    assert elapsed < TIME_LIMIT
