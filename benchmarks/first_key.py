"""`onboard credentials import` wall time against one `aws sts get-caller-identity`, same sandbox.

Both run as fresh processes against one sandbox started here, with the same
environment (an empty home each run, the key in a console CSV), so the ratio
compares like with like. The import also lists CodeCommit repositories in a
short list of regions (in parallel) to order the region choice; `--region`
skips that, and is timed as a third variant.

    .venv/bin/python benchmarks/first_key.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onboard.sandbox.account import Sandbox  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def _timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sandbox = Sandbox.start("fresh", git=False)
    try:
        hire = sandbox.new_hire
        base = {
            "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
            "AWS_ENDPOINT_URL": sandbox.endpoint_url,
            "AWS_DEFAULT_REGION": sandbox.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        timings: dict[str, list[float]] = {"aws sts": [], "import": [], "import --region": []}
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as home:
                csv = Path(home) / "k.csv"
                csv.write_text(
                    f"\ufeffAccess key ID,Secret access key\r\n"
                    f"{hire.access_key_id},{hire.secret_access_key}\r\n"
                )
                env = {**base, "HOME": home}
                keyed = {
                    **env,
                    "AWS_ACCESS_KEY_ID": hire.access_key_id,
                    "AWS_SECRET_ACCESS_KEY": hire.secret_access_key,
                }
                aws = [str(VENV_BIN / "aws"), "sts", "get-caller-identity"]
                timings["aws sts"].append(_timed(aws, keyed))
                onboard = [str(VENV_BIN / "onboard"), "credentials", "import", str(csv)]
                timings["import"].append(_timed([*onboard, "--profile", "a"], env))
                region = ["--profile", "b", "--region", sandbox.region]
                timings["import --region"].append(_timed([*onboard, *region], env))
        medians = {name: statistics.median(values) for name, values in timings.items()}
        reference = medians["aws sts"]
        print(f"median of {args.runs} runs, fresh processes, one sandbox:")
        for name, seconds in medians.items():
            print(f"  {name:<16} {seconds:6.3f} s  {seconds / reference:4.2f}x")
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
