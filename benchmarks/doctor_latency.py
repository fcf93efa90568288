"""`onboard doctor --json` wall time against one `aws sts get-caller-identity`, same sandbox.

Both run as fresh processes against one sandbox started here (its moto
server, git endpoints and home), with the same environment, so the ratio
compares like with like: process start, credential resolution, requests.
Prints the median of N runs of each and their ratio (aim: within 1.5x), and the
doctor run inside a clone of the repository (its remote is then what is judged).
With `--baseline REV` it also times the doctor as committed at REV (extracted
with `git archive` into a temp dir; the working tree is not touched), so a
before/after comparison comes from one run on one machine load.

    .venv/bin/python benchmarks/doctor_latency.py [--runs 5] [--scenario onboarded]
    .venv/bin/python benchmarks/doctor_latency.py --baseline 7ef5cc3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboard.doctor.checks import DoctorContext, run_checks  # noqa: E402
from onboard.git import config as gitconfig  # noqa: E402
from onboard.sandbox.account import Sandbox  # noqa: E402

VENV_BIN = Path(sys.executable).parent
# Not inside a git repository (its config would count) nor this source tree.
NEUTRAL_CWD = tempfile.mkdtemp(prefix="doctor-bench-")


LAST_OUTPUT: dict[str, str] = {}


def _timed(command: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(
        command, env=env, cwd=cwd or NEUTRAL_CWD, capture_output=True, text=True, check=False
    )
    LAST_OUTPUT[command[-1]] = result.stdout
    return time.perf_counter() - started, result.returncode


def _slowest_checks(document: str, count: int = 6) -> list[str]:
    """The doctor's own per-check timing (`seconds`) from its last --json output."""
    try:
        findings = json.loads(document)["findings"]
    except (ValueError, KeyError):
        return ["(no JSON from the last doctor run)"]
    ranked = sorted(findings, key=lambda f: -(f.get("seconds") or 0))[:count]
    return [f"{f['seconds']:.3f} s  {f['id']} ({f['status']})" for f in ranked]


def _extract(rev: str, into: str) -> None:
    """The tree at `rev` (read-only `git archive`, no checkout) unpacked into `into`."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "onboard"],
        capture_output=True,
        check=True,
    )
    with tempfile.TemporaryFile() as handle:
        handle.write(archive.stdout)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(into, filter="data")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scenario", default="onboarded")
    parser.add_argument("--baseline", metavar="REV", help="also time the doctor at this commit")
    args = parser.parse_args()
    baseline_dir = tempfile.mkdtemp(prefix="doctor-baseline-") if args.baseline else None
    if baseline_dir is not None:
        _extract(args.baseline, baseline_dir)
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
        clone = os.path.join(NEUTRAL_CWD, "clone")
        url = gitconfig.clone_url(sandbox.region, sandbox.repo_name, "https-helper")
        subprocess.run(["git", "clone", "-q", url, clone], env=env, check=True, timeout=120)
        in_clone = [sys.executable, "-m", "onboard", "doctor", "--json"]
        doctor_times, offline_times, aws_times, baseline_times = [], [], [], []
        clone_times: list[float] = []
        baseline_env = {**env, "PYTHONPATH": baseline_dir or ""}
        for _ in range(args.runs):
            if baseline_dir is not None:
                # `-m` puts the cwd first on sys.path: this runs REV's onboard.
                seconds, _ = _timed(doctor, baseline_env, cwd=baseline_dir)
                baseline_times.append(seconds)
            seconds, code = _timed(doctor, env)
            doctor_times.append(seconds)
            seconds, _ = _timed(offline, env)
            offline_times.append(seconds)
            seconds, clone_code = _timed(in_clone, env, cwd=clone)
            clone_times.append(seconds)
            seconds, aws_code = _timed(aws, env)
            aws_times.append(seconds)
        in_process = []
        for _ in range(args.runs):
            ctx = DoctorContext(settings.replace(environ=env), repo=sandbox.repo_name)
            _findings, elapsed = run_checks(ctx)
            in_process.append(elapsed)
    finally:
        sandbox.stop()
        for folder in (baseline_dir, NEUTRAL_CWD):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
    doctor_median = statistics.median(doctor_times)
    aws_median = statistics.median(aws_times)
    print(f"scenario: {args.scenario}, runs: {args.runs}")
    print(f"onboard doctor --json          median {doctor_median:.3f} s (exit {code})")
    print(f"aws sts get-caller-identity    median {aws_median:.3f} s (exit {aws_code})")
    print(f"ratio doctor / aws             {doctor_median / aws_median:.2f}x (aim <= 1.5x)")
    clone_median = statistics.median(clone_times)
    print(
        f"doctor in a clone (no --repo)  median {clone_median:.3f} s "
        f"({clone_median / aws_median:.2f}x, exit {clone_code})"
    )
    if baseline_times:
        before = statistics.median(baseline_times)
        print(
            f"doctor at {args.baseline:<20.20s} median {before:.3f} s "
            f"({before / aws_median:.2f}x, the same run)"
        )
    print(f"checks only (in process)       median {statistics.median(in_process):.3f} s")
    print("slowest checks in the last doctor run (its per-check `seconds`):")
    for line in _slowest_checks(LAST_OUTPUT.get(sandbox.repo_name, "")):
        print(f"  {line}")
    offline_median = statistics.median(offline_times)
    print(
        f"doctor without live/policy     median {offline_median:.3f} s "
        f"({offline_median / aws_median:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
