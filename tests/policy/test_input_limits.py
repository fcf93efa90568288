"""Hostile input to the policy commands: refused fast, exit 3, one line, never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from onboard.policy import PolicyError, parse_policy
from onboard.policy import simulate as simulate_module
from onboard.policy.document import MAX_POLICY_CHARACTERS
from onboard.policy.jsonio import loads, read_limited

from .test_cli import OK, run

ROOT = Path(__file__).resolve().parents[2]


def onboard(*argv: str, stdin: bytes | None = None, timeout: int = 60) -> tuple[int, str]:
    """Run `onboard` as a process, as a user would; returns (exit code, stderr)."""
    code = "import sys; from onboard.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stderr.decode()


@pytest.mark.parametrize("command", [["simulate"], ["check"], ["fix"]])
def test_dev_zero_is_refused_at_the_first_byte(command: list[str]) -> None:
    code, err = onboard("policy", *command, "/dev/zero", timeout=30)
    assert code == 3, err
    assert "/dev/zero: not JSON: it starts with byte 0x00" in err
    assert "Traceback" not in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("command", [["simulate"], ["check"], ["fix"]])
def test_a_fifo_without_writer_is_refused_not_waited_on(command: list[str], tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, err = onboard("policy", *command, str(fifo), timeout=30)
    assert code == 3, err
    assert f"{fifo}: a named pipe (FIFO) with no writer: nothing to read" in err


@pytest.mark.skipif(not Path("/dev/fd").is_dir(), reason="needs /dev/fd")
def test_a_pipe_with_a_writer_is_still_read() -> None:
    # `onboard policy check <(aws iam get-policy-version ...)` hands over /dev/fd/N, a pipe.
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]}
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, json.dumps(document).encode())
        os.close(write_end)
        assert json.loads(read_limited(f"/dev/fd/{read_end}", 10_000, "a policy")) == document
    finally:
        os.close(read_end)


def test_stdin_over_the_batch_cap_stops_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    # A valid-looking start, then more than the cap: refused without reading it all.
    stream = io.BytesIO(b"[" + b" " * 5_000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
    with pytest.raises(PolicyError, match=r"<stdin>: over 1,000 bytes, larger than a batch"):
        read_limited("-", 1_000, "a batch")
    assert stream.tell() < 5_000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 5_000 + "]" * 5_000, "nested too deeply"),
        ("9" * 5_000, "<stdin>: must be a JSON list or object, but it starts with '9'"),
        ("\x00\x01", "<stdin>: not JSON: it starts with byte 0x00, expected '[' or '{'"),
        ('{"requests": [], "policies": 1e999}', "a number too large"),
        ('[{"action": "s3:Get",}]', "1:22: invalid JSON: Expecting property name"),
        # Lone halves of a UTF-16 pair: JSON the standard library takes, text it is not.
        (
            '[\n {"action": "s3:x", "resource": "a\\ud800"}]',
            "<stdin>:2:35: invalid JSON: \\ud800 is half of a UTF-16 surrogate pair",
        ),
        ('[{"id": "\\udc00"}]', "1:10: invalid JSON: \\udc00 is half of a UTF-16 surrogate"),
    ],
)
def test_bad_json_is_one_line_and_exit_3(text: str, message: str) -> None:
    code, err = onboard("policy", "simulate", "-", stdin=text.encode())
    assert code == 3 and message in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_escaped_backslash_or_a_whole_pair_is_no_lone_surrogate() -> None:
    text = '[{"action": "s3:x", "resource": "\\\\ud800 \\ud83d\\ude00"}]'
    code, err = onboard("policy", "simulate", "-", stdin=text.encode())
    assert code == 0, err


def test_hostile_values_inside_one_request_fail_that_request_only() -> None:
    # Deep, but not past the decoder's limit (how deep that is depends on the caller's stack).
    deep = "[" * 500 + "]" * 500
    batch = (
        '[{"action": "s3:Get", "resource": "*", "context": {"k": ' + deep + "}},"
        ' {"action": "s3:Get", "resource": "*", "identityPolicies": [' + deep + "]},"
        ' {"action": "s3:Get", "resource": "*", "id": {"nested": [1]}},'
        ' {"action": "s3:Get", "resource": "*", "id": ' + "9" * 5_000 + "},"
        " " + "9" * 5_000 + ", 1e999,"
        ' {"action": "s3:Get", "resource": "*"}]'
    )
    results = simulate_module.simulate_json(batch.encode())
    errors = [r["error"] for r in results]
    assert errors[0] == "request 0: context key 'k': value must be a string or a list of strings"
    assert errors[1] == (
        "request 1: identityPolicies[0]: must be a policy document (an object) or a policy's name"
    )
    assert errors[2] == "request 2: 'id' must be a string or a number"
    assert all("a number too large" in error for error in errors[3:6]), errors[3:6]
    assert errors[6] is None and results[6]["decision"] == "ImplicitlyDenied"


def test_batch_size_cap(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(simulate_module, "MAX_BATCH_REQUESTS", 3)
    batch = [{"action": "s3:Get", "resource": "*"}] * 4
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(batch)))
    code, out, err = run(capsys, "policy", "simulate", "-")
    assert (code, out) == (3, "")
    assert "4 requests, more than one batch may hold (3); split it" in err


def test_policy_over_iam_size_is_refused(tmp_path: Path, policies_dir: Path) -> None:
    statements: list[dict[str, Any]] = [
        {"Sid": f"S{n}", "Effect": "Allow", "Action": f"s3:Get{n}", "Resource": "*"}
        for n in range(300)
    ]
    document = {"Version": "2012-10-17", "Statement": statements}
    assert len(json.dumps(document, separators=(",", ":"))) > MAX_POLICY_CHARACTERS
    with pytest.raises(PolicyError, match="larger than any IAM policy may be"):
        parse_policy(document, "big.json")
    with pytest.raises(PolicyError, match="larger than any IAM policy may be"):
        parse_policy(document, "big.json", cache=False)
    # the shipped fixtures are well within it
    parse_policy((policies_dir / OK).read_text(), OK)


def test_policy_text_errors_name_the_place() -> None:
    with pytest.raises(PolicyError, match=r"p\.json: not UTF-8 text \(byte 15\)"):
        loads(b'{"Statement": "\xff"}', "p.json")
    with pytest.raises(PolicyError, match=r"p\.json: invalid JSON: nested too deeply"):
        loads("[" * 3_000 + "]" * 3_000, "p.json")
