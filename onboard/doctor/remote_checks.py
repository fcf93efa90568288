"""`git.remote`: the repository each CodeCommit remote names exists in the region it names.

When it does not, the other regions are asked concurrently ("my-repo is in
eu-west-1") and ListRepositories of the remote's region gives the nearest
names ("did you mean my-repo?"). The report names every remote, URL,
region and repository judged.
"""

from __future__ import annotations

import difflib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, skipped
from onboard.doctor.remotes import Target
from onboard.errors import OnboardError

MAX_REGION_LOOKUPS = 8


# CodeCommit's regions, as botocore's endpoint data lists them (botocore 1.35); only
# the AWS gateway may import botocore, and a region missing here is only not searched.
CODECOMMIT_REGIONS = (
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ca-central-1", "eu-central-1", "eu-north-1", "eu-south-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "sa-east-1", "us-east-1",
    "us-east-2", "us-west-1", "us-west-2",
)  # fmt: skip


def codecommit_regions() -> list[str]:
    """Regions with CodeCommit (no network)."""
    return list(CODECOMMIT_REGIONS)


def _gateway(ctx: DoctorContext, region: str) -> Any:
    """The account gateway in `region` (same credentials, MFA session when there is one)."""
    base = ctx.gateway()
    if region == base.region:
        return base
    key = f"gateway {region}"

    def build() -> Any:
        from onboard.aws.gateway import Gateway

        session = ctx.session_profile()
        settings = ctx.settings.replace(region=region, **({"profile": session} if session else {}))
        gateway = Gateway.from_settings(
            settings, max_attempts=1, connect_timeout=3.0, read_timeout=5.0
        )
        return gateway.with_session(ctx.session) if ctx.session is not None else gateway

    return ctx.fact(key, build)


def _exists(ctx: DoctorContext, region: str, repo: str) -> bool:
    try:
        _gateway(ctx, region).get_repository(repo)
    except OnboardError as exc:
        if type(exc).__name__ == "NotFound":
            return False
        raise
    return True


def _elsewhere(ctx: DoctorContext, target: Target) -> list[str]:
    """Other regions holding a repository of that name (asked concurrently)."""
    regions = [r for r in codecommit_regions() if r != target.region]

    def probe(region: str) -> str | None:
        try:
            return region if _exists(ctx, region, target.repo) else None
        except Exception:  # a region not enabled for the account, or unreachable: not there
            return None

    with ThreadPoolExecutor(MAX_REGION_LOOKUPS, thread_name_prefix="doctor-regions") as pool:
        return [r for r in pool.map(probe, regions) if r is not None]


def _nearest(ctx: DoctorContext, target: Target) -> list[str]:
    try:
        names = _gateway(ctx, target.region).list_repositories()
    except Exception:  # the suggestion is a bonus; the finding stands without it
        return []
    return difflib.get_close_matches(target.repo, names, n=3, cutoff=0.6)


def _fixed_url(target: Target, region: str | None = None, repo: str | None = None) -> str:
    url = target.url
    if region:
        url = url.replace(f".{target.region}.", f".{region}.").replace(
            f"::{target.region}://", f"::{region}://"
        )
    if repo:
        head, _, _tail = url.rpartition(target.repo)
        url = head + repo
    return url


def _judge(ctx: DoctorContext, target: Target) -> Finding | None:
    """None when the repository is there; else a failure naming where it is, or what is near."""
    where = f"{target.label} ({target.url})"
    from onboard.doctor.live_checks import probe_target

    live = probe_target(ctx, target)
    if live.result.ok:
        return None  # git reached it: it exists there, no AWS call needed
    if _exists(ctx, target.region, target.repo):
        return None
    move = f"git remote set-url {target.remote} " if target.remote else "use "
    found = _elsewhere(ctx, target)
    if found:
        return Finding(
            "git.remote",
            "fail",
            f"{target.repo} is in {', '.join(found)}, not {target.region}: {where} "
            "points at the wrong region",
            fix=Fix(f"Point it at {found[0]}", move + _fixed_url(target, region=found[0])),
            causes=("wrong-region",),
            data={"targets": [target.to_json()], "found_in": found},
        )
    near = _nearest(ctx, target)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    return Finding(
        "git.remote",
        "fail",
        f"no repository {target.repo} in {target.region} (nor in another region), which "
        f"{where} names{hint}",
        fix=Fix(
            f"Correct the name{f' to {near[0]}' if near else ''}",
            move + _fixed_url(target, repo=near[0]) if near else None,
        ),
        causes=("repo-not-found",),
        data={"targets": [target.to_json()], "nearest": near},
    )


