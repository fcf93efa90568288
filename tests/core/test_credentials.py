"""onboard.aws.keyfile and onboard.aws.credentials: the administrator's key, checked and saved."""

from __future__ import annotations

import stat
from pathlib import Path

import botocore.session
import pytest

from onboard.aws import credentials as creds
from onboard.aws import files as awsfiles
from onboard.aws.keyfile import AccessKey, expand_path, parse_key_csv, read_key_csv, typed_key
from onboard.aws.models import CallerIdentity
from onboard.errors import ConfigFileError, InvalidInput
from onboard.home import Home
from onboard.platform import Platform
from onboard.secret import REDACTED, Secret

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCESS_KEY_CSV = f"Access key ID,Secret access key\r\n{KEY_ID},{SECRET}\r\n"
USER_CSV = (
    "User name,Password,Access key ID,Secret access key,Console login link\r\n"
    f"alice,Pa55word!,{KEY_ID},{SECRET},"
    "https://123456789012.signin.aws.amazon.com/console?region=eu-west-1\r\n"
)


def write_csv(path: Path, text: str, *, bom: bool = True) -> Path:
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def test_access_key_csv_as_the_console_writes_it(tmp_path: Path) -> None:
    key = read_key_csv(write_csv(tmp_path / "alice_accessKeys.csv", ACCESS_KEY_CSV))
    assert (key.access_key_id, key.secret_access_key.reveal()) == (KEY_ID, SECRET)
    assert key.source == "access-key" and key.user_name is None
    assert SECRET not in repr(key) and SECRET not in key.describe()
    # A Secret: str(), f-strings and a traceback's locals show [REDACTED], never the key.
    assert isinstance(key.secret_access_key, Secret)
    assert SECRET not in f"{key.secret_access_key} {key.secret_access_key!r} {vars(key)}"


def test_an_access_key_refuses_a_plain_str_secret() -> None:
    with pytest.raises(TypeError, match="must be a Secret"):
        AccessKey(KEY_ID, SECRET, "typed")  # type: ignore[arg-type]


def test_user_creation_csv_names_user_account_and_region(tmp_path: Path) -> None:
    key = read_key_csv(write_csv(tmp_path / "credentials.csv", USER_CSV))
    assert key.source == "user-creation"
    assert key.user_name == "alice"
    assert key.secret_access_key == Secret(SECRET)
    assert key.account_hint == "123456789012"
    assert key.region_hint == "eu-west-1"
    assert "for user alice" in key.describe()
    assert "Pa55word" not in repr(key)


@pytest.mark.parametrize("text", [ACCESS_KEY_CSV, ACCESS_KEY_CSV.replace("\r\n", "\n")])
@pytest.mark.parametrize("bom", [True, False])
def test_bom_and_line_endings_do_not_matter(tmp_path: Path, text: str, bom: bool) -> None:
    key = read_key_csv(write_csv(tmp_path / "k.csv", text, bom=bom))
    assert key.access_key_id == KEY_ID and key.secret_access_key.reveal() == SECRET


