"""Live checks: `git ls-remote` per configured method, its output through `explain`.

A failing ls-remote is explained from its text first; once every check
has finished, `decide_live` re-ranks the candidates with what the other
checks confirmed or ruled out (a bare 403 becomes "the keychain helper"
when git.helpers found one ahead of the AWS helper).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence

from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.explain import explain, rerank
from onboard.doctor.findings import Finding, Fix, skipped
from onboard.doctor.lsremote import run_ls_remote
from onboard.git import config as gitconfig

LIVE_PREFIX = "live."


def _repo(ctx: DoctorContext) -> str | None:
    repo = ctx.repo or ctx.settings.repo
    if repo:
        return repo
    names = ctx.fact("repositories", lambda: ctx.gateway().list_repositories())
    return names[0] if names else None


def _env(ctx: DoctorContext) -> dict[str, str]:
    # git's own config decides the ssh command (core.sshCommand, e.g. the sandbox's
    # `ssh -F <home>/.ssh/config`): setting GIT_SSH_COMMAND here would override it.
    return ctx.env()


def _https_method(ctx: DoctorContext, repo: str) -> tuple[str | None, bool]:
    """The HTTPS method git is configured for, and whether only the AWS helper answers."""
    url = gitconfig.clone_url(ctx.region, repo, "https-helper")
    helpers = gitconfig.credential_helpers_for(url, ctx.env())
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


def _ls_remote(ctx: DoctorContext, repo: str, method: str, early_at_store: bool = False) -> Finding:
    profile = ctx.settings.profile or ctx.env().get("AWS_PROFILE")
    url = gitconfig.clone_url(ctx.region, repo, method, profile)
    check_id = f"{LIVE_PREFIX}{method}"
    live = run_ls_remote(url, _env(ctx), ctx.live_timeout, early_at_store=early_at_store)
    result = live.result
    timing = {"seconds": round(live.seconds, 3), "answered_at_store": live.early}
    if result.ok:
        how = " (CodeCommit accepted the AWS helper's password)" if live.early else ""
        return Finding(
            check_id,
            "ok",
            f"git ls-remote works over {method} ({repo}){how}",
            data={"method": method, "url": url, **timing},
        )
    output = (result.stderr or result.stdout).strip()
    explanation = explain(output, method)
    top = explanation.top
    summary = f"git ls-remote failed over {method}"
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
            "method": method,
            "url": url,
            "output": output[-2000:],
            "verdict": explanation.verdict,
            "candidates": list(explanation.cause_ids[:5]),
            **timing,
        },
    )


def check_live(ctx: DoctorContext) -> list[Finding]:
    """`git ls-remote` with a timeout for each method this computer is configured for.

    HTTPS starts as soon as git's helpers are known, while `ssh -G` still
    decides whether SSH is configured: each method waits on the network.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    repo = _repo(ctx)
    if repo is None:
        return [skipped("live.ls_remote", "no repository given (--repo) and none found")]
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="doctor-live") as pool:
        runs: list[Future[Finding]] = []
        https, only_aws = _https_method(ctx, repo)
        if https is not None:
            runs.append(pool.submit(_ls_remote, ctx, repo, https, only_aws))
        runs += [pool.submit(_ls_remote, ctx, repo, m) for m in _other_methods(ctx)]
        if not runs:
            return [
                Finding(
                    "live.ls_remote",
                    "warn",
                    "git is not set up for CodeCommit on this computer (no AWS helper, no "
                    "Git credentials, no SSH key ID): nothing to try",
                    fix=Fix("Set git up: run onboard (the walkthrough)", "onboard"),
                )
            ]
        return [run.result() for run in runs]


def decide_live(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Re-rank each failed live finding's candidates with the other checks' evidence."""
    confirmed: set[str] = set()
    ruled_out: set[str] = set()
    for finding in findings:
        if finding.id.startswith(LIVE_PREFIX):
            continue
        if finding.status in ("fail", "warn"):
            confirmed.update(finding.causes)
        ruled_out.update(finding.rules_out)
    decided = []
    for finding in findings:
        output = finding.data.get("output")
        if not finding.id.startswith(LIVE_PREFIX) or finding.status != "fail" or output is None:
            decided.append(finding)
            continue
        method = finding.data.get("method")
        first = explain(str(output), str(method) if method else None)
        relevant = {c for c in confirmed if c in first.cause_ids} or set()
        final = rerank(first, confirmed=relevant, ruled_out=ruled_out)
        top = final.top
        if top is None:
            decided.append(finding)
            continue
        data = {
            **finding.data,
            "verdict": final.verdict,
            "candidates": list(final.cause_ids[:5]),
        }
        decided.append(
            dataclasses.replace(
                finding,
                summary=f"git ls-remote failed over {method}: {top.cause.title}",
                fix=Fix(top.cause.fix),
                causes=(top.cause.id,) if final.verdict == "explained" else (),
                data=data,
            )
        )
    return tuple(decided)


CHECKS = (CheckSpec("live.ls_remote", check_live),)
