"""onboard.aws.files: the MFA session profile, read back by botocore itself."""

from __future__ import annotations

import configparser
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import botocore.session
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboard.aws import files as awsfiles
from onboard.errors import ConfigFileError, InvalidInput
from onboard.home import Home

EXPIRY = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Creds:
    """The shape of the gateway's SessionCredentials."""

    access_key_id: str = "ASIAEXAMPLESESSION01"
    secret_access_key: str = field(default="s3cr3t/Key+Value", repr=False)
    session_token: str = field(default="FwoGZXIvYXdzEBYaDEXAMPLETOKEN==", repr=False)


EXISTING = """\
# my credentials, hand-written
[default]
aws_access_key_id = AKIAEXAMPLEDEFAULT01
aws_secret_access_key = abc ; not a comment for botocore

[dev]
aws_access_key_id = AKIAEXAMPLEDEV000001
aws_secret_access_key = def

# the next one is for the old job
[other]
aws_access_key_id = AKIAEXAMPLEOTHER0001
aws_secret_access_key = ghi
"""


def botocore_credentials(home: Home, profile: str, monkeypatch: pytest.MonkeyPatch) -> object:
    for name, value in home.env({}).items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return botocore.session.Session(profile=profile).get_credentials()


def test_session_profile_in_an_empty_home(home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    result = awsfiles.save_session_profile(home, "dev", Creds(), "eu-west-1", EXPIRY)
    assert result.changed and result.path == home.aws_credentials
    assert stat.S_IMODE(home.aws_credentials.stat().st_mode) == 0o600
    text = home.aws_credentials.read_text()
    assert text.startswith("[dev-mfa]\n")
    assert "expiration = 2026-11-28T23:30:00Z" in text
    creds = botocore_credentials(home, "dev-mfa", monkeypatch)
    assert creds is not None
    frozen = creds.get_frozen_credentials()  # type: ignore[attr-defined]
    assert frozen.access_key == Creds.access_key_id
    assert frozen.secret_key == "s3cr3t/Key+Value"
    assert frozen.token == "FwoGZXIvYXdzEBYaDEXAMPLETOKEN=="
    session = botocore.session.Session(profile="dev-mfa")
    assert session.get_config_variable("region") == "eu-west-1"


def test_other_sections_stay_byte_for_byte(home: Home) -> None:
    home.aws_credentials.write_text(EXISTING)
    awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    text = home.aws_credentials.read_text()
    assert text.startswith(EXISTING)
    assert text[len(EXISTING) :].startswith("\n[dev-mfa]\n")
    assert not home.aws_config.exists()  # no region: the config file is not touched


def test_saving_again_replaces_only_our_section(home: Home) -> None:
    home.aws_credentials.write_text(EXISTING)
    awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    # Someone adds a section after ours; a new session must keep it.
    with home.aws_credentials.open("a") as handle:
        handle.write("\n# later\n[later]\naws_access_key_id = AKIALATER\n")
    first = home.aws_credentials.read_text()
    again = awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    assert not again.changed
    newer = Creds(access_key_id="ASIANEWERSESSION0002", session_token="TOKEN2")
    result = awsfiles.save_session_profile(home, "dev", newer, None, EXPIRY + timedelta(hours=1))
    assert result.changed and result.backup is not None
    # The backup is the file as it was before onboard's first change, kept ever after.
    assert result.backup.read_text() == EXISTING
    text = home.aws_credentials.read_text()
    assert text.count("[dev-mfa]") == 1
    assert "ASIAEXAMPLESESSION01" not in text and "ASIANEWERSESSION0002" in text
    assert text.startswith(EXISTING)
    assert text.endswith("\n# later\n[later]\naws_access_key_id = AKIALATER\n")
    assert text == first.replace("ASIAEXAMPLESESSION01", "ASIANEWERSESSION0002").replace(
        "FwoGZXIvYXdzEBYaDEXAMPLETOKEN==", "TOKEN2"
    ).replace("23:30:00Z", "00:30:00Z").replace("2026-11-28T00", "2026-11-29T00")


def test_crlf_file_stays_crlf(home: Home) -> None:
    original = EXISTING.replace("\n", "\r\n")
    home.aws_credentials.write_bytes(original.encode())
    awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    data = home.aws_credentials.read_bytes().decode()
    assert data.startswith(original)
    assert "\n" not in data.replace("\r\n", "")


def test_refuses_to_overwrite_long_term_keys(home: Home) -> None:
    home.aws_credentials.write_text(
        "[dev-mfa]\naws_access_key_id = AKIA\naws_secret_access_key = x\n"
    )
    with pytest.raises(ConfigFileError, match="long-term keys"):
        awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    assert "ASIA" not in home.aws_credentials.read_text()


def test_unreadable_file_is_not_rewritten(home: Home) -> None:
    home.aws_credentials.write_text("[dev\naws_access_key_id = x\n")
    with pytest.raises(ConfigFileError):
        awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    assert home.aws_credentials.read_text() == "[dev\naws_access_key_id = x\n"


@pytest.mark.parametrize("profile", ["has space", "a]b", "new\nline"])
def test_bad_profile_names(home: Home, profile: str) -> None:
    with pytest.raises(InvalidInput):
        awsfiles.save_session_profile(home, profile, Creds(), None, EXPIRY)


def test_broken_credentials_are_refused_without_echo(home: Home) -> None:
    with pytest.raises(InvalidInput) as caught:
        awsfiles.save_session_profile(home, "dev", Creds(session_token="a\nb"), None, EXPIRY)
    assert "a\nb" not in caught.value.render()


def test_region_goes_to_the_config_file_keeping_its_other_lines(home: Home) -> None:
    config = "[default]\nregion = us-east-1\n\n[profile dev-mfa]\noutput = json\nregion = x\n"
    home.aws_config.write_text(config)
    awsfiles.save_session_profile(home, "dev", Creds(), "ap-northeast-1", EXPIRY)
    assert home.aws_config.read_text() == (
        "[default]\nregion = us-east-1\n\n"
        "[profile dev-mfa]\nregion = ap-northeast-1\noutput = json\n"
    )


def test_default_profile_and_naive_expiry(home: Home) -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)
    awsfiles.save_session_profile(home, None, Creds(), None, naive)
    saved = awsfiles.read_session_profile(home, None)
    assert saved is not None and saved.profile == "default-mfa"
    assert saved.expiration == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_read_session_profile_and_expiry(home: Home) -> None:
    assert awsfiles.read_session_profile(home, "dev") is None
    tokyo = timezone(timedelta(hours=9))
    awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY.astimezone(tokyo))
    saved = awsfiles.read_session_profile(home, "dev")
    assert saved is not None
    assert saved.expiration == EXPIRY
    assert saved.access_key_id == Creds.access_key_id
    assert not saved.expired(EXPIRY - timedelta(minutes=1))
    assert saved.expired(EXPIRY)
    assert "s3cr3t" not in repr(saved) and "TOKEN" not in repr(saved)


