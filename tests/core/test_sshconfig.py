"""onboard.ssh.config: the managed CodeCommit block, checked by the real `ssh -G`."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboard.errors import ConfigFileError, InvalidInput
from onboard.home import Home
from onboard.platform import Platform
from onboard.ssh import config as sshconfig

KEY_ID = "APKAEIBAERJR2EXAMPLE"
HOST = "git-codecommit.eu-west-1.amazonaws.com"


def resolved(home: Home, host: str = HOST) -> dict[str, list[str]]:
    return sshconfig.effective_ssh_config(host, env=home.env(), config_file=home.ssh_config)


@pytest.mark.parametrize(
    ("banner", "version"),
    [
        ("OpenSSH_9.2p1 Debian-2+deb12u6, OpenSSL 3.0.19 27 Jan 2026", (9, 2)),
        ("OpenSSH_9.8p1, LibreSSL 3.3.6", (9, 8)),
        ("OpenSSH_for_Windows_8.1p1, LibreSSL 3.0.2", (8, 1)),
        ("OpenSSH_7.4p1, OpenSSL 1.0.2k-fips  26 Jan 2017", (7, 4)),
        ("plink: Release 0.81", None),
    ],
)
def test_parse_ssh_version(banner: str, version: tuple[int, int] | None) -> None:
    assert sshconfig.parse_ssh_version(banner) == version


def test_ssh_version_of_the_installed_client() -> None:
    version = sshconfig.ssh_version()
    assert version is not None and version >= (7, 0)


def test_ssh_version_without_ssh_is_none(tmp_path: Path) -> None:
    assert sshconfig.ssh_version(env={"PATH": str(tmp_path)}) is None
    assert sshconfig.ssh_version(env={"PATH": "/usr/bin"}, platform=Platform("windows")) is None


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [
        (
            (9, 2),
            ["PubkeyAcceptedAlgorithms +ssh-rsa"],
            ["PubkeyAcceptedKeyTypes", "IgnoreUnknown"],
        ),
        ((8, 1), ["PubkeyAcceptedKeyTypes +ssh-rsa"], ["PubkeyAcceptedAlgorithms"]),
        ((6, 6), [], ["HostKeyAlgorithms", "PubkeyAccepted"]),
        (None, ["IgnoreUnknown PubkeyAcceptedAlgorithms,PubkeyAcceptedKeyTypes"], []),
    ],
)
def test_block_speaks_the_versions_language(
    version: tuple[int, int] | None, present: list[str], absent: list[str]
) -> None:
    block = sshconfig.codecommit_ssh_block(KEY_ID, Path("/h/.ssh/codecommit_rsa"), version)
    assert block.startswith("Host git-codecommit.*.amazonaws.com\n")
    assert f"  User {KEY_ID}\n" in block
    assert "  IdentityFile /h/.ssh/codecommit_rsa\n" in block
    assert "  IdentitiesOnly yes\n" in block
    for text in present:
        assert text in block
    for text in absent:
        assert text not in block


@pytest.mark.parametrize("version", [(9, 2), (8, 1), None])
def test_every_block_variant_is_understood_by_the_real_ssh(
    home: Home, version: tuple[int, int] | None
) -> None:
    key = home.ssh_dir / "my keys" / "codecommit_rsa"
    sshconfig.write_ssh_config(home, KEY_ID, key, version)
    config = resolved(home)
    assert config["user"] == [KEY_ID]
    assert config["identityfile"] == [str(key)]
    assert config["identitiesonly"] == ["yes"]
    assert "ssh-rsa" in config["hostkeyalgorithms"][0].split(",")
    assert "ssh-rsa" in config["pubkeyacceptedalgorithms"][0].split(",")


@pytest.mark.parametrize("key_id", ["", "APKA\nHost *", "APKA EXAMPLE", "APKA;rm"])
def test_block_refuses_what_is_not_a_key_id(key_id: str) -> None:
    with pytest.raises(InvalidInput):
        sshconfig.codecommit_ssh_block(key_id, Path("/k"), (9, 2))


def test_block_refuses_line_breaks_in_the_path() -> None:
    with pytest.raises(InvalidInput):
        sshconfig.codecommit_ssh_block(KEY_ID, Path("/k\nHost *"), (9, 2))


EXISTING = """\
# my ssh config
Host github.com
    User git
    IdentityFile ~/.ssh/id_ed25519

