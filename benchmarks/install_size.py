"""Installed size of onboard: the core, with the sandbox, and the whole app set-up.

Builds the wheel once, then for each set of extras makes a fresh venv and
`pip install`s the wheel pinned by constraints.txt (from PyPI or pip's cache),
exactly as a user's `pip install 'onboard[...]'` would. Prints the megabytes
the install added to the venv's site-packages (a bare venv's pip and
setuptools not counted), with the .pyc files pip compiles and without them
(`pip install --no-compile`), and the largest distributions. Prints, never
asserts.

    python3 benchmarks/install_size.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import venv
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIP = ["-m", "pip", "--disable-pip-version-check", "-q"]
# label -> extras; the goals are those of the issue that split the sandbox out.
TARGETS = {
    "core (pip install onboard)": "",
    "core + sandbox (onboard[sandbox])": "[sandbox]",
    "app set-up (onboard[sandbox,tools], tasks.py app)": "[sandbox,tools]",
}
GOALS = {"": 60.0, "[sandbox]": 130.0}


def tree_bytes(path: Path) -> tuple[int, int]:
    """Bytes of every file below `path`, and of those not in __pycache__."""
    files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.lstat().st_size for p in files)
    return total, total - sum(p.lstat().st_size for p in files if "__pycache__" in p.parts)


def pip(python: Path, *args: str) -> None:
    """Run pip quietly; its error output and exit if it fails."""
    result = subprocess.run([str(python), *PIP, *args], capture_output=True, text=True)
    if result.returncode:
        sys.exit(result.stderr)


def site_packages(env_dir: Path) -> Path:
    (path,) = env_dir.glob("lib/python3.*/site-packages")
    return path


def build_wheel(dest: Path) -> Path:
    """The project's wheel, built from a copy of its files (no build/ in the checkout)."""
    source = dest / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("onboard", "screens"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    pip(Path(sys.executable), "wheel", "--no-deps", "-w", str(dest), str(source))
    (wheel,) = dest.glob("onboard-*.whl")
    return wheel


def largest(env_dir: Path, count: int = 5) -> list[tuple[str, float]]:
    """The `count` largest distributions installed in the venv, in MB."""
    sizes = []
    for dist in metadata.distributions(path=[str(site_packages(env_dir))]):
        name = dist.metadata["Name"]
        if name in ("pip", "setuptools") or dist.files is None:
            continue
        total = 0
        for file in dist.files:
            located = Path(str(dist.locate_file(file)))
            if located.is_file():
                total += located.stat().st_size
        sizes.append((name, total / 1e6))
    return sorted(sizes, key=lambda item: -item[1])[:count]


def measure(wheel: Path, extras: str, work: Path) -> tuple[float, float, list[tuple[str, float]]]:
    """MB that installing the wheel with `extras` adds to a fresh venv (and without .pyc)."""
    env_dir = work / f"venv{extras.replace(',', '-').strip('[]') or '-core'}"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    before = tree_bytes(site_packages(env_dir))
    python = env_dir / "bin" / "python"
    pip(python, "install", "-c", str(ROOT / "constraints.txt"), f"{wheel}{extras}")
    after = tree_bytes(site_packages(env_dir))
    return (after[0] - before[0]) / 1e6, (after[1] - before[1]) / 1e6, largest(env_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build the venvs here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="onboard-size-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        wheel = build_wheel(work)
        rows = []
        print(f"{'':52} {'MB':>7} {'no .pyc':>8}", flush=True)
        for label, extras in TARGETS.items():
            size, no_pyc, biggest = measure(wheel, extras, work)
            rows.append((label, biggest))
            goal = f"  (goal <= {GOALS[extras]:.0f} MB)" if extras in GOALS else ""
            print(f"{label:52} {size:7.1f} {no_pyc:8.1f}{goal}", flush=True)
        print("\nlargest distributions (MB, the files their RECORD lists):")
        for label, biggest in rows:
            print(f"  {label}: " + ", ".join(f"{name} {mb:.1f}" for name, mb in biggest))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