def check_remote(ctx: DoctorContext) -> Finding:
    """Which remote, URL, region and repository git uses; that the repository exists there."""
    clone = ctx.clone()
    targets = ctx.targets()
    if clone.problem is not None:
        return Finding(
            "git.remote", "fail", f"git cannot read the clone's remotes: {clone.problem}"
        )
    if clone.malformed and not targets:
        return Finding(
            "git.remote",
            "fail",
            f"the remote URL is not a CodeCommit URL git can use: {clone.malformed[0]}",
            clone.malformed,
            Fix("Use codecommit::REGION://[PROFILE@]REPO or the HTTPS/SSH clone URL"),
            causes=("grc-url-malformed",),
        )
    if not targets:
        if clone.directory is not None and ctx.repo is None:
            others = ", ".join(clone.other) or "none"
            return skipped("git.remote", f"no CodeCommit remote in {clone.directory} ({others})")
        if ctx.repo is not None:
            return _judge_repo_only(ctx)
        return skipped("git.remote", "not inside a clone, and no --repo or --url given")
    listing = tuple(
        f"{t.label}: {t.url} -> {t.repo} in {t.region} over {t.method}" for t in targets
    )
    try:
        with ThreadPoolExecutor(4, thread_name_prefix="doctor-remote") as pool:
            judged = list(pool.map(lambda t: _judge(ctx, t), targets))
    except OnboardError as exc:
        # Reading the account is denied (no MFA session) or AWS is away: the live probe decides.
        return Finding(
            "git.remote",
            "warn",
            f"cannot check that {targets[0].repo} exists in {targets[0].region}: {exc.what}",
            (*listing, exc.why),
            data={"targets": [t.to_json() for t in targets]},
        )
    failed = [f for f in judged if f is not None]
    if failed:
        first = failed[0]
        details = (*listing, *(f.summary for f in failed[1:]))
        data = {**first.data, "targets": [t.to_json() for t in targets]}
        return Finding(first.id, "fail", first.summary, details, first.fix, first.causes, data=data)
    primary = ctx.primary_target()
    assert primary is not None
    return Finding(
        "git.remote",
        "ok",
        f"{primary.label}: {primary.repo} exists in {primary.region} ({primary.method}, "
        f"{primary.url})",
        listing,
        rules_out=("repo-not-found", "wrong-region"),
        data={"targets": [t.to_json() for t in targets]},
    )


def _judge_repo_only(ctx: DoctorContext) -> Finding:
    """--repo from outside a clone: the repository exists in the configured region."""
    from onboard.git import config as gitconfig

    repo = str(ctx.repo)
    url = gitconfig.clone_url(ctx.region, repo, "https-helper")
    target = Target(url, ctx.region, repo, "https", source="--repo")
    try:
        failed = _judge(ctx, target)
    except OnboardError as exc:
        return Finding("git.remote", "warn",
                       f"cannot check that {repo} exists in {ctx.region}: {exc.what}",
                       (exc.why,))  # fmt: skip
    if failed is not None:
        return failed
    return Finding(
        "git.remote",
        "ok",
        f"--repo: {repo} exists in {ctx.region}",
        rules_out=("repo-not-found", "wrong-region"),
        data={"targets": [target.to_json()]},
    )


CHECKS = (CheckSpec("git.remote", check_remote),)