Host *
    ServerAliveInterval 60
    User someone
"""


def test_write_keeps_every_other_line_and_wins_over_host_star(home: Home) -> None:
    home.ssh_config.write_text(EXISTING)
    before_other = resolved(home, "github.com")
    result = sshconfig.write_ssh_config(home, KEY_ID, home.ssh_dir / "codecommit_rsa", (9, 2))
    assert result.changed
    text = home.ssh_config.read_text()
    assert text.endswith(EXISTING)
    assert text.startswith("# >>> onboard: codecommit >>>\n")
    assert "Host *\n" not in text.split(EXISTING)[0]  # no reset needed: the file starts with Host
    assert stat.S_IMODE(home.ssh_config.stat().st_mode) == 0o600
    assert result.backup is not None and result.backup.read_text() == EXISTING
    assert resolved(home)["user"] == [KEY_ID]  # ahead of `Host *`'s User
    assert resolved(home, "github.com") == before_other


def test_write_is_idempotent_and_updates_in_place(home: Home) -> None:
    home.ssh_config.write_text(EXISTING)
    key = home.ssh_dir / "codecommit_rsa"
    sshconfig.write_ssh_config(home, KEY_ID, key, (9, 2))
    first = home.ssh_config.read_text()
    again = sshconfig.write_ssh_config(home, KEY_ID, key, (9, 2))
    assert not again.changed and home.ssh_config.read_text() == first
    updated = sshconfig.write_ssh_config(home, "APKANEWKEY0000000000", key, (9, 2))
    assert updated.changed
    text = home.ssh_config.read_text()
    assert text.count("# >>> onboard: codecommit >>>") == 1
    assert KEY_ID not in text and "APKANEWKEY0000000000" in text
    assert text.endswith(EXISTING)


def test_leading_global_options_still_apply_to_every_host(home: Home) -> None:
    original = "ServerAliveInterval 42\nUser everyone\n\nHost example.org\n    Port 2222\n"
    home.ssh_config.write_text(original)
    before = {host: resolved(home, host) for host in ("example.org", "other.net")}
    sshconfig.write_ssh_config(home, KEY_ID, home.ssh_dir / "codecommit_rsa", (9, 2))
    text = home.ssh_config.read_text()
    assert text.endswith(original)
    assert "\nHost *\n# <<< onboard: codecommit <<<" in text
    for host, expected in before.items():
        assert resolved(home, host) == expected
    codecommit = resolved(home)
    assert codecommit["user"] == [KEY_ID]
    assert codecommit["serveraliveinterval"] == ["42"]
    # Idempotent with the reset line too.
    assert not sshconfig.write_ssh_config(
        home, KEY_ID, home.ssh_dir / "codecommit_rsa", (9, 2)
    ).changed


def test_write_keeps_crlf_files_crlf(home: Home) -> None:
    original = "Host github.com\r\n    User git\r\n"
    home.ssh_config.write_bytes(original.encode())
    sshconfig.write_ssh_config(home, KEY_ID, home.ssh_dir / "k", (9, 2))
    data = home.ssh_config.read_bytes().decode()
    assert data.endswith(original)
    assert "\n" not in data.replace("\r\n", "")


def test_managed_block_reads_back(home: Home) -> None:
    assert sshconfig.managed_block(home) is None
    sshconfig.write_ssh_config(home, KEY_ID, home.ssh_dir / "k", (9, 2))
    block = sshconfig.managed_block(home)
    assert block is not None and f"User {KEY_ID}" in block


def test_broken_config_is_a_config_error_naming_the_problem(home: Home) -> None:
    home.ssh_config.write_text("Host x\n    NoSuchOption yes\n")
    with pytest.raises(ConfigFileError) as caught:
        resolved(home)
    assert "NoSuchOption" in caught.value.why or "Bad configuration" in caught.value.why


def test_ssh_command_names_the_isolated_config(home: Home, tmp_path: Path) -> None:
    assert sshconfig.ssh_command(home)[:3] == ["ssh", "-F", str(home.ssh_config)]
    command = sshconfig.git_ssh_command(home, Platform("windows"))
    assert command is not None and command.startswith("ssh.exe -F ")
    assert sshconfig.git_ssh_command(Home(tmp_path)) is None
    assert sshconfig.ssh_command(Home(tmp_path)) == ["ssh"]


def test_block_combines_with_an_included_redirect(home: Home) -> None:
    """Like the sandbox's redirect: an `Include` at the top that sets HostName/Port."""
    included = home.root / "redirect_ssh_config"
    included.write_text(
        "Host git-codecommit.*.amazonaws.com\n    HostName 127.0.0.1\n    Port 2022\n"
        "    User not-this-one\n"
    )
    original = (
        f"# >>> onboard: sandbox-redirect >>>\nInclude {included}\n"
        "# <<< onboard: sandbox-redirect <<<\n"
    )
    home.ssh_config.write_text(original)
    sshconfig.write_ssh_config(home, KEY_ID, home.ssh_dir / "codecommit_rsa", (9, 2))
    assert home.ssh_config.read_text().endswith(original)
    config = resolved(home)
    assert config["hostname"] == ["127.0.0.1"]
    assert config["port"] == ["2022"]
    assert config["user"] == [KEY_ID]
    assert resolved(home, "example.com")["hostname"] == ["example.com"]


