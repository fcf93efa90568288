"""`onboard sandbox` as a real subprocess: export lines, 0600 env file, clean exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from onboard.cli import build_parser

from .helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _start(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], Path]:
    env_file = tmp_path / "sandbox.env"
    code = "import sys; from onboard.cli import main; sys.exit(main(sys.argv[1:]))"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "sandbox", "--env-file", str(env_file), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, env_file


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line)
    return {name: value for name, value in pairs}


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_standalone_sandbox_serves_until_a_signal(tmp_path: Path, stop_signal: int) -> None:
    process, env_file = _start(tmp_path, "--scenario", "breaks-git", "--no-git")
    try:
        assert wait_until(env_file.exists, timeout=60), process.stderr
        assert env_file.stat().st_mode & 0o777 == 0o600
        env = _read_env(env_file)
        assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert env["AWS_DEFAULT_REGION"] == "us-east-1"
        assert env["HOME"] and Path(env["HOME"]).is_dir()
        admin = boto3.client(
            "sts",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id=env["ONBOARD_HELPDESK_ACCESS_KEY_ID"],
            aws_secret_access_key=env["ONBOARD_HELPDESK_SECRET_ACCESS_KEY"],
        )
        assert admin.get_caller_identity()["Arn"].endswith(":user/helpdesk")
        iam = boto3.client(
            "iam",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="us-east-1",
            aws_access_key_id=env["ONBOARD_HELPDESK_ACCESS_KEY_ID"],
            aws_secret_access_key=env["ONBOARD_HELPDESK_SECRET_ACCESS_KEY"],
        )
        doc = iam.get_policy_version(
            PolicyArn="arn:aws:iam::123456789012:policy/ForceMFA", VersionId="v1"
        )["PolicyVersion"]["Document"]
        assert "codecommit:*" not in doc["Statement"][-1]["NotAction"]  # breaks-git
        os.kill(process.pid, stop_signal)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    exports = [line for line in out.splitlines() if line.startswith("export ")]
    names = {line.split()[1].split("=", 1)[0] for line in exports}
    assert {
        "AWS_ENDPOINT_URL",
        "AWS_DEFAULT_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "ONBOARD_HELPDESK_ACCESS_KEY_ID",
        "ONBOARD_HELPDESK_SECRET_ACCESS_KEY",
        "HOME",
    } <= names
    assert "Traceback" not in err
    assert "stopped" in err
    assert not env_file.exists()  # the secrets leave with the sandbox
    assert not Path(env["HOME"]).exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sandbox", "--port", "99999"], "--port: 99999 is not a port (0-65535)"),
        (["sandbox", "--port", "-1"], "--port: -1 is not a port (0-65535)"),
        (["--scenario", "nope", "sandbox"], "unknown sandbox scenario 'nope'"),
    ],
)
def test_bad_options_are_invalid_input_not_a_traceback(argv: list[str], message: str) -> None:
    code = "import sys; from onboard.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert message in done.stderr
    assert done.returncode == 3  # invalid input


def test_parser_reads_the_sandbox_options() -> None:
    args = build_parser().parse_args(
        ["--scenario", "onboarded", "sandbox", "--port", "0", "--env-file", "x.env"]
    )
    assert args.sandbox_scenario is None and args.scenario == "onboarded"
    assert args.env_file == Path("x.env") and args.port == 0
    args = build_parser().parse_args(["sandbox", "--scenario", "stale-device"])
    assert args.sandbox_scenario == "stale-device"


@pytest.mark.e2e
def test_standalone_sandbox_serves_git_to_the_aws_credential_helper(tmp_path: Path) -> None:
    process, env_file = _start(tmp_path)  # fresh, with the git endpoints
    try:
        assert wait_until(env_file.exists, timeout=60), process.stderr
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "AWS_"))}
        env = {**inherited, **_read_env(env_file)}
        assert env["GIT_CONFIG_GLOBAL"].startswith(env["HOME"])  # never the real ~/.gitconfig
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["GIT_TERMINAL_PROMPT"] = "0"
        for key, value in (
            ("credential.helper", "!aws codecommit credential-helper $@"),
            ("credential.UseHttpPath", "true"),
        ):
            subprocess.run(
                ["git", "config", "--global", key, value], env=env, check=True, timeout=30
            )
        done = subprocess.run(
            ["git", "ls-remote", "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "refs/heads/main" in done.stdout
        os.kill(process.pid, signal.SIGTERM)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
