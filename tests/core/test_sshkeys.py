"""onboard.ssh.keys against keys made by the real ssh-keygen in an isolated home."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from onboard.errors import InvalidInput, OnboardError
from onboard.home import Home
from onboard.platform import Platform
from onboard.ssh import keys as sshkeys


def keygen(directory: Path, name: str, *args: str) -> Path:
    """Make a key pair with the real ssh-keygen; returns the private key path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-N", "", "-C", f"{name}@test", "-f", str(path), *args],
        check=True,
        capture_output=True,
    )
    return path


def fingerprint(path: Path, hash_name: str) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", hash_name, "-f", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()[1]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One key of each kind, made once for the module (RSA generation is slow)."""
    folder = tmp_path_factory.mktemp("keys")
    return {
        "rsa2048": keygen(folder, "rsa2048", "-t", "rsa", "-b", "2048"),
        "rsa1024": keygen(folder, "rsa1024", "-t", "rsa", "-b", "1024"),
        "ed25519": keygen(folder, "ed25519", "-t", "ed25519"),
        "ecdsa": keygen(folder, "ecdsa", "-t", "ecdsa"),
    }


def public_text(private: Path) -> str:
    return private.with_name(private.name + ".pub").read_text()


def test_rsa_2048_is_usable_with_ssh_keygen_fingerprints(keys: dict[str, Path]) -> None:
    pub = keys["rsa2048"].with_name("rsa2048.pub")
    info = sshkeys.inspect_public_key(pub.read_text(), pub)
    assert info.usable, info.reason
    assert info.key_type == "ssh-rsa"
    assert info.bits == 2048
    assert info.comment == "rsa2048@test"
    assert info.path == pub
    assert "MD5:" + info.fingerprint_md5 == fingerprint(pub, "md5")
    assert info.fingerprint_sha256 == fingerprint(pub, "sha256")
    assert info.public_key == pub.read_text().strip()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ed25519", "IAM does not accept this type (ed25519)"),
        ("ecdsa", "IAM does not accept this type (ECDSA)"),
        ("rsa1024", "IAM needs at least 2048 bits; this RSA key has 1024"),
    ],
)
def test_keys_iam_refuses_say_why(keys: dict[str, Path], name: str, reason: str) -> None:
    info = sshkeys.inspect_public_key(public_text(keys[name]))
    assert not info.usable
    assert info.reason.startswith(reason)


@pytest.mark.parametrize("name", ["rsa2048", "ed25519"])
def test_private_key_is_refused_with_the_next_step(keys: dict[str, Path], name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        sshkeys.inspect_public_key(keys[name].read_text(), keys[name])
    assert "PRIVATE" in caught.value.what
    assert ".pub" in caught.value.next_step
    # The refusal never quotes the private key back.
    assert keys[name].read_text().splitlines()[1] not in caught.value.render()


def test_pem_private_key_is_refused(tmp_path: Path, keys: dict[str, Path]) -> None:
    pem = tmp_path / "pem"
    pem.write_bytes(keys["rsa2048"].read_bytes())
    pem.chmod(0o600)
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-N", "", "-m", "PEM", "-f", str(pem)],
        check=True,
        capture_output=True,
    )
    assert "BEGIN RSA PRIVATE KEY" in pem.read_text()
    with pytest.raises(InvalidInput, match="PRIVATE"):
        sshkeys.inspect_public_key(pem.read_text())


@pytest.mark.parametrize("export_format", ["PKCS8", "PEM", "RFC4716"])
def test_exported_public_formats_give_the_same_key(
    keys: dict[str, Path], export_format: str
) -> None:
    pub = keys["rsa2048"].with_name("rsa2048.pub")
    exported = subprocess.run(
        ["ssh-keygen", "-e", "-m", export_format, "-f", str(pub)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    original = sshkeys.inspect_public_key(pub.read_text())
    info = sshkeys.inspect_public_key(exported)
    assert info.usable
    assert info.fingerprint_md5 == original.fingerprint_md5
    assert info.public_key.split()[:2] == original.public_key.split()[:2]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n",
        "hello world",
        "ssh-rsa not-base64!!",
        "ssh-rsa",
        "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ==",  # an RSA blob under another name
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
    ],
)
def test_garbage_is_an_input_error(text: str) -> None:
    with pytest.raises(InvalidInput):
        sshkeys.inspect_public_key(text)


