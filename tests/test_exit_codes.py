"""One exit-code table for every command (README), and internal errors are one line + a report."""

from __future__ import annotations

import argparse
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from onboard import cli
from onboard.crash import EXIT_INTERNAL
from onboard.secret import REDACTED, Secret, redact

ROOT = Path(__file__).resolve().parent.parent
CODE = "import sys; from onboard.cli import main; sys.exit(main(sys.argv[1:]))"


def run_cli(
    *argv: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CODE, *argv],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def readme_table() -> dict[int, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    return {
        int(m.group(1)): m.group(2) for m in re.finditer(r"^\| (\d+) \| (.+?) \|$", section, re.M)
    }


def test_readme_documents_every_code_the_cli_uses() -> None:
    table = readme_table()
    assert set(table) == {0, 1, 2, 3, 4, 70, 130, 141}
    assert "internal error" in table[70]


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["mfa"], 3, "required"),
        (["--no-such-option"], 3, "unrecognized arguments"),
        (["policy", "check", "/nonexistent/policy.json"], 3, "/nonexistent/policy.json"),
        (["mfa", "resync", "--seed-file", "/dev/zero", "--codes", "1", "2"], 3, ""),
    ],
)
def test_documented_codes(argv: list[str], code: int, says: str) -> None:
    done = run_cli(*argv)
    assert done.returncode == code, done.stderr
    assert code in readme_table()
    assert says in done.stderr and "Traceback" not in done.stderr


def test_seed_file_with_a_0xff_byte_is_invalid_input_not_a_traceback(tmp_path: Path) -> None:
    seed = tmp_path / "seed"
    seed.write_bytes(b"JBSWY3DPEHPK3PXP\xff")
    seed.chmod(0o600)
    done = run_cli("mfa", "resync", "--seed-file", str(seed), "--codes", "123456", "654321")
    assert done.returncode == 3 and "does not hold a base32 seed" in done.stderr
    assert "Traceback" not in done.stderr and "JBSWY3DP" not in done.stderr


def test_internal_error_is_one_line_and_a_private_redacted_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ONBOARD_CRASH_DIR", str(tmp_path / "crashes"))
    token = "hvs.CAESIJabcdefghijklmnopqrstuvwxyz0123456789"

    def broken(args: argparse.Namespace) -> int:
        seed = Secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        raise RuntimeError(f"boom with {seed} and VAULT_TOKEN={token} password=hunter22")

    original = cli.build_parser

    def parser_with_broken_command(commands: object = None) -> argparse.ArgumentParser:
        parser = original(commands)  # type: ignore[arg-type]
        parser.set_defaults(handler=broken)
        return parser

    monkeypatch.setattr(cli, "build_parser", parser_with_broken_command)
    code = cli.main(["--region", "us-east-1"])
    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "internal error (RuntimeError)" in err
    (report,) = (tmp_path / "crashes").iterdir()
    assert str(report) in err
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    assert "Traceback" in text and "broken" in text
    assert token not in text and "hunter22" not in text and "JBSWY3DP" not in text


def test_secret_never_shows_itself() -> None:
    secret = Secret("s3cr3t-value")
    assert secret.reveal() == "s3cr3t-value"
    for shown in (repr(secret), str(secret), f"{secret:>20}", repr([secret])):
        assert "s3cr3t" not in shown
    assert secret == Secret("s3cr3t-value") and secret != Secret("other")
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(secret)


@pytest.mark.parametrize(
    "leak",
    [
        "Error: permission denied for token hvs.CAESIJ0123456789abcdefghijklmn",
        "VAULT_TOKEN=s.AbCdEfGhIjKlMnOpQrStUvWx failed",
        "Authorization: Bearer abc.def.ghi-1234567890",
        "curl: https://user:p4ssw0rd@example.com/x",
        "db password=hunter2hunter2 rejected",
        '{"apiKey": "k-1234567890abcdef"}',
        "GITHUB_TOKEN ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
        "--password 'hunter2hunter2'",
        "xoxb-123456789012-abcdefghijkl",
    ],
)
def test_report_redaction_covers_third_party_secret_shapes(leak: str) -> None:
    cleaned = redact(leak)
    assert REDACTED in cleaned
    for word in (
        "CAESIJ0123",
        "AbCdEfGh",
        "abc.def.ghi",
        "p4ssw0rd",
        "hunter2",
        "k-1234567890",
        "ghp_abc",
        "dozjgN",
        "abcdefghijkl",
    ):
        assert word not in cleaned, cleaned


def test_redaction_keeps_what_the_helpdesk_needs() -> None:
    text = (
        "credential.https://git-codecommit.*.amazonaws.com.helper=!aws codecommit "
        "credential-helper $@\nAKIAIOSFODNN7EXAMPLE user/new-hire "
        "0123456789abcdef0123456789abcdef01234567\trefs/heads/main"
    )
    assert redact(text) == text


def test_no_command_without_the_tui_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([], launch_tui=None) == 3  # not 2, which `policy check` uses for a verdict
    assert "usage: onboard" in capsys.readouterr().out
