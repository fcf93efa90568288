"""`onboard credentials import|add` against the sandbox: exit codes, files, no secret printed."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any

import pytest

from onboard.cli import main

HEADER = "Access key ID,Secret access key"
USER_HEADER = "User name,Password,Access key ID,Secret access key,Console login link"


@pytest.fixture
def laptop(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh laptop's environment: an empty home, the sandbox reachable, no key anywhere."""
    home = tmp_path / "laptop"
    home.mkdir()
    monkeypatch.setenv("HOME", home.as_posix())
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.endpoint_url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


def csv_file(path: Path, *rows: str) -> Path:
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(rows) + "\r\n").encode())
    return path


def test_import_saves_default_and_deletes_the_file(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hire = sandbox.new_hire
    csv = csv_file(
        laptop / "new-hire_accessKeys.csv", HEADER, f"{hire.access_key_id},{hire.secret_access_key}"
    )
    assert main(["credentials", "import", "~/new-hire_accessKeys.csv", "--delete-file"]) == 0
    out, err = capsys.readouterr()
    assert "user new-hire, account 123456789012" in err
    assert "saved as the profile default in ~/.aws/credentials (0600), region us-east-1" in out
    assert hire.secret_access_key not in out + err
    assert not csv.exists()
    credentials = laptop / ".aws" / "credentials"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert hire.access_key_id in credentials.read_text()
    # Again: the same key is already there, nothing changes.
    csv_file(csv, HEADER, f"{hire.access_key_id},{hire.secret_access_key}")
    assert main(["credentials", "import", str(csv)]) == 0
    assert "was already saved" in capsys.readouterr().out


def test_import_user_file_with_profile_and_region(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hire = sandbox.new_hire
    csv = csv_file(
        laptop / "credentials.csv",
        USER_HEADER,
        f"new-hire,Pa55!,{hire.access_key_id},{hire.secret_access_key},"
        "https://123456789012.signin.aws.amazon.com/console",
    )
    code = main(["credentials", "import", str(csv), "--profile", "work", "--region", "eu-west-2"])
    assert code == 0
    out, err = capsys.readouterr()
    assert "new-user file for user new-hire" in err
    assert "Next: run `onboard --profile work`" in out
    assert "[profile work]\nregion = eu-west-2" in (laptop / ".aws" / "config").read_text()
    assert csv.exists()  # kept unless asked (no terminal to ask on)
    assert "still holds the secret" in out


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (("name,value", "a,b"), "not an IAM access key file"),
        ((HEADER,), "no key"),
    ],
)
def test_a_file_that_is_not_a_key_exits_3(
    laptop: Path, capsys: pytest.CaptureFixture[str], rows: tuple[str, ...], message: str
) -> None:
    csv = csv_file(laptop / "x.csv", *rows)
    assert main(["credentials", "import", str(csv)]) == 3
    assert message in capsys.readouterr().err
    assert main(["credentials", "import", str(laptop / "missing.csv")]) == 3
    assert not (laptop / ".aws").exists()


def test_a_key_aws_refuses_exits_1_and_writes_nothing(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = csv_file(laptop / "old.csv", HEADER, "AKIAOLDKEYDELETED000," + "x" * 40)
    assert main(["credentials", "import", str(csv)]) == 1
    err = capsys.readouterr().err
    assert "AWS does not accept the key AKIAOLDKEYDELETED000" in err
    assert "InvalidClientTokenId" in err and "administrator" in err
    assert "x" * 40 not in err
    assert not (laptop / ".aws" / "credentials").exists()


def test_a_taken_profile_exits_3(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (laptop / ".aws").mkdir()
    other = "[default]\naws_access_key_id = AKIAOTHERJOBKEY00000\naws_secret_access_key = y\n"
    (laptop / ".aws" / "credentials").write_text(other)
    hire = sandbox.new_hire
    csv = csv_file(laptop / "k.csv", HEADER, f"{hire.access_key_id},{hire.secret_access_key}")
    assert main(["credentials", "import", str(csv), "--profile", "default"]) == 3
    assert "already exists" in capsys.readouterr().err
    assert (laptop / ".aws" / "credentials").read_text() == other
    # Without --profile the user name is suggested, and saved.
    assert main(["credentials", "import", str(csv)]) == 0
    assert "as the profile new-hire" in capsys.readouterr().out


def test_add_reads_two_lines_without_a_terminal(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hire = sandbox.new_hire
    monkeypatch.setattr(
        "sys.stdin", io.StringIO(f"{hire.access_key_id}\n{hire.secret_access_key}\n")
    )
    assert main(["credentials", "add", "--profile", "dev"]) == 0
    out, err = capsys.readouterr()
    assert "as the profile dev" in out and hire.secret_access_key not in out + err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["credentials", "add"]) == 3


def test_add_asks_with_getpass_on_a_terminal(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hire = sandbox.new_hire

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or hire.access_key_id)
    monkeypatch.setattr(
        "getpass.getpass", lambda prompt: asked.append(prompt) or hire.secret_access_key
    )
    assert main(["credentials", "add"]) == 0
    assert asked == ["Access key ID: ", "Secret access key (not shown): "]
    assert hire.secret_access_key not in "".join(capsys.readouterr())


def test_unreachable_aws_exits_4(laptop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    csv = csv_file(laptop / "k.csv", HEADER, "AKIAIOSFODNN7EXAMPLE," + "w" * 40)
    assert main(["credentials", "import", str(csv)]) == 4


@pytest.mark.parametrize("output", ["--json", "--markdown"])
def test_the_doctors_report_after_an_import_holds_no_secret(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    hire = sandbox.new_hire
    csv = csv_file(laptop / "k.csv", HEADER, f"{hire.access_key_id},{hire.secret_access_key}")
    assert main(["credentials", "import", str(csv)]) == 0
    capsys.readouterr()
    main(["doctor", output, "--only", "credentials."])
    report = capsys.readouterr().out
    assert "new-hire" in report  # the report did use the imported profile
    assert hire.secret_access_key not in report


def test_the_doctor_never_says_aws_configure_without_the_cli(
    sandbox: Any, laptop: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # git, no AWS CLI: a fresh laptop
    main(["doctor", "--json", "--only", "credentials."])
    report = capsys.readouterr().out
    assert "onboard credentials import FILE.csv" in report
    assert "aws configure" not in report
