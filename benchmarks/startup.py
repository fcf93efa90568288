"""Cold start of `onboard` to its first screen, compared with a bare Textual app.

Each run is a fresh Python process (nothing cached in memory): the child
prints a marker as soon as the first screen has been drawn, and the
parent measures from spawning it to reading the marker. The bare app is the
floor any Textual program pays; the ratio is what onboard adds on top.

    .venv/bin/python benchmarks/startup.py [--runs 7]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
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
