"""Throughput of the sandbox's git endpoints: SigV4 checks, and git round trips.

Prints numbers, asserts nothing: `python benchmarks/git_endpoints.py`.
Round trips are real `git ls-remote` runs (process start-up included) over
HTTPS (credential helper, through the CONNECT/TLS redirect) and over SSH,
against the `fresh` sandbox after MFA and key upload.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from onboard.sandbox.account import Sandbox
from onboard.sandbox.git_auth import sign_git_password, verify_signed_password
from onboard.sandbox.git_backend import SandboxGitBackend
from onboard.sandbox.git_redirect import ssh_command

HOST = "git-codecommit.us-east-1.amazonaws.com"


def _rate(label: str, count: int, seconds: float, unit: str) -> None:
    print(f"{label:<48} {count / seconds:10.1f} {unit}/s  ({count} in {seconds:.2f} s)")


def main() -> int:
    with (
        tempfile.TemporaryDirectory() as tmp,
        Sandbox.start("onboarded", home_root=Path(tmp) / "h") as sb,
    ):
        backend = SandboxGitBackend(sb.state)
        key, secret = sb.new_hire.access_key_id, sb.new_hire.secret_access_key
        path = f"/v1/repos/{sb.repo_name}"
        now = datetime.now(UTC)
        n = 2000
        passwords = [sign_git_password(secret, sb.region, HOST, path, now) for _ in range(n)]
        start = time.perf_counter()
        ok = sum(verify_signed_password(backend, key, p, HOST, path).ok for p in passwords)
        _rate(
            "SigV4 password verifications (backend lookup)",
            ok,
            time.perf_counter() - start,
            "checks",
        )

        env = {**sb.home.env(), **sb.env()}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        env["GIT_TERMINAL_PROMPT"] = "0"
        section = "credential.https://git-codecommit.*.amazonaws.com"
        subprocess.run(
            [
                "git",
                "config",
                "--global",
                f"{section}.helper",
                "!aws codecommit credential-helper $@",
            ],
            env=env,
            check=True,
        )
        subprocess.run(
            ["git", "config", "--global", f"{section}.UseHttpPath", "true"], env=env, check=True
        )
        url = f"https://{HOST}{path}"
        rounds = 10
        start = time.perf_counter()
        for _ in range(rounds):
            subprocess.run(["git", "ls-remote", url], env=env, check=True, capture_output=True)
        _rate(
            "git ls-remote over HTTPS (aws helper, TLS tunnel)",
            rounds,
            time.perf_counter() - start,
            "runs",
        )

        # Git credentials skip the aws CLI start-up: the endpoint's own cost shows.
        if sb.git_username and sb.git_password:
            from urllib.parse import quote

            store = Path(tmp) / "store"
            user, password = quote(sb.git_username, safe=""), quote(sb.git_password, safe="")
            store.write_text(f"https://{user}:{password}@{HOST}\n")
            creds = {
                **env,
                "GIT_CONFIG_COUNT": "2",
                "GIT_CONFIG_KEY_0": f"{section}.helper",
                "GIT_CONFIG_VALUE_0": "",
                "GIT_CONFIG_KEY_1": f"{section}.helper",
                "GIT_CONFIG_VALUE_1": f"store --file={store}",
            }
            subprocess.run(
                ["git", "config", "--global", f"{section}.UseHttpPath", "false"],
                env=env,
                check=True,
            )
            start = time.perf_counter()
            for _ in range(rounds):
                subprocess.run(
                    ["git", "ls-remote", url], env=creds, check=True, capture_output=True
                )
            _rate(
                "git ls-remote over HTTPS (Git credentials)",
                rounds,
                time.perf_counter() - start,
                "runs",
            )

        if sb.ssh_private_key_path is not None and sb.seeded.ssh_key_id:
            with sb.home.ssh_config.open("a") as handle:
                handle.write(
                    f"\nHost git-codecommit.*.amazonaws.com\n  User {sb.seeded.ssh_key_id}\n"
                    f"  IdentityFile {sb.ssh_private_key_path}\n  IdentitiesOnly yes\n"
                    "  HostKeyAlgorithms +ssh-rsa\n  PubkeyAcceptedAlgorithms +ssh-rsa\n"
                )
            ssh_url = f"ssh://{HOST}{path}"
            start = time.perf_counter()
            for _ in range(rounds):
                subprocess.run(
                    ["git", "ls-remote", ssh_url], env=env, check=True, capture_output=True
                )
            _rate("git ls-remote over SSH", rounds, time.perf_counter() - start, "runs")
            start = time.perf_counter()
            for _ in range(rounds):
                subprocess.run([*ssh_command(sb.home), "-T", HOST], env=env, capture_output=True)
            _rate("ssh -T (banner)", rounds, time.perf_counter() - start, "runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