def test_find_keys_lists_every_pub_with_its_verdict(home: Home, keys: dict[str, Path]) -> None:
    for name in ("rsa2048", "ed25519", "rsa1024"):
        for suffix in ("", ".pub"):
            source = keys[name].with_name(name + suffix)
            (home.ssh_dir / source.name).write_bytes(source.read_bytes())
    # A public key whose private half is gone, and a file that is no key at all.
    (home.ssh_dir / "orphan.pub").write_text(public_text(keys["rsa2048"]))
    (home.ssh_dir / "notes.pub").write_text("remember the milk\n")
    found = {info.path.name: info for info in sshkeys.find_keys(home) if info.path}
    assert set(found) == {"ed25519.pub", "notes.pub", "orphan.pub", "rsa1024.pub", "rsa2048.pub"}
    assert found["rsa2048.pub"].usable
    assert found["rsa2048.pub"].private_key_path == home.ssh_dir / "rsa2048"
    assert not found["ed25519.pub"].usable
    assert not found["rsa1024.pub"].usable
    assert not found["orphan.pub"].usable
    assert "private key" in found["orphan.pub"].reason
    assert found["notes.pub"].key_type == "unknown" and not found["notes.pub"].usable


def test_find_keys_without_ssh_dir(tmp_path: Path) -> None:
    assert sshkeys.find_keys(Home(tmp_path / "nobody", isolated=True)) == []


def test_generate_key_makes_a_usable_rsa_4096_key(home: Home) -> None:
    info = sshkeys.generate_key(home, env=home.env())
    private = home.ssh_dir / "codecommit_rsa"
    assert info.usable and info.bits == 4096 and info.key_type == "ssh-rsa"
    assert info.private_key_path == private
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert info.fingerprint_sha256 == fingerprint(private.with_name("codecommit_rsa.pub"), "sha256")
    # The private key matches the public one, with no passphrase.
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-P", "", "-f", str(private)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert derived.split()[:2] == info.public_key.split()[:2]
    # No scratch folder is left behind.
    assert sorted(p.name for p in home.ssh_dir.iterdir()) == [
        "codecommit_rsa",
        "codecommit_rsa.pub",
    ]
    with pytest.raises(InvalidInput, match="already exists"):
        sshkeys.generate_key(home, env=home.env())


