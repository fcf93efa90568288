"""Bare git repositories on disk behind the sandbox's CodeCommit repositories."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from onboard.errors import OnboardError

DEFAULT_BRANCH = "main"
_AUTHOR = ("Sandbox", "sandbox@example.invalid")
# A fixed date makes the seeded commit id the same in every run.
_SEED_DATE = "2024-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class BareRepository:
    """A seeded bare repository: its CodeCommit name, where it is, its first commit."""

    name: str
    path: Path
    head_commit: str


def _git_env() -> dict[str, str]:
    # Nobody's own git config (hooks, templates, signing) may leak into the seed.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME=_AUTHOR[0],
        GIT_AUTHOR_EMAIL=_AUTHOR[1],
        GIT_COMMITTER_NAME=_AUTHOR[0],
        GIT_COMMITTER_EMAIL=_AUTHOR[1],
        GIT_AUTHOR_DATE=_SEED_DATE,
        GIT_COMMITTER_DATE=_SEED_DATE,
    )
    return env


def _git(*args: str, cwd: Path | None = None, stdin: str | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=_git_env(),
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
    except FileNotFoundError as exc:
        raise OnboardError(
            "git is not installed", "the sandbox keeps its repositories with git", "install git"
        ) from exc
    except subprocess.CalledProcessError as exc:
        raise OnboardError(
            f"git {args[0]} failed while seeding a sandbox repository",
            exc.stderr.strip(),
            "check that git works in this shell",
        ) from exc
    return done.stdout.strip()


def create_bare_repository(root: Path, name: str, *, seed: bool = True) -> BareRepository:
    """Create `<root>/<name>.git` (bare, HEAD on main), with a first commit when `seed`.

    Idempotent: an existing repository is kept as it is.
    """
    path = root / f"{name}.git"
    if (path / "HEAD").exists():
        head = _git("rev-parse", "--verify", "-q", DEFAULT_BRANCH, cwd=path) if seed else ""
        return BareRepository(name, path, head)
    root.mkdir(parents=True, exist_ok=True)
    _git("init", "--bare", "-q", f"--initial-branch={DEFAULT_BRANCH}", str(path))
    # Pushes over smart HTTP need receive-pack enabled regardless of REMOTE_USER.
    _git("config", "http.receivepack", "true", cwd=path)
    if not seed:
        return BareRepository(name, path, "")
    readme = f"# {name}\n\nA repository of the onboard sandbox.\n"
    blob = _git("hash-object", "-w", "--stdin", cwd=path, stdin=readme)
    tree = _git("mktree", cwd=path, stdin=f"100644 blob {blob}\tREADME.md\n")
    commit = _git("commit-tree", tree, "-m", "Initial commit", cwd=path)
    _git("update-ref", f"refs/heads/{DEFAULT_BRANCH}", commit, cwd=path)
    return BareRepository(name, path, commit)


def seed_repositories(root: Path, names: list[str] | tuple[str, ...]) -> dict[str, Path]:
    """Create (or keep) a seeded bare repository per name; name -> path."""
    return {name: create_bare_repository(root, name).path for name in names}