def test_a_regional_console_host_gives_the_region() -> None:
    text = USER_CSV.replace(
        "https://123456789012.signin.aws.amazon.com/console?region=eu-west-1",
        "https://ap-south-1.console.aws.amazon.com/console/home",
    )
    assert parse_key_csv(text).region_hint == "ap-south-1"
    no_region = USER_CSV.replace("?region=eu-west-1", "")
    assert parse_key_csv(no_region).region_hint is None


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("", "is empty"),
        ("name,value\r\nx,y\r\n", "not an IAM access key file"),
        ("User name,Password,Console sign-in URL\r\nalice,pw,https://x\r\n", "sign-in file"),
        ("Access key ID,Secret access key\r\n", "no key"),
        (ACCESS_KEY_CSV + f"{KEY_ID},{SECRET}\r\n", "holds 2 keys"),
        (ACCESS_KEY_CSV.replace(SECRET, SECRET[:10] + "é" + SECRET[11:]), "does not look right"),
        (ACCESS_KEY_CSV.replace(KEY_ID, "ASIAIOSFODNN7EXAMPLE"), "does not look right"),
    ],
)
def test_files_that_are_not_a_key_are_explained(text: str, what: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_key_csv(text, Path("k.csv"))
    assert what in caught.value.what
    assert SECRET[:12] not in caught.value.render()  # a broken secret is never quoted


def test_missing_folder_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        read_key_csv(tmp_path / "nope.csv")
    with pytest.raises(InvalidInput, match="is a folder"):
        read_key_csv(tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InvalidInput, match="not a text file"):
        read_key_csv(tmp_path / "bin.csv")


def test_tilde_is_the_working_home(home: Home) -> None:
    assert expand_path("~/Downloads/k.csv", home) == home.root / "Downloads" / "k.csv"
    assert expand_path("'/tmp/a b.csv'", home) == Path("/tmp/a b.csv")


def test_a_secret_key_is_revealed_only_into_the_credentials_file(home: Home) -> None:
    key = typed_key(KEY_ID, Secret(f"{SECRET}\n"))
    assert key.secret_access_key == Secret(SECRET)
    awsfiles.save_key_profile(home, "dev", key.access_key_id, key.secret_access_key, None)
    text = home.aws_credentials.read_text()
    assert f"aws_secret_access_key = {SECRET}\n" in text and REDACTED not in text


def test_typed_keys_are_checked_before_aws() -> None:
    assert typed_key(f" {KEY_ID} ", f"{SECRET}\n").access_key_id == KEY_ID
    with pytest.raises(InvalidInput, match="AKIA"):
        typed_key("akia-lower", SECRET)
    with pytest.raises(InvalidInput) as caught:
        typed_key(KEY_ID, "Zq9$secretish")
    assert "Zq9" not in caught.value.render()


# -- saving ------------------------------------------------------------------------------


def identity(user: str = "alice") -> CallerIdentity:
    return CallerIdentity(
        account="123456789012",
        arn=f"arn:aws:iam::123456789012:user/{user}",
        user_id="AIDAEXAMPLE",
        user_name=user,
        principal_type="user",
        credential_source="CSV file",
    )


def checked(key_id: str = KEY_ID) -> creds.CheckedKey:
    return creds.CheckedKey(AccessKey(key_id, Secret(SECRET), "access-key"), identity())


def botocore_reads(home: Home, profile: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    for name, value in home.env({}).items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    session = botocore.session.Session(profile=profile)
    found = session.get_credentials()
    assert found is not None
    return found.access_key, str(session.get_config_variable("region"))


def test_save_as_default_in_an_empty_home(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    assert creds.suggest_profile(home, "alice") == "default"
    saved = creds.save_key(home, checked(), "default", "eu-west-1")
    assert saved.credentials.changed and saved.config is not None
    assert stat.S_IMODE(home.aws_credentials.stat().st_mode) == 0o600
    assert "[default]" in home.aws_config.read_text()
    assert botocore_reads(home, "default", monkeypatch) == (KEY_ID, "eu-west-1")
    again = creds.save_key(home, checked(), "default", "eu-west-1")
    assert not again.credentials.changed  # idempotent: the same key again


def test_taken_profile_is_refused_and_the_user_name_suggested(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = "[default]\naws_access_key_id = AKIAOTHERKEY00000000\naws_secret_access_key = x\n"
    home.aws_credentials.write_text(existing)
    assert creds.suggest_profile(home, "alice") == "alice"
    problem = creds.profile_problem(home, "default", checked().key)
    assert problem is not None and "already exists" in problem
    with pytest.raises(InvalidInput):
        creds.save_key(home, checked(), "default", None)
    with pytest.raises(ConfigFileError):  # the file-level guard, whatever the caller checked
        awsfiles.save_key_profile(home, "default", KEY_ID, SECRET, None)
    saved = creds.save_key(home, checked(), "alice", "us-east-2")
    assert home.aws_credentials.read_text().startswith(existing)  # other bytes kept
    assert saved.credentials.backup is not None
    assert "[profile alice]" in home.aws_config.read_text()
    assert botocore_reads(home, "alice", monkeypatch) == (KEY_ID, "us-east-2")
    assert creds.suggest_profile(home, "alice") == "alice-2"
    assert creds.suggest_profile(home, "alice", KEY_ID) == "alice"  # where this key already is


def test_likely_regions_put_the_hint_first() -> None:
    regions = creds.likely_regions("eu-west-1", "us-east-1", ["ap-south-1"])
    assert regions[:3] == ["eu-west-1", "ap-south-1", "us-east-1"]
    assert len(regions) == len(set(regions))


def test_delete_key_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "k.csv", ACCESS_KEY_CSV)
    creds.delete_key_file(path)
    assert not path.exists()
    creds.delete_key_file(path)  # already gone: nothing to do


def test_the_helper_note_shows_the_platforms_install_command() -> None:
    assert creds.helper_needs_cli(Platform("linux"), aws_cli=True) is None
    for system, part in (
        ("linux", "awscli-exe-linux-x86_64.zip"),
        ("darwin", "AWSCLIV2.pkg"),
        ("windows", "AWSCLIV2.msi"),
    ):
        note = creds.helper_needs_cli(Platform(system), aws_cli=False)  # type: ignore[arg-type]
        assert note is not None and part in note and "aws configure" not in note
    assert "aarch64" in Platform("linux", "aarch64").aws_cli_install_command


def test_configure_command_follows_the_machine(tmp_path: Path) -> None:
    assert creds.configure_command({"PATH": str(tmp_path)}) == "onboard credentials import FILE.csv"
    assert creds.configure_command({"PATH": str(tmp_path)}, "dev").endswith("--profile dev")
    fake_cli = tmp_path / "aws"
    fake_cli.write_text("#!/bin/sh\n")
    fake_cli.chmod(0o755)
    assert creds.configure_command({"PATH": str(tmp_path)}, "dev") == "aws configure --profile dev"
