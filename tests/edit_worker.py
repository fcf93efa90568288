"""A separate onboard process that edits a home's files, for the concurrency and SIGKILL tests.

`python tests/edit_worker.py HOME NAME ROUNDS MODE`:
- MODE `race`: each round saves session profile `NAME` (token `NAME-<round>`)
  and switches the git helper (`NAME` even rounds: AWS helper, odd: store),
  then checks its own profile is intact and git reads one whole helper state;
  with NAME `git`, it runs `git config --global test.k<round>` instead (git's
  own writes, which onboard must never drop).
- MODE `loop`: edits ssh config, AWS files and gitconfig in turn, forever
  (the SIGKILL test kills it at random moments).
- MODE `once`: one round of each edit; prints the notes (stale files removed).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from onboard import locks
from onboard.aws import files as awsfiles
from onboard.git import config as gitconfig
from onboard.home import Home
from onboard.ssh.config import write_ssh_config

EXPIRY = datetime(2030, 1, 1, tzinfo=UTC)
VALID_HELPER_STATES = (
    # (helpers, UseHttpPath) as `git config --get-regexp` lists them
    ("helper=", "helper=!aws codecommit credential-helper $@", "usehttppath=true"),
    ("helper=", "helper=store"),
)


class Creds:
    def __init__(self, name: str, round_number: int) -> None:
        self.access_key_id = f"ASIA{name.upper():A<8}{round_number:08d}"[:20]
        self.secret_access_key = f"secret-{name}-{round_number}"
        self.session_token = f"{name}-{round_number}"


def helper_state(env: dict[str, str]) -> tuple[str, ...]:
    """The CodeCommit section as git reads it, in one read of the file."""
    out = subprocess.run(
        ["git", "config", "--global", "--get-regexp", r"^credential\.https://git-codecommit"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return tuple(
        line.split(".amazonaws.com.", 1)[1].replace(" ", "=", 1) for line in out.splitlines()
    )


def switch_helper(env: dict[str, str], aws: bool) -> None:
    if aws:
        gitconfig.configure_credential_helper(env)
    else:
        gitconfig.configure_password_helper(env, "store")


def race(home: Home, name: str, rounds: int) -> None:
    env = home.env()
    for number in range(rounds):
        if name == "git":
            while (
                subprocess.run(
                    ["git", "config", "--global", f"test.k{number}", "v"],
                    env=env,
                    capture_output=True,
                    check=False,
                ).returncode
                != 0
            ):
                pass  # git refuses while onboard holds ~/.gitconfig.lock: retry, as a user would
            continue
        awsfiles.save_session_profile(home, name, Creds(name, number), "us-east-1", EXPIRY)
        saved = awsfiles.read_session_profile(home, name)
        assert saved is not None and saved.access_key_id == Creds(name, number).access_key_id
        switch_helper(env, number % 2 == 0)
        state = helper_state(env)
        assert state in VALID_HELPER_STATES, state


def one_round(home: Home, number: int) -> list[str]:
    notes: list[str] = []
    key = f"APKA{number % 2}EXAMPLE"
    notes += write_ssh_config(home, key, home.ssh_dir / "codecommit_rsa", (9, 2)).notes
    result = awsfiles.save_session_profile(home, "dev", Creds("dev", number), None, EXPIRY)
    notes += result.notes
    switch_helper(home.env(), number % 2 == 0)
    return notes


def main() -> None:
    root, name, rounds, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    home = Home.sandbox(Path(root))
    if mode == "race":
        race(home, name, rounds)
    elif mode == "loop":
        locks.STALE_GIT_LOCK = 0.5  # a killed sibling's lock is recovered quickly
        number = 0
        while True:
            one_round(home, number)
            number += 1
    else:
        locks.STALE_GIT_LOCK = 0.5
        for note in one_round(home, rounds):
            print(note)


if __name__ == "__main__":
    main()
