"""`onboard doctor --json` wall time against one `aws sts get-caller-identity`, same sandbox.

Both run as fresh processes against one sandbox started here (its moto
server, git endpoints and home), with the same environment, so the ratio
compares like with like: process start, credential resolution, requests.
Prints the median of N runs of each and their ratio (aim: within 2x).

    .venv/bin/python benchmarks/doctor_latency.py [--runs 5] [--scenario onboarded]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboard import gitconfig  # noqa: E402
from onboard.doctor.checks import DoctorContext, run_checks  # noqa: E402
from onboard.sandbox.account import Sandbox  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, result.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scenario", default="onboarded")
    args = parser.parse_args()
    sandbox = Sandbox.start(args.scenario)
    try:
        settings = sandbox.settings()
        env = settings.env()
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        gitconfig.configure_credential_helper(env)  # so the live check has a method to try
        doctor = [sys.executable, "-m", "onboard", "doctor", "--json", "--repo", sandbox.repo_name]
        aws = [str(VENV_BIN / "aws"), "sts", "get-caller-identity"]
        _timed(aws, env)  # warm the file cache once for both
        offline = [
            *doctor,
            *(f"--only={p}" for p in ("env.", "git.", "credentials.", "mfa.", "ssh.")),
        ]
        doctor_times, offline_times, aws_times = [], [], []
        for _ in range(args.runs):
            seconds, code = _timed(doctor, env)
            doctor_times.append(seconds)
            seconds, _ = _timed(offline, env)
            offline_times.append(seconds)
            seconds, aws_code = _timed(aws, env)
            aws_times.append(seconds)
        in_process = []
        for _ in range(args.runs):
            ctx = DoctorContext(settings.replace(environ=env), repo=sandbox.repo_name)
            _findings, elapsed = run_checks(ctx)
            in_process.append(elapsed)
    finally:
        sandbox.stop()
    doctor_median = statistics.median(doctor_times)
    aws_median = statistics.median(aws_times)
    print(f"scenario: {args.scenario}, runs: {args.runs}")
    print(f"onboard doctor --json          median {doctor_median:.3f} s (exit {code})")
    print(f"aws sts get-caller-identity    median {aws_median:.3f} s (exit {aws_code})")
    print(f"ratio doctor / aws             {doctor_median / aws_median:.2f}x (aim <= 2x)")
    print(f"checks only (in process)       median {statistics.median(in_process):.3f} s")
    offline_median = statistics.median(offline_times)
    print(
        f"doctor without live/policy     median {offline_median:.3f} s "
        f"({offline_median / aws_median:.2f}x)"
    )
    # The live HTTPS check makes git run the AWS CLI helper twice (get, then store):
    # two AWS CLI start-ups, each about one `aws sts get-caller-identity`.
    return 0


if __name__ == "__main__":
    sys.exit(main())
