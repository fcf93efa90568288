"""The live check's early verdict at git's no-op `store`, against the sandbox's real git."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from onboard.doctor.checks import DoctorContext, all_checks, run_checks, select
from onboard.doctor.lsremote import is_store_start, run_ls_remote
from onboard.git import config as gitconfig
from onboard.sandbox.account import Sandbox

from .conftest import self_settings, set_up_https_helper

HELPER_KEY = "credential.https://git-codecommit.*.amazonaws.com.helper"


def test_store_start_is_recognised_in_trace2_events() -> None:
    # Shapes copied from GIT_TRACE2_EVENT of git 2.39.5 running the AWS helper.
    store = {"event": "child_start", "argv": ["aws codecommit credential-helper $@ store"]}
    get = {"event": "child_start", "argv": ["aws codecommit credential-helper $@ get"]}
    assert is_store_start(store)
    assert is_store_start({"event": "child_start", "argv": ["git", "credential-store", "store"]})
    assert not is_store_start(get)
    assert not is_store_start({"event": "child_exit", "argv": store["argv"]})
    assert not is_store_start({"event": "child_start", "argv": []})
    assert not is_store_start({"event": "child_start", "argv": "not a list"})


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    sandbox = Sandbox.start("fresh")
    try:
        yield sandbox
    finally:
        sandbox.stop()


def _url(sandbox: Sandbox) -> str:
    return gitconfig.clone_url("us-east-1", sandbox.repo_name, "https-helper")


def test_only_the_aws_helper_answers_at_its_store(fresh: Sandbox) -> None:
    settings = self_settings(fresh)
    set_up_https_helper(settings)
    live = run_ls_remote(_url(fresh), settings.env(), 30, early_at_store=True)
    assert live.result.ok, live.result.stderr
    assert live.early  # CodeCommit said 200 and git had moved on to the AWS helper's store
    # The same run without the early verdict really lists the refs: the check agrees with git.
    full = run_ls_remote(_url(fresh), settings.env(), 30)
    assert full.result.ok and not full.early
    assert "refs/heads/" in full.result.stdout


def test_live_finding_says_when_it_answered_at_store(fresh: Sandbox) -> None:
    settings = self_settings(fresh)
    set_up_https_helper(settings)
    ctx = DoctorContext(settings, repo=fresh.repo_name)
    findings, _ = run_checks(ctx, select(all_checks(), ctx, ["live."]))
    live = {f.id: f for f in findings}["live.https-helper"]
    assert live.status == "ok"
    assert live.data["answered_at_store"] is True
    assert live.seconds is not None and live.seconds > 0  # per-check timing is recorded
    assert "accepted the AWS helper's password" in live.summary


def test_a_storing_helper_is_waited_for(fresh: Sandbox) -> None:
    """With `store` in the list, its store writes a password: the doctor waits for git."""
    settings = self_settings(fresh)
    env = settings.env()
    set_up_https_helper(settings)
    subprocess.run(["git", "config", "--global", "--add", HELPER_KEY, "store"], env=env, check=True)
    ctx = DoctorContext(settings, repo=fresh.repo_name)
    findings, _ = run_checks(ctx, select(all_checks(), ctx, ["live."]))
    live = {f.id: f for f in findings}["live.https-helper"]
    assert live.status == "ok"
    assert live.data["answered_at_store"] is False
    # git ended, so its store ran: the storing helper holds the password it was given
    stored = (fresh.home.root / ".git-credentials").read_text()
    assert "git-codecommit.us-east-1.amazonaws.com" in stored


def test_a_rejected_password_still_gives_git_s_whole_message() -> None:
    sandbox = Sandbox.start("breaks-git")
    try:
        settings = self_settings(sandbox)
        set_up_https_helper(settings)
        live = run_ls_remote(_url(sandbox), settings.env(), 30, early_at_store=True)
        assert not live.result.ok and not live.early
        assert "403" in live.result.stderr
    finally:
        sandbox.stop()


def test_timeout_stops_git_and_says_so(fresh: Sandbox) -> None:
    settings = self_settings(fresh)
    env = settings.env()
    # A helper that hangs (like an AWS CLI waiting at its auto-prompt) until the timeout.
    subprocess.run(["git", "config", "--global", HELPER_KEY, "!sleep 30; echo"], env=env)
    live = run_ls_remote(_url(fresh), env, 1.5, early_at_store=True)
    assert live.result.timed_out and not live.result.ok
    assert "no answer within 1.5 seconds" in live.result.stderr
    subprocess.run(["git", "config", "--global", "--unset-all", HELPER_KEY], env=env)
