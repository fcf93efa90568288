"""Concurrent onboard processes (and git) lose nothing; SIGKILL leaves old-or-new files only."""

from __future__ import annotations

import configparser
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from onboard.files import BACKUP_SUFFIX, TEMP_SUFFIX
from onboard.home import Home

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "edit_worker.py"
ROUNDS = 50
USER_SSH = "# my hosts, caf\xe9\nHost build\n  User me\n"
USER_CREDENTIALS = "[default]\naws_access_key_id = AKIAUSER\naws_secret_access_key = mine\n"
USER_GITCONFIG = "[user]\n\tname = Me\n[credential]\n\thelper = cache\n"


def worker(home: Path, name: str, rounds: int, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(home), name, str(rounds), mode],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def prepared_home(tmp_path: Path) -> Home:
    home = Home.sandbox(tmp_path / "home")
    home.ssh_config.write_text(USER_SSH, encoding="latin-1")
    home.aws_credentials.write_text(USER_CREDENTIALS)
    home.gitconfig.write_text(USER_GITCONFIG)
    return home


def test_two_processes_x_50_rounds_and_git_lose_nothing(tmp_path: Path) -> None:
    home = prepared_home(tmp_path)
    runs = [worker(home.root, name, ROUNDS, "race") for name in ("alpha", "beta", "git")]
    for run in runs:
        _out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    parser = configparser.RawConfigParser()
    parser.read_string(home.aws_credentials.read_text())
    for name in ("alpha", "beta"):  # both profiles, each with its last round
        assert parser.get(f"{name}-mfa", "aws_session_token") == f"{name}-{ROUNDS - 1}"
    assert home.aws_credentials.read_text().startswith(USER_CREDENTIALS)
    config = configparser.RawConfigParser()
    config.read_string(home.aws_config.read_text())
    assert {"profile alpha-mfa", "profile beta-mfa"} <= set(config.sections())
    listed = subprocess.run(
        ["git", "config", "--global", "--list"], env=home.env(), capture_output=True, text=True
    ).stdout
    for number in range(ROUNDS):  # every write git made is still there
        assert f"test.k{number}=v" in listed
    assert "user.name=Me" in listed and "credential.helper=cache" in listed
    assert not [p for p in home.root.rglob("*") if p.name.endswith((TEMP_SUFFIX, ".lock"))]


def _check_old_or_new(home: Home) -> None:
    ssh = home.ssh_config.read_bytes().decode("latin-1")
    assert ssh == USER_SSH or (
        ssh.endswith("\n" + USER_SSH)
        and ssh.count("# >>> onboard: codecommit >>>") == 1
        and ssh.count("# <<< onboard: codecommit <<<") == 1
    ), ssh
    credentials = home.aws_credentials.read_text()
    assert credentials.startswith(USER_CREDENTIALS)
    parser = configparser.RawConfigParser()
    parser.read_string(credentials)
    if parser.has_section("dev-mfa"):  # never torn: key, secret and token of one round
        number = parser.get("dev-mfa", "aws_session_token").split("-")[1]
        assert parser.get("dev-mfa", "aws_secret_access_key") == f"secret-dev-{number}"
        assert parser.get("dev-mfa", "aws_access_key_id").endswith(f"{int(number):08d}")
    from tests.edit_worker import VALID_HELPER_STATES, helper_state

    state = helper_state(home.env())
    assert state == () or state in VALID_HELPER_STATES, state
    assert "[user]\n\tname = Me\n" in home.gitconfig.read_text()
    originals = {
        home.ssh_config: USER_SSH.encode("latin-1"),
        home.aws_credentials: USER_CREDENTIALS.encode(),
        home.gitconfig: USER_GITCONFIG.encode(),
    }
    for path, original in originals.items():
        backup = path.with_name(path.name + BACKUP_SUFFIX)
        if backup.exists():  # complete, and the file as it was before onboard
            assert backup.read_bytes() == original


def test_sigkill_at_random_moments_leaves_old_or_new_files(tmp_path: Path) -> None:
    home = prepared_home(tmp_path)
    randomness = random.Random(14)
    leftovers_seen = 0
    for _ in range(25):
        run = worker(home.root, "dev", 0, "loop")
        time.sleep(randomness.uniform(0.3, 0.9))
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
        _check_old_or_new(home)
        leftovers = [p for p in home.root.rglob("*") if p.name.endswith((TEMP_SUFFIX, ".lock"))]
        leftovers_seen += len(leftovers)
    assert leftovers_seen > 0  # some kills did land in the middle of an edit
    # One more run, not killed: it removes what the killed ones left, and says so.
    run = worker(home.root, "dev", 1, "once")
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    if leftovers:  # the last kill left a lock or temporary file: the run says it removed it
        assert "removed" in out + err  # EditResult.notes, and the log for the git helper
    _check_old_or_new(home)
    assert not [p for p in home.root.rglob("*") if p.name.endswith((TEMP_SUFFIX, ".lock"))]
    assert home.ssh_config.read_text(encoding="latin-1").endswith(USER_SSH)


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
