"""What git will connect to: the clone's CodeCommit remotes, as git itself resolves them.

Inside a clone every remote's fetch and push URLs are read with `git remote
get-url --all` (and `--push`), which apply `url.<base>.insteadOf` and
`pushInsteadOf` exactly as `git fetch`/`git push` do. Each CodeCommit URL
gives the region, the repository name and the method (from the scheme).
`--url URL` and `--repo NAME` name a target from outside a clone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from onboard.doctor.procs import run_bounded

_HOST = r"git-codecommit(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?"
_REPO = r"(?P<repo>[^/\s?#]+?)/?"
_HTTPS = re.compile(rf"^https://(?:[^@/]+@)?{_HOST}(?::443)?/v1/repos/{_REPO}$")
_SSH = re.compile(rf"^ssh://(?:(?P<user>[^@/]+)@)?{_HOST}(?::22)?/v1/repos/{_REPO}$")
_SCP = re.compile(rf"^(?:(?P<user>[^@/:]+)@)?{_HOST}:/?v1/repos/{_REPO}$")
_GRC = re.compile(
    r"^codecommit:(?::(?P<region>[a-z]{2}(?:-[a-z]+)+-\d))?://"
    r"(?:(?P<profile>[^@/]+)@)?(?P<repo>[^/\s]+)$"
)
_CODECOMMIT_HINT = re.compile(r"codecommit", re.I)


@dataclass(frozen=True)
class Target:
    """One repository git talks to: where (region), which (repo), how (method)."""

    url: str
    region: str
    repo: str
    method: str
    """`https`, `ssh` or `grc` (the scheme's; HTTPS is refined by the helpers git runs)."""
    remote: str | None = None
    """The git remote's name (None for --url/--repo)."""
    push_url: str | None = None
    """The push URL when it differs from `url`."""
    profile: str | None = None
    """The AWS profile a `codecommit://profile@repo` URL names."""
    ssh_user: str | None = None
    """The user an ssh:// or scp-like URL names (it beats the ssh config's `User`)."""
    source: str = ""
    """Where the doctor got it: `remote origin (/path/to/clone)`, `--url`, `--repo`."""

    @property
    def label(self) -> str:
        """How reports name it: `origin` or the source."""
        return self.remote or self.source or self.url

    def to_json(self) -> dict[str, str | None]:
        """The target as JSON (the report's `targets`)."""
        return {
            "remote": self.remote,
            "url": self.url,
            "push_url": self.push_url,
            "region": self.region,
            "repo": self.repo,
            "method": self.method,
            "profile": self.profile,
            "source": self.source,
        }


def parse_url(url: str, default_region: str) -> Target | None:
    """A CodeCommit URL's region, repository and method; None for any other URL."""
    text = url.strip()
    for pattern, method in ((_HTTPS, "https"), (_SSH, "ssh"), (_SCP, "ssh")):
        found = pattern.match(text)
        if found:
            user = found.groupdict().get("user")
            return Target(text, found["region"], found["repo"], method, ssh_user=user)
    found = _GRC.match(text)
    if found:
        region = found["region"] or default_region
        return Target(text, region, found["repo"], "grc", profile=found["profile"])
    return None


def looks_like_codecommit(url: str) -> bool:
    """A URL that mentions CodeCommit but does not parse (a malformed one)."""
    return bool(_CODECOMMIT_HINT.search(url))


@dataclass(frozen=True)
class CloneView:
    """The remotes of the clone the doctor runs in."""

    directory: Path | None
    """The clone's top directory (None: not inside a clone)."""
    targets: tuple[Target, ...] = ()
    other: tuple[str, ...] = ()
    """Remotes that are not CodeCommit (`name url`), and malformed CodeCommit URLs."""
    malformed: tuple[str, ...] = ()
    problem: str | None = None
    """Why git could not be asked (it timed out, is missing)."""


def read_clone(cwd: Path, env: Mapping[str, str], timeout: float, default_region: str) -> CloneView:
    """Every CodeCommit remote of the clone at `cwd`, fetch and push URLs after insteadOf."""
    top = run_bounded(["git", "rev-parse", "--show-toplevel"], env, timeout, cwd=cwd)
    if not top.ok:
        if top.timed_out or top.error:
            return CloneView(None, problem=top.problem(timeout))
        return CloneView(None)  # not a clone: "not a git repository"
    directory = Path(top.stdout.strip() or cwd)
    names = run_bounded(["git", "remote"], env, timeout, cwd=cwd)
    if not names.ok:
        return CloneView(directory, problem=names.problem(timeout))
    targets: list[Target] = []
    other: list[str] = []
    malformed: list[str] = []
    for name in names.stdout.split():
        fetch = _urls(["git", "remote", "get-url", "--all", name], env, timeout, cwd)
        push = _urls(["git", "remote", "get-url", "--push", "--all", name], env, timeout, cwd)
        for url in dict.fromkeys([*fetch, *push]):
            target = parse_url(url, default_region)
            if target is None:
                (malformed if looks_like_codecommit(url) else other).append(f"{name} {url}")
                continue
            pushed = url if url in push and url not in fetch else None
            role = "push URL of " if pushed else ""
            targets.append(
                Target(
                    url,
                    target.region,
                    target.repo,
                    target.method,
                    remote=name,
                    push_url=pushed,
                    profile=target.profile,
                    ssh_user=target.ssh_user,
                    source=f"{role}remote {name} ({directory})",
                )
            )
    return CloneView(directory, tuple(targets), tuple(other), tuple(malformed))


def _urls(argv: list[str], env: Mapping[str, str], timeout: float, cwd: Path) -> list[str]:
    ran = run_bounded(argv, env, timeout, cwd=cwd)
    return [line.strip() for line in ran.stdout.splitlines() if line.strip()] if ran.ok else []
