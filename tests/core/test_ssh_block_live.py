"""The managed ssh block against a server that speaks like CodeCommit's SSH endpoint.

The server (asyncssh, on 127.0.0.1) offers only the `ssh-rsa` host-key
algorithm, accepts only `ssh-rsa` (SHA-1) signatures, and lets in only the
SSH key ID as user name, like CodeCommit. The real OpenSSH client must fail
without onboard's block and get CodeCommit's banner with it.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest

from onboard.home import Home
from onboard.ssh import config as sshconfig
from onboard.ssh import keys as sshkeys

KEY_ID = "APKAEIBAERJR2EXAMPLE"
BANNER = (
    "You have successfully authenticated over SSH. You can use Git to interact with AWS CodeCommit."
)


class _CodeCommitLike(asyncssh.SSHServer):  # type: ignore[misc]
    def __init__(self, allowed_key: str) -> None:
        self.allowed_key = allowed_key

    def begin_auth(self, username: str) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        offered = key.export_public_key("openssh").decode().split()[1]
        return username == KEY_ID and offered == self.allowed_key


async def _banner(process: asyncssh.SSHServerProcess) -> None:  # type: ignore[type-arg]
    process.stdout.write(BANNER + "\n")
    process.exit(0)


@pytest.fixture
def codecommit_like(home: Home) -> Iterator[tuple[int, Path]]:
    """(port, client private key) of a running CodeCommit-like SSH server."""
    info = sshkeys.generate_key(home, "codecommit_rsa", env=home.env())
    assert info.private_key_path is not None
    allowed = info.public_key.split()[1]
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        # Offer the RSA host key as ssh-rsa only (not rsa-sha2-*), as CodeCommit does.
        keypair = asyncssh.load_keypairs([asyncssh.generate_private_key("ssh-rsa", 2048)])[0]
        keypair.host_key_algorithms = [b"ssh-rsa"]
        server = await asyncssh.create_server(
            lambda: _CodeCommitLike(allowed),
            "127.0.0.1",
            0,
            server_host_keys=[keypair],
            signature_algs=["ssh-rsa"],
            process_factory=_banner,
        )
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    ready.wait(30)
    try:
        yield int(holder["port"]), info.private_key_path  # type: ignore[call-overload]
    finally:

        async def stop() -> None:
            server = holder["server"]
            server.close()  # type: ignore[attr-defined]
            await server.wait_closed()  # type: ignore[attr-defined]

        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def _ssh(home: Home, port: int) -> subprocess.CompletedProcess[str]:
    # Route the CodeCommit host name to the local server, as the sandbox does.
    route = home.root / "route_ssh_config"
    route.write_text(f"Host git-codecommit.*.amazonaws.com\n  HostName 127.0.0.1\n  Port {port}\n")
    text = home.ssh_config.read_text() if home.ssh_config.exists() else ""
    if f"Include {route}" not in text:
        home.ssh_config.write_text(text + f"\nHost *\nInclude {route}\n")
    return subprocess.run(
        [
            *sshconfig.ssh_command(home),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "git-codecommit.us-east-1.amazonaws.com",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=home.env(),
        stdin=subprocess.DEVNULL,
    )


def test_without_the_block_openssh_refuses_the_ssh_rsa_host_key(
    home: Home, codecommit_like: tuple[int, Path]
) -> None:
    port, _key = codecommit_like
    result = _ssh(home, port)
    assert result.returncode != 0
    assert "no matching host key type found. Their offer: ssh-rsa" in result.stderr


@pytest.mark.parametrize("version", ["installed", (8, 1), None])
def test_with_the_block_git_gets_codecommits_banner(
    home: Home, codecommit_like: tuple[int, Path], version: object
) -> None:
    """Every variant of the block (this OpenSSH's, pre-8.5 keywords, unknown) connects."""
    port, key = codecommit_like
    ssh_version = sshconfig.ssh_version(home.env()) if version == "installed" else version
    sshconfig.write_ssh_config(home, KEY_ID, key, ssh_version)  # type: ignore[arg-type]
    result = _ssh(home, port)
    assert result.returncode == 0, result.stderr
    assert BANNER in result.stdout


def test_with_the_wrong_user_the_server_says_permission_denied(
    home: Home, codecommit_like: tuple[int, Path]
) -> None:
    port, key = codecommit_like
    sshconfig.write_ssh_config(home, "APKAWRONGKEYID000000", key, sshconfig.ssh_version(home.env()))
    result = _ssh(home, port)
    assert result.returncode != 0
    assert "Permission denied (publickey)" in result.stderr
