"""Start-up of `onboard`: `--help`/`--version` against `aws --version`, and the TUI.

1. Whole processes, in turns within one run (so machine drift hits all alike):
   `onboard --help`, `onboard --version`, `aws --version` (the AWS CLI in the
   same venv) and `python -c pass` (the interpreter's floor). CPU time
   (user+sys, from the kernel's accounting of each child) and wall time;
   ratios are medians of the per-turn ratios. Goal: onboard <= 0.1x aws.
2. Cold start of `onboard` to its first screen, compared with a bare Textual
   app: the child prints a marker once the first screen has been drawn, and
   the parent measures from spawning it to reading the marker. The bare app
   is the floor any Textual program pays; the ratio is what onboard adds.

    .venv/bin/python benchmarks/startup.py [--runs 7] [--cli-only]
"""

from __future__ import annotations

import argparse
import operator
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONBOARD_CHILD = """
import asyncio, tempfile
from pathlib import Path
from onboard.home import Home
from onboard.settings import Settings
from screens.app import OnboardApp

async def main():
    home = Home.sandbox(Path(tempfile.mkdtemp()) / "home")
    # An unreachable endpoint: the first screen appears before any AWS answer.
    environ = {"AWS_ACCESS_KEY_ID": "AKIABENCH", "AWS_SECRET_ACCESS_KEY": "x", "PATH": ""}
    settings = Settings(endpoint_url="http://127.0.0.1:9", home=home, environ=environ,
                        region="us-east-1")
    app = OnboardApp(settings)
    async with app.run_test(size=(100, 40)) as pilot:
        while app.screen.id != "step-identity":
            await asyncio.sleep(0.001)
        painted = asyncio.Event()
        app.screen.call_after_refresh(painted.set)  # runs once the screen was drawn
        await painted.wait()
        print("FIRST-SCREEN", flush=True)
        app.exit(0)

asyncio.run(main())
"""

BARE_CHILD = """
import asyncio
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header(); yield Static("hello"); yield Footer()

async def main():
    app = Bare()
    async with app.run_test(size=(100, 40)) as pilot:
        painted = asyncio.Event()
        app.screen.call_after_refresh(painted.set)  # runs once the screen was drawn
        await painted.wait()
        print("FIRST-SCREEN", flush=True)
        app.exit(0)

asyncio.run(main())
"""


def time_child(code: str) -> float:
    """Seconds from spawning a fresh interpreter to its FIRST-SCREEN marker."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="0")
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("FIRST-SCREEN"):
            elapsed = time.perf_counter() - start
            break
    else:
        process.wait()
        raise SystemExit(f"the child never showed its first screen (exit {process.returncode})")
    process.wait(timeout=30)
    return elapsed


def time_process(argv: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one whole process, its output discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def cli_startup(runs: int) -> None:
    """`onboard --help`/`--version` against `aws --version`, in turns, as ratios."""
    bin_dir = Path(sys.executable).parent
    commands = {
        "aws --version": [str(bin_dir / "aws"), "--version"],
        "onboard --help": [str(bin_dir / "onboard"), "--help"],
        "onboard --version": [str(bin_dir / "onboard"), "--version"],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for argv in commands.values():  # warm the OS file cache and .pyc files once
        time_process(argv)
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    wall: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            seconds_cpu, seconds_wall = time_process(argv)
            cpu[name].append(seconds_cpu)
            wall[name].append(seconds_wall)
    print(f"runs: {runs} each, in turns (median; ratio = median of per-turn ratios)")
    print(f"{'':20} {'cpu ms':>8} {'wall ms':>8} {'cpu/aws':>8} {'wall/aws':>9}")
    for name in commands:
        cpu_ratio = statistics.median(map(operator.truediv, cpu[name], cpu["aws --version"]))
        wall_ratio = statistics.median(map(operator.truediv, wall[name], wall["aws --version"]))
        print(
            f"{name:20} {statistics.median(cpu[name]) * 1000:8.0f} "
            f"{statistics.median(wall[name]) * 1000:8.0f} {cpu_ratio:8.3f} {wall_ratio:9.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cli-only", action="store_true", help="skip the TUI's first screen")
    args = parser.parse_args()
    cli_startup(max(args.runs, 11))
    if args.cli_only:
        return
    print()
    time_child(BARE_CHILD)  # warm the OS file cache and .pyc files once
    time_child(ONBOARD_CHILD)
    bare = [time_child(BARE_CHILD) for _ in range(args.runs)]
    onboard = [time_child(ONBOARD_CHILD) for _ in range(args.runs)]
    bare_median, onboard_median = statistics.median(bare), statistics.median(onboard)
    print(f"runs: {args.runs} each (median)")
    print(f"bare Textual app to first screen: {bare_median * 1000:7.0f} ms")
    print(f"onboard to first screen:          {onboard_median * 1000:7.0f} ms")
    print(f"ratio onboard / bare Textual:     {onboard_median / bare_median:7.2f}x")


if __name__ == "__main__":
    main()