def test_generate_key_with_passphrase_keeps_it_off_the_command_line(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []
    real_run = subprocess.run

    def spy(args: list[str], *rest: object, **kwargs: object) -> object:
        seen.append(list(args))
        return real_run(args, *rest, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", spy)
    sshkeys.generate_key(home, "work_rsa", passphrase="correct horse", env=home.env())
    monkeypatch.undo()
    assert seen and all("correct horse" not in arg for args in seen for arg in args)
    private = home.ssh_dir / "work_rsa"
    assert b"correct horse" not in private.read_bytes()
    ok = subprocess.run(
        ["ssh-keygen", "-y", "-P", "correct horse", "-f", str(private)], capture_output=True
    )
    assert ok.returncode == 0
    wrong = subprocess.run(
        ["ssh-keygen", "-y", "-P", "nope", "-f", str(private)], capture_output=True
    )
    assert wrong.returncode != 0


@pytest.mark.parametrize("name", ["", "../evil", "a/b", ".hidden"])
def test_generate_key_refuses_odd_names(home: Home, name: str) -> None:
    with pytest.raises(InvalidInput):
        sshkeys.generate_key(home, name, env=home.env())


def test_generate_key_without_ssh_keygen_explains(home: Home) -> None:
    # On Windows the tool is ssh-keygen.exe; with an empty PATH there is none.
    env = {**home.env(), "PATH": str(home.root)}
    with pytest.raises(OnboardError, match="ssh-keygen was not found"):
        sshkeys.generate_key(home, platform=Platform("windows"), env=env)
    assert not (home.ssh_dir / "codecommit_rsa").exists()


def test_generate_key_windows_executable_name_is_used(home: Home, tmp_path: Path) -> None:
    # A folder holding only `ssh-keygen.exe` (the real tool under its Windows name).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real = subprocess.run(["which", "ssh-keygen"], capture_output=True, text=True).stdout.strip()
    os.symlink(real, bin_dir / "ssh-keygen.exe")
    env = {**home.env(), "PATH": str(bin_dir)}
    info = sshkeys.generate_key(home, platform=Platform("windows"), env=env)
    assert info.usable


# --- the public half of private keys (the doctor's IdentityFile check) ----------------------


def copy_key(keys: dict[str, Path], name: str, folder: Path, new_name: str) -> Path:
    target = folder / new_name
    target.write_bytes(keys[name].read_bytes())
    target.chmod(0o600)
    return target


@pytest.mark.parametrize("name", ["rsa2048", "ed25519"])
def test_private_openssh_key_gives_its_public_half(keys: dict[str, Path], name: str) -> None:
    info = sshkeys.inspect_private_key(keys[name].read_text(), keys[name])
    expected = sshkeys.inspect_public_key(public_text(keys[name]))
    assert info.fingerprint_md5 == expected.fingerprint_md5
    assert info.usable == expected.usable
    assert info.private_key_path == keys[name]


def test_encrypted_openssh_key_needs_no_passphrase(tmp_path: Path, keys: dict[str, Path]) -> None:
    key = copy_key(keys, "rsa2048", tmp_path, "locked")
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-P", "", "-N", "hunter2", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    info = sshkeys.inspect_private_key(key.read_text())
    assert info.fingerprint_sha256 == fingerprint(
        keys["rsa2048"].with_name("rsa2048.pub"), "sha256"
    )


def test_plain_pem_private_key_gives_its_public_half(tmp_path: Path, keys: dict[str, Path]) -> None:
    key = copy_key(keys, "rsa2048", tmp_path, "pem")
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-P", "", "-N", "", "-m", "PEM", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    info = sshkeys.inspect_private_key(key.read_text())
    assert info.usable and info.bits == 2048
    assert "MD5:" + info.fingerprint_md5 == fingerprint(
        keys["rsa2048"].with_name("rsa2048.pub"), "md5"
    )


def test_encrypted_pem_private_key_asks_for_the_pub(tmp_path: Path, keys: dict[str, Path]) -> None:
    key = copy_key(keys, "rsa2048", tmp_path, "pem")
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-P", "", "-N", "long enough", "-m", "PEM", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(InvalidInput, match="encrypted") as caught:
        sshkeys.inspect_private_key(key.read_text())
    assert "ssh-keygen -y" in caught.value.next_step


def test_putty_ppk_public_lines_are_read(keys: dict[str, Path]) -> None:
    encoded = public_text(keys["rsa2048"]).split()[1]
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    ppk = "\n".join(
        [
            "PuTTY-User-Key-File-3: ssh-rsa",
            "Encryption: aes256-cbc",
            "Comment: rsa-key-20261128",
            f"Public-Lines: {len(lines)}",
            *lines,
            "Private-Lines: 1",
            "AAAA",
            "Private-MAC: 00",
        ]
    )
    with pytest.raises(InvalidInput, match="PRIVATE"):
        sshkeys.inspect_public_key(ppk)
    info = sshkeys.inspect_private_key(ppk)
    assert info.comment == "rsa-key-20261128"
    assert (
        info.fingerprint_md5
        == sshkeys.inspect_public_key(public_text(keys["rsa2048"])).fingerprint_md5
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ssh-rsa AAAA",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
    ],
)
def test_private_key_garbage_is_an_input_error(text: str) -> None:
    with pytest.raises(InvalidInput):
        sshkeys.inspect_private_key(text)


def test_identity_file_prefers_the_pub_then_the_private(
    tmp_path: Path, keys: dict[str, Path]
) -> None:
    key = copy_key(keys, "rsa2048", tmp_path, "id")
    from_private = sshkeys.inspect_identity_file(key)
    key.with_name("id.pub").write_text(public_text(keys["rsa2048"]))
    from_public = sshkeys.inspect_identity_file(key)
    assert from_public.fingerprint_md5 == from_private.fingerprint_md5
    assert from_public.comment == "rsa2048@test" and from_public.private_key_path == key
    with pytest.raises(InvalidInput, match="does not exist"):
        sshkeys.inspect_identity_file(tmp_path / "missing")


@pytest.mark.parametrize(
    ("passphrase", "ok"), [("", True), ("12345", True), ("1234", False), ("a\nlong one", False)]
)
def test_validate_passphrase(passphrase: str, ok: bool) -> None:
    assert (sshkeys.validate_passphrase(passphrase) is None) == ok


def test_generate_key_refuses_a_short_passphrase_before_making_anything(home: Home) -> None:
    with pytest.raises(InvalidInput, match="passphrase"):
        sshkeys.generate_key(home, passphrase="abc", env=home.env())
    assert list(home.ssh_dir.iterdir()) == []