def test_read_profiles_from_both_files(home: Home) -> None:
    home.aws_credentials.write_text(EXISTING)
    home.aws_config.write_text(
        "[default]\nregion = us-east-1\n[profile dev]\nregion = x\n[profile sso-dev]\n"
        "sso_session = corp\n[sso-session corp]\nsso_region = us-east-1\n"
    )
    assert awsfiles.read_profiles(home) == ["default", "dev", "other", "sso-dev"]


def test_read_profiles_of_an_empty_home(home: Home) -> None:
    assert awsfiles.read_profiles(home) == []
    assert awsfiles.session_profile_name("dev") == "dev-mfa"


_NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True).filter(
    lambda name: not name.endswith("-mfa")
)
_VALUES = st.from_regex(r"[A-Za-z0-9/+=]{1,30}", fullmatch=True)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sections=st.dictionaries(
        _NAMES, st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=3), max_size=4
    ),
    crlf=st.booleans(),
    trailing_newline=st.booleans(),
)
def test_any_other_sections_survive_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory,
    sections: dict[str, dict[str, str]],
    crlf: bool,
    trailing_newline: bool,
) -> None:
    home = Home.sandbox(tmp_path_factory.mktemp("home"))
    newline = "\r\n" if crlf else "\n"
    text = newline.join(
        f"[{name}]{newline}" + newline.join(f"{k} = {v}" for k, v in values.items()) + newline
        for name, values in sections.items()
    )
    if text and not trailing_newline:
        text = text.rstrip("\r\n")
    home.aws_credentials.write_bytes(text.encode())
    awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    awsfiles.save_session_profile(home, "dev", Creds(session_token="T2"), None, EXPIRY)
    written = home.aws_credentials.read_bytes().decode()
    assert written.startswith(text)
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.read_string(written)
    for name, values in sections.items():
        assert dict(parser.items(name)) == {k.lower(): v for k, v in values.items()}
    assert parser.get("dev-mfa", "aws_session_token") == "T2"
    assert written.count("[dev-mfa]") == 1


def test_parse_errors_never_quote_the_files_secrets(home: Home) -> None:
    home.aws_credentials.write_text("aws_secret_access_key = VerySecretValue\n[x]\n")
    with pytest.raises(ConfigFileError) as caught:
        awsfiles.read_profiles(home)
    assert "VerySecretValue" not in caught.value.render()
    with pytest.raises(ConfigFileError) as caught:
        awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    assert "VerySecretValue" not in caught.value.render()


def test_symlinked_credentials_stay_a_symlink(home: Home, tmp_path: Path) -> None:
    target = tmp_path / "vault" / "credentials"
    target.parent.mkdir()
    target.write_text(EXISTING)
    home.aws_credentials.symlink_to(target)
    awsfiles.save_session_profile(home, "dev", Creds(), None, EXPIRY)
    assert home.aws_credentials.is_symlink()
    assert target.read_text().startswith(EXISTING) and "[dev-mfa]" in target.read_text()
