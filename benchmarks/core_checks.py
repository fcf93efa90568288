"""Cost of the core's local checks, as the doctor and the walkthrough call them.

Prints numbers, asserts nothing: `python benchmarks/core_checks.py`.
Subprocess-backed checks are shown as a multiple of one bare `git --version`
(the floor for anything that runs git), so the numbers travel between machines.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyotp

from onboard.aws import files as awsfiles
from onboard.git import config as gitconfig
from onboard.home import Home
from onboard.mfa import codes as mfa
from onboard.ssh import config as sshconfig
from onboard.ssh import keys as sshkeys

URL = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/demo"


def _time(call: Callable[[], object], count: int) -> float:
    """Seconds per call, best of three rounds (the machine is shared)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(count):
            call()
        best = min(best, (time.perf_counter() - start) / count)
    return best


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        home = Home.sandbox(Path(folder) / "home")
        env = home.env()
        subprocess.run(["git", "config", "--global", "credential.helper", "store"], env=env)
        gitconfig.configure_credential_helper(env)
        sshkeys.generate_key(home, env=env)
        sshconfig.write_ssh_config(
            home, "APKAEIBAERJR2EXAMPLE", home.ssh_dir / "codecommit_rsa", (9, 2)
        )
        seed = pyotp.random_base32(64)
        now = time.time()
        codes = (pyotp.TOTP(seed).at(now - 30), pyotp.TOTP(seed).at(now))
        uri = mfa.otpauth_uri(seed, "alice@123456789012")

        floor = _time(lambda: subprocess.run(["git", "--version"], capture_output=True), 20)
        print(f"{'git --version (floor)':<44} {floor * 1000:8.2f} ms")
        subprocess_checks: dict[str, Callable[[], object]] = {
            "gitconfig.git_version": lambda: gitconfig.git_version(env),
            "gitconfig.credential_helpers_for": lambda: gitconfig.credential_helpers_for(URL, env),
            "gitconfig.use_http_path": lambda: gitconfig.use_http_path(URL, env),
            "gitconfig.configure_credential_helper (no-op)": lambda: (
                gitconfig.configure_credential_helper(env)
            ),
            "sshconfig.ssh_version": lambda: sshconfig.ssh_version(env),
            "sshconfig.effective_ssh_config": lambda: sshconfig.effective_ssh_config(
                "git-codecommit.us-east-1.amazonaws.com", env=env, config_file=home.ssh_config
            ),
        }
        for label, call in subprocess_checks.items():
            seconds = _time(call, 10)
            print(f"{label:<44} {seconds * 1000:8.2f} ms  ({seconds / floor:4.1f}x floor)")
        in_process: dict[str, Callable[[], object]] = {
            "mfa.check_codes (21-step window)": lambda: mfa.check_codes(seed, *codes, now=now),
            "mfa.qr_lines (64-char seed)": lambda: mfa.qr_lines(uri),
            "sshkeys.find_keys (1 key)": lambda: sshkeys.find_keys(home),
            "awsfiles.read_profiles": lambda: awsfiles.read_profiles(home),
        }
        for label, call in in_process.items():
            seconds = _time(call, 50)
            print(f"{label:<44} {seconds * 1000:8.3f} ms  ({1 / seconds:9.0f} /s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
