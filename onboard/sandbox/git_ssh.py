"""The sandbox's CodeCommit git endpoint over SSH (asyncssh, in its own thread and loop).

Like CodeCommit: the login name is an IAM SSH key ID (`APKA...`), the offered
key must be that Active key of its user, only `git-upload-pack` /
`git-receive-pack` on `/v1/repos/<name>` run, and the account's policies
must allow `codecommit:GitPull` / `codecommit:GitPush` (plus the KMS calls
CodeCommit makes). A session without a command gets CodeCommit's banner and
the connection is closed, so `ssh -T` shows the banner and then ssh's own
"Connection ... closed by remote host." (exit status 255), as with the real
service. The host key is RSA and only `ssh-rsa` is offered, for host key and
user signatures alike: OpenSSH >= 8.8 needs `HostKeyAlgorithms +ssh-rsa` and
`PubkeyAcceptedAlgorithms +ssh-rsa`, exactly as against CodeCommit.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import re
import shlex
import threading
from pathlib import Path
from typing import Any

import asyncssh

from onboard.sandbox.git_auth import GitAuthBackend, GitIdentity, authorize_git, backend_now
from onboard.sandbox.git_http import GitEvent, RunningServer, cannot_listen

log = logging.getLogger("onboard.sandbox.git_ssh")

BANNER = (
    "You have successfully authenticated over SSH. You can use Git to interact with "
    "AWS CodeCommit. Interactive shells are not supported."
)
_COMMANDS = {"git-upload-pack": "pull", "git-receive-pack": "push"}
_REPO_PATH = re.compile(r"^/?v1/repos/(?P<repo>[A-Za-z0-9._-]{1,100})/?$")
_LEGACY_ALGS = ["ssh-rsa"]


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The RSA host key at `path`, generated (0600) on first use."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    key.write_private_key(str(path))
    return key


def parse_git_command(command: str) -> tuple[str, str] | None:
    """(operation, repo name) from `git-upload-pack '/v1/repos/x'`, or None."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) != 2 or words[0] not in _COMMANDS:
        return None
    match = _REPO_PATH.match(words[1])
    return (_COMMANDS[words[0]], match["repo"]) if match else None


class _CodeCommitSSHServer(asyncssh.SSHServer):
    """Authentication: key ID as login name, the offered key must be its Active key."""

    def __init__(self, backend: GitAuthBackend, live: set[asyncssh.SSHServerConnection]) -> None:
        self._backend = backend
        self._live = live
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._live.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._live.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        offered = key.export_public_key("openssh").decode("ascii").strip()
        identity = self._backend.ssh_key_identity(username, offered)
        if identity is None:
            log.info("ssh: key refused for login name %s", username)
            return False
        if self._conn is not None:
            self._conn.set_extra_info(onboard_identity=identity)
        return True


