"""Live checks: `git ls-remote` per remote git uses (else per configured method).

A failing ls-remote is explained from its text first; once every check
has finished, `agreement.decide` re-ranks the candidates with what the other
checks confirmed or ruled out (a bare 403 becomes "the keychain helper"
when git.helpers found one ahead of the AWS helper).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.explain import explain
from onboard.doctor.findings import Finding, Fix, skipped
from onboard.doctor.lsremote import LiveResult, run_ls_remote
from onboard.doctor.remotes import Target
from onboard.git import config as gitconfig

LIVE_PREFIX = "live."


def _repo(ctx: DoctorContext) -> str | None:
    repo = ctx.repo_name or ctx.settings.repo
    if repo:
        return repo
    names = ctx.fact("repositories", lambda: ctx.gateway().list_repositories())
    return names[0] if names else None


def _env(ctx: DoctorContext) -> dict[str, str]:
    # git's own config decides the ssh command (core.sshCommand, e.g. the sandbox's
    # `ssh -F <home>/.ssh/config`): setting GIT_SSH_COMMAND here would override it.
    return ctx.env()


def _https_method(ctx: DoctorContext, url: str) -> tuple[str | None, bool]:
    """The HTTPS method git is configured for, and whether only the AWS helper answers."""
    helpers = ctx.helpers(url)
    if any(h.is_aws_helper for h in helpers):
        return "https-helper", all(h.is_aws_helper for h in helpers)
    return ("https-git-credentials" if helpers else None), False


def _other_methods(ctx: DoctorContext) -> list[str]:
    """SSH when ssh -G gives an SSH key ID as User; grc with a profile and the remote helper."""
    methods = []
    try:
        from onboard.doctor.ssh_checks import effective

        user = (effective(ctx).get("user") or [""])[0]
    except Exception:  # ssh missing or broken config: ssh.config reports it
        user = ""
    if user.upper().startswith("APKA"):
        methods.append("ssh")
    env = ctx.env()
    profile = ctx.settings.profile or env.get("AWS_PROFILE")
    if profile and shutil.which("git-remote-codecommit", path=env.get("PATH")):
        methods.append("grc")
    return methods


def _ls_remote(
    ctx: DoctorContext,
    url: str,
    method: str,
    early_at_store: bool = False,
    *,
    check_id: str | None = None,
    target: Target | None = None,
) -> Finding:
    check_id = check_id or f"{LIVE_PREFIX}{method}"
    live = probe(ctx, url, method, early_at_store)
    result = live.result
    where = {"method": method, "url": url}
    if target is not None:
        where.update(remote=target.remote or "", region=target.region, repo=target.repo)
    timing = {"seconds": round(live.seconds, 3), "answered_at_store": live.early}
    name = (target.remote or target.repo) if target is not None else url.rsplit("/", 1)[-1]
    if result.ok:
        how = " (CodeCommit accepted the AWS helper's password)" if live.early else ""
        return Finding(
            check_id,
            "ok",
            f"git ls-remote works over {method} ({name}){how}",
            data={**where, **timing},
        )
    output = (result.stderr or result.stdout).strip()
    explanation = explain(output, method)
    top = explanation.top
    summary = f"git ls-remote failed over {method} ({name})"
    if top is not None:
        summary += f": {top.cause.title}"
    return Finding(
        check_id,
        "fail",
        summary,
        tuple(output.splitlines()[-6:]),
        Fix(top.cause.fix) if top is not None else None,
        causes=explanation.cause_ids[:1] if explanation.verdict == "explained" else (),
        data={
            **where,
            "output": output[-2000:],
            "verdict": explanation.verdict,
            "candidates": list(explanation.cause_ids[:5]),
            **timing,
        },
    )


def probe(ctx: DoctorContext, url: str, method: str, early_at_store: bool = False) -> LiveResult:
    """`git ls-remote URL` once per run (git.remote reads the same answer: no second git)."""
    return ctx.fact(
        f"ls-remote {url}",
        lambda: run_ls_remote(
            url, _env(ctx), ctx.live_timeout, early_at_store=early_at_store, cwd=ctx.cwd
        ),
    )


def probe_target(ctx: DoctorContext, target: Target) -> LiveResult:
    """The live answer for `target`, shared with the live check (one git per URL)."""
    ((method, _, early),) = _target_runs(ctx, [target])
    return probe(ctx, target.url, method, early)


def _target_runs(ctx: DoctorContext, targets: Sequence[Target]) -> list[tuple[str, Target, bool]]:
    """(method, target, early) for each remote git would use: the scheme, HTTPS by its helpers."""
    runs = []
    for target in targets:
        if target.method == "https":
            method, only_aws = _https_method(ctx, target.url)
            runs.append((method or "https-helper", target, only_aws))
        else:
            runs.append((target.method, target, False))
    return runs


def _check_id(method: str, target: Target, runs: Sequence[tuple[str, Target, bool]]) -> str:
    same = [t for m, t, _ in runs if m == method]
    if len(same) == 1 or target is same[0]:
        return f"{LIVE_PREFIX}{method}"
    suffix = target.remote or target.repo
    return f"{LIVE_PREFIX}{method}.{suffix}" + (".push" if target.push_url else "")


def check_live(ctx: DoctorContext) -> list[Finding]:
    """`git ls-remote` with a timeout for each remote git uses, else each configured method.

    HTTPS starts as soon as git's helpers are known, while `ssh -G` still
    decides whether SSH is configured: each method waits on the network.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    targets = ctx.targets()
    if targets:
        runs = _target_runs(ctx, targets)
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="doctor-live") as pool:
            futures = [
                pool.submit(
                    _ls_remote, ctx, t.url, m, early, check_id=_check_id(m, t, runs), target=t
                )
                for m, t, early in runs
            ]
            return [f.result() for f in futures]
    repo = _repo(ctx)
    if repo is None:
        return [skipped("live.ls_remote", "no repository given (--repo) and none found")]
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="doctor-live") as pool:
        work: list[Future[Finding]] = []
        url = gitconfig.clone_url(ctx.region, repo, "https-helper")
        source = "--repo" if ctx.repo_name else "the first repository listed"
        https, only_aws = _https_method(ctx, url)
        if https is not None:
            target = Target(url, ctx.region, repo, "https", source=source)
            work.append(pool.submit(_ls_remote, ctx, url, https, only_aws, target=target))
        profile = ctx.settings.profile or ctx.env().get("AWS_PROFILE")
        for method in _other_methods(ctx):
            other = gitconfig.clone_url(ctx.region, repo, method, profile)
            target = Target(other, ctx.region, repo, method, source=source)
            work.append(pool.submit(_ls_remote, ctx, other, method, target=target))
        if not work:
            return [
                Finding(
                    "live.ls_remote",
                    "warn",
                    "git is not set up for CodeCommit on this computer (no AWS helper, no "
                    "Git credentials, no SSH key ID): nothing to try",
                    fix=Fix("Set git up: run onboard (the walkthrough)", "onboard"),
                )
            ]
        return [run.result() for run in work]


CHECKS = (CheckSpec("live.ls_remote", check_live),)