_OPTIONS = st.sampled_from(
    [
        "User someone",
        "Port 2200",
        "ServerAliveInterval 30",
        "IdentityFile /keys/id_other",
        "ForwardAgent yes",
        "Compression yes",
        "# a comment",
        "",
    ]
)
_HOSTS = st.sampled_from(["*", "github.com", "*.example.org", "git-codecommit.*.amazonaws.com"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    leading=st.lists(_OPTIONS, max_size=3),
    blocks=st.lists(st.tuples(_HOSTS, st.lists(_OPTIONS, min_size=1, max_size=3)), max_size=3),
)
def test_other_hosts_resolve_exactly_as_before(
    tmp_path_factory: pytest.TempPathFactory,
    leading: list[str],
    blocks: list[tuple[str, list[str]]],
) -> None:
    """Whatever the file holds, `ssh -G` for other hosts is unchanged; ours gets the key ID."""
    home = Home.sandbox(tmp_path_factory.mktemp("home"))
    lines = list(leading)
    for host, options in blocks:
        lines += [f"Host {host}", *(f"    {option}" for option in options)]
    original = "\n".join(lines) + "\n" if lines else ""
    home.ssh_config.write_text(original)
    others = ("github.com", "www.example.org", "plain.net")
    before = {host: resolved(home, host) for host in others}
    sshconfig.write_ssh_config(home, KEY_ID, home.ssh_dir / "codecommit_rsa", (9, 2))
    assert home.ssh_config.read_text().endswith(original)
    for host in others:
        assert resolved(home, host) == before[host], host
    ours = resolved(home)
    assert ours["user"] == [KEY_ID]
    assert ours["identityfile"][0] == str(home.ssh_dir / "codecommit_rsa")


def test_effective_config_without_ssh_says_install_it(home: Home) -> None:
    # On Windows the client is ssh.exe: a PATH with only Linux's `ssh` has none.
    with pytest.raises(ConfigFileError, match="ssh was not found"):
        sshconfig.effective_ssh_config(
            HOST, env={**home.env(), "PATH": "/usr/bin"}, platform=Platform("windows")
        )


def test_symlinked_config_stays_a_symlink(home: Home, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "ssh_config"
    dotfiles.parent.mkdir()
    dotfiles.write_text(EXISTING)
    home.ssh_config.symlink_to(dotfiles)
    sshconfig.write_ssh_config(home, KEY_ID, home.ssh_dir / "k", (9, 2))
    assert home.ssh_config.is_symlink()
    assert f"User {KEY_ID}" in dotfiles.read_text()
    assert dotfiles.read_text().endswith(EXISTING)