class _Session:
    """Runs one SSH session: banner, refusal, or git behind the policy check."""

    def __init__(self, backend: GitAuthBackend, events: collections.deque[GitEvent]) -> None:
        self._backend = backend
        self._events = events

    async def __call__(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        try:
            await self._run(process)
        except Exception:  # one broken session must not take the server down
            log.exception("ssh session failed")
            process.exit(1)

    async def _run(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        identity: GitIdentity | None = process.get_extra_info("onboard_identity")
        if identity is None:  # cannot happen after public key auth; be safe
            process.exit(1)
            return
        command = process.command
        if not command:
            process.stdout.write(BANNER.encode())
            await process.stdout.drain()
            # CodeCommit closes the session without an exit status.
            process.close()
            await process.wait_closed()
            return
        parsed = parse_git_command(command)
        if parsed is None:
            process.stderr.write(f"Unsupported command: {command.split()[0]}\n".encode())
            self._record(identity, "?", "?", "refused-command")
            process.exit(1)
            return
        operation, repo = parsed
        now = backend_now(self._backend)
        decision = authorize_git(self._backend, identity, repo, operation, "ssh", now=now)
        if not decision.allowed:
            process.stderr.write((decision.message or "Access denied").encode() + b"\n")
            self._record(identity, repo, operation, f"denied: {decision.action}")
            process.exit(1)
            return
        repo_path = self._backend.repository_path(repo)
        if repo_path is None or not repo_path.is_dir():
            process.stderr.write(f"fatal: repository '{repo}' does not exist\n".encode())
            self._record(identity, repo, operation, "no-such-repo")
            process.exit(128)
            return
        self._record(identity, repo, operation, "ok")
        await self._run_git(process, operation, repo_path)

    def _record(self, identity: GitIdentity, repo: str, operation: str, outcome: str) -> None:
        self._events.append(GitEvent("ssh", repo, operation, identity.user_arn, outcome))
        log.info("ssh %s %s %s: %s", operation, repo, identity.user_arn, outcome)

    async def _run_git(
        self, process: asyncssh.SSHServerProcess[bytes], operation: str, repo_path: Path
    ) -> None:
        env = {
            # The server's PATH, so the same git as the HTTP endpoint runs.
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
        }
        protocol = (process.env or {}).get("GIT_PROTOCOL")
        if protocol:
            env["GIT_PROTOCOL"] = str(protocol)
        verb = "upload-pack" if operation == "pull" else "receive-pack"
        git = await asyncio.create_subprocess_exec(
            "git",
            verb,
            str(repo_path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        try:
            await process.redirect(stdin=git.stdin, stdout=git.stdout, stderr=git.stderr)
            status = await git.wait()
        finally:
            if git.returncode is None:  # the session was cancelled (server stopping)
                git.kill()
                await git.wait()
        await process.stdout.drain()
        process.exit(status)
        # Runs asyncssh's clean-up of the redirected pipes.
        await process.wait_closed()


def start_git_ssh(
    backend: GitAuthBackend,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    host_key_path: Path,
) -> RunningServer:
    """Serve the backend's repositories over SSH like CodeCommit; returns once listening.

    `RunningServer.url` is `ssh://<host>:<port>`; `host_public_key` is the
    host key in OpenSSH form (for a known_hosts line).
    """
    host_key = load_or_create_host_key(host_key_path)
    events: collections.deque[GitEvent] = collections.deque(maxlen=1000)
    live: set[asyncssh.SSHServerConnection] = set()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True, name="onboard-git-ssh")
    thread.start()
    # Offer the RSA host key as ssh-rsa only, as CodeCommit does.
    keypair = asyncssh.load_keypairs([host_key])[0]
    keypair.host_key_algorithms = [alg.encode() for alg in _LEGACY_ALGS]
    options: dict[str, Any] = {
        "server_host_keys": [keypair],
        "signature_algs": _LEGACY_ALGS,
        "process_factory": _Session(backend, events),
        "encoding": None,
        "allow_scp": False,
        "agent_forwarding": False,
        "x11_forwarding": False,
        "line_editor": False,
        "login_timeout": 30,
    }

    async def listen() -> asyncssh.SSHAcceptor:
        return await asyncssh.create_server(
            lambda: _CodeCommitSSHServer(backend, live), host, port, **options
        )

    try:
        acceptor = asyncio.run_coroutine_threadsafe(listen(), loop).result(timeout=30)
    except BaseException as exc:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()
        if isinstance(exc, OSError):
            raise cannot_listen("git SSH", host, port, exc) from exc
        raise
    bound_port = int(acceptor.sockets[0].getsockname()[1])
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()

        async def close() -> None:
            acceptor.close()
            await acceptor.wait_closed()
            for conn in list(live):
                conn.close()
            await asyncio.gather(*(c.wait_closed() for c in list(live)), return_exceptions=True)
            # Sessions still running (a git command mid-transfer) end with the server.
            current = asyncio.current_task()
            pending = [task for task in asyncio.all_tasks() if task is not current]
            if pending:  # let sessions finish on their own first (git sees EOF)
                await asyncio.wait(pending, timeout=2)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()

    public = host_key.export_public_key("openssh").decode("ascii").strip()
    url_host = host if ":" not in host else f"[{host}]"
    return RunningServer(
        f"ssh://{url_host}:{bound_port}", bound_port, stop, events, host_public_key=public
    )
