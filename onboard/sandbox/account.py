"""The embedded sandbox AWS account: start, seed, serve, stop.

`Sandbox.start()` runs moto's server in this process on 127.0.0.1 (random
port), patched by `aws_patches` and seeded by `seed`, plus the git HTTPS/SSH
endpoints, and an isolated home whose git/ssh reach those endpoints under
the real CodeCommit host names. One sandbox per process (moto's state is
global). Quiet: werkzeug/moto never log into the terminal.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any

from moto.iam.models import iam_backends
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from onboard.errors import InvalidInput, OnboardError
from onboard.files import atomic_write
from onboard.home import Home
from onboard.sandbox import aws_patches, totp
from onboard.sandbox.faults import FaultInjector
from onboard.sandbox.git_backend import SandboxGitBackend
from onboard.sandbox.guard import Guard
from onboard.sandbox.home_claim import DATA_MARKER, MARKER, claim_folder, owned_path, record_written
from onboard.sandbox.iam_handlers import ROOT_MFA_DEVICE_NAME
from onboard.sandbox.seed import (
    ACCOUNT_ID,
    REGION,
    SCENARIOS,
    SandboxUser,
    Seeded,
    seed_account,
)
from onboard.sandbox.state import SandboxState, activate, deactivate
from onboard.settings import Settings

__all__ = ["SCENARIOS", "Sandbox", "SandboxUser"]

SSH_KEY_FILE = "codecommit_rsa"
_QUIET_LOGGERS = ("werkzeug", "moto", "botocore.credentials", "asyncssh")


def quiet_logging() -> None:
    """Keep werkzeug/moto/asyncssh out of the terminal (the TUI owns it)."""
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


class _Server:
    """moto's WSGI app behind the fault injector, served by werkzeug on 127.0.0.1.

    Like moto's ThreadedMotoServer, but the socket is bound in the caller's
    thread, so a taken port is an error here instead of a silent hang.
    """

    def __init__(
        self, faults: FaultInjector, port: int, clock: Callable[[], float], token: str
    ) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        self.guard = Guard(faults.wrap(app), token)

        class Handler(MotoRequestHandler):
            # The Date header comes from the sandbox clock, so skew shows as on AWS.
            def date_time_string(self, timestamp: float | None = None) -> str:
                return formatdate(clock() if timestamp is None else timestamp, usegmt=True)

        # Bind here: werkzeug's own bind prints and exits the process on a taken port.
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", port))
            listener.listen(128)
        except OSError as exc:
            listener.close()
            raise OnboardError(
                f"the sandbox cannot listen on 127.0.0.1:{port}",
                exc.strerror or str(exc),
                "pick another --port, or leave it out for a random free one",
            ) from exc
        try:
            self._server = make_server(
                "127.0.0.1",
                port,
                self.guard,
                True,
                request_handler=Handler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # the server holds its own duplicate of the socket
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            daemon=True,
            name="onboard-sandbox-aws",
        )

    def start(self) -> None:
        self._thread.start()

    def get_host_and_port(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _data_dir(home_root: Path) -> Path:
    return home_root.parent / (home_root.name + ".sandbox-data")


class Sandbox:
    """A running sandbox account; use as a context manager or call `stop()`."""

    region: str = REGION
    account_id: str = ACCOUNT_ID

    def __init__(self, scenario: str, state: SandboxState, seeded: Seeded, home: Home) -> None:
        self.scenario = scenario
        self.state = state
        self.seeded = seeded
        self.home = home
        self.new_hire: SandboxUser = seeded.new_hire
        self.helpdesk: SandboxUser = seeded.helpdesk
        self.repo_name: str = seeded.repo_name
        self.kms_key_arn: str = seeded.kms_key_arn
        self.faults = FaultInjector(lambda: state.now())
        self.admin_token = secrets.token_urlsafe(32)
        """Opens moto's admin API and the fault endpoint (`guard.TOKEN_HEADER`)."""
        self.endpoint_url = ""
        self.port = 0
        self.git_http: Any = None
        self.git_ssh: Any = None
        self.ssh_private_key_path: Path | None = None
        self._server: _Server | None = None
        self._temp_dir: str | None = None
        self._clock_offset = 0.0
        self._stopped = False

    # --- lifecycle --------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        scenario: str = "fresh",
        *,
        port: int = 0,
        home_root: Path | None = None,
        git: bool = True,
    ) -> Sandbox:
        """Seed the scenario's account and serve it (and git, unless `git=False`)."""
        if scenario not in SCENARIOS:
            raise InvalidInput(
                f"unknown sandbox scenario {scenario!r}",
                f"the sandbox knows: {', '.join(SCENARIOS)}",
                "pick one of those with --scenario",
            )
        quiet_logging()
        aws_patches.apply()
        state = SandboxState(ACCOUNT_ID, REGION)
        activate(state)
        temp_dir = None
        sandbox: Sandbox | None = None
        try:
            moto_api_backend.reset()
            if home_root is None:
                temp_dir = tempfile.mkdtemp(prefix="onboard-sandbox-")
                home_root = Path(temp_dir) / "home"
            # Never write into a folder (or files) the sandbox did not create.
            claim_folder(home_root, MARKER, "home (~/.gitconfig, ~/.ssh, ~/.aws)")
            claim_folder(_data_dir(home_root), DATA_MARKER, "repositories and TLS files")
            seeded = seed_account(state, scenario)
            sandbox = cls(scenario, state, seeded, Home.sandbox(home_root))
            sandbox._temp_dir = temp_dir
            state.clock = sandbox._now
            sandbox._serve(port)
            if git:
                sandbox._start_git()
            sandbox._write_onboarded_files()
        except BaseException:
            if sandbox is not None:
                sandbox.stop()
            else:
                deactivate(state)
                moto_api_backend.reset()
                if temp_dir:
                    shutil.rmtree(temp_dir, ignore_errors=True)
            raise
        return sandbox

    def _now(self) -> float:
        return time.time() + self._clock_offset

    @property
    def data_dir(self) -> Path:
        """The sandbox's own files (bare repos, TLS and SSH host keys), outside the home."""
        return _data_dir(self.home.root)

    def _serve(self, port: int) -> None:
        self._server = _Server(self.faults, port, self.state.now, self.admin_token)
        self._server.start()
        host, bound = self._server.get_host_and_port()
        self.port = int(bound)
        self.endpoint_url = f"http://{host}:{bound}"

    def _start_git(self) -> None:
        from onboard.sandbox import git_http, git_redirect, git_ssh, repos

        data = self.data_dir
        data.mkdir(parents=True, exist_ok=True)
        paths = repos.seed_repositories(data / "repos", [self.repo_name])
        self.state.repo_paths.update({name: str(path) for name, path in paths.items()})
        backend = SandboxGitBackend(self.state)
        self.git_http = git_http.start_git_http(backend, tls_dir=data / "tls")
        self.git_ssh = git_ssh.start_git_ssh(backend, host_key_path=data / "ssh_host_rsa_key")
        git_redirect.write_redirect(
            self.home,
            self.region,
            self.git_http.url,
            self.git_ssh.port,
            ca_cert=self.git_http.ca_cert,
            ssh_host_key=self.git_ssh.host_public_key,
        )

    def _write_onboarded_files(self) -> None:
        if self.seeded.ssh_private_key_pem is None:
            return
        # A key the sandbox did not write (the user's own) is never replaced.
        path = owned_path(self.home.root, self.home.ssh_dir / SSH_KEY_FILE)
        atomic_write(path, self.seeded.ssh_private_key_pem, mode=0o600, backup=False)
        record_written(self.home.root, path)
        self.ssh_private_key_path = path

    def stop(self) -> None:
        """Stop every server, forget the account, remove temporary files (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._shutdown()

    def _shutdown(self) -> None:
        for server in (self.git_ssh, self.git_http):
            if server is not None:
                try:
                    server.stop()
                except Exception:  # one failing endpoint must not keep the others running
                    logging.getLogger(__name__).debug("git endpoint stop failed", exc_info=True)
        if self._server is not None:
            self._server.stop()
            self._server = None
        deactivate(self.state)
        moto_api_backend.reset()
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            return
        if self.git_http is not None:  # a kept home must not point at a dead endpoint
            from onboard.sandbox.git_redirect import remove_redirect

            remove_redirect(self.home)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- using it ---------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """Variables that point the AWS CLI, boto3, git and ssh at this sandbox."""
        env = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.new_hire.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.new_hire.secret_access_key,
            "ONBOARD_HELPDESK_ACCESS_KEY_ID": self.helpdesk.access_key_id,
            "ONBOARD_HELPDESK_SECRET_ACCESS_KEY": self.helpdesk.secret_access_key,
            "HOME": str(self.home.root),
        }
        # The rest of what isolates the sandbox home: git's and the AWS CLI's files.
        env.update(self.home.env({}))
        if self.git_http is not None:
            from onboard.sandbox.git_redirect import redirect_env

            env.update(redirect_env(self.home))
        return env

    def settings(self, base: Settings | None = None) -> Settings:
        """Settings that run `onboard` against this sandbox as the new hire."""
        base = base or Settings()
        inherited = {
            k: v
            for k, v in (os.environ if base.environ is None else base.environ).items()
            if not k.startswith("AWS_") and not k.startswith("ONBOARD_HELPDESK_")
        }
        return base.replace(
            sandbox=True,
            scenario=self.scenario,
            endpoint_url=self.endpoint_url,
            region=self.region,
            profile=None,
            home=self.home,
            environ={**inherited, **self.env()},
        )

    def helpdesk_settings(self, base: Settings | None = None) -> Settings:
        """Like `settings()`, acting as the helpdesk (admin) user."""
        settings = self.settings(base)
        environ = dict(settings.environ or {})
        environ["AWS_ACCESS_KEY_ID"] = self.helpdesk.access_key_id
        environ["AWS_SECRET_ACCESS_KEY"] = self.helpdesk.secret_access_key
        return settings.replace(environ=environ)

    def mfa_seed(self, serial: str) -> str:
        """The base32 seed of a virtual MFA device of this account (test helper)."""
        device = iam_backends[self.account_id]["aws"].virtual_mfa_devices.get(serial)
        if device is None:
            raise OnboardError(
                f"no virtual MFA device {serial} in the sandbox",
                "it was never created, or it was deleted",
                "create it first",
            )
        return str(device.base32_string_seed)

    def totp_now(self, serial: str, at: float | None = None) -> str:
        """The code the device `serial` shows at `at` (default: the sandbox's now)."""
        moment = self.state.now() if at is None else at
        return totp.code_at(self.mfa_seed(serial), totp.step_of(moment))

    def add_root_mfa_device(self) -> str:
        """Give the account root's virtual MFA device; returns its serial.

        AWS can list root's device as Unassigned, but it is in use: deleting it is a
        DeleteConflict. Tests of code that cleans up stale devices use this to prove the
        code leaves it alone (no scenario has it, so their device counts stay as they are).
        """
        iam = iam_backends[self.account_id]["aws"]
        return str(iam.create_virtual_mfa_device(ROOT_MFA_DEVICE_NAME, "/").serial_number)

    def set_clock_offset(self, seconds: float) -> None:
        """Run the sandbox's clock `seconds` ahead of this machine's (negative: behind)."""
        self._clock_offset = seconds

    @property
    def git_username(self) -> str | None:
        """The onboarded scenario's HTTPS Git user name (None otherwise)."""
        return self.seeded.git_username

    @property
    def git_password(self) -> str | None:
        """The onboarded scenario's HTTPS Git password (None otherwise)."""
        return self.seeded.git_password

    @property
    def mfa_serial(self) -> str:
        """The serial of the new hire's device (`arn:aws:iam::<account>:mfa/new-hire`)."""
        return self.seeded.mfa_serial or f"arn:aws:iam::{self.account_id}:mfa/new-hire"
