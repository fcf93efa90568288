"""Live and static agree: what a live `git ls-remote` says settles what the checks claim.

- A failed probe is explained by the static findings that confirm one of
  its candidate causes (re-ranked through `explain.rerank`), or by a failed
  check that concerns that method. With none, it stays a failure "not
  explained by the checks", with explain's candidates: the doctor never
  says "0 failed" after a failed probe.
- A probe that works contradicts static failures about the same method:
  they become warnings, saying git works anyway.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from onboard.doctor.explain import explain, load_knowledge, rerank
from onboard.doctor.findings import Finding, Fix

LIVE_PREFIX = "live."

# The checks that judge what each method needs: a failure among them explains a
# failed probe of that method, and a working probe contradicts them.
CONCERNS: dict[str, tuple[str, ...]] = {
    "https-helper": (
        "git.helpers",
        "git.use_http_path",
        "git.aws_on_path",
        "git.auto_prompt",
        "git.remote",
        "credentials.",
        "env.aws",
    ),
    "https-git-credentials": ("git.helpers", "git.remote", "account.git_credentials"),
    "ssh": ("ssh.", "env.git_ssh", "git.remote"),
    "grc": ("credentials.", "env.grc", "git.remote"),
}
# Findings that name the account or network, not one method: they explain any method.
ANY_METHOD = ("policy.verdict", "credentials.clock", "git.remote")


def _method(finding: Finding) -> str:
    return str(finding.data.get("method") or "")


def _concerns(finding: Finding, method: str) -> bool:
    prefixes = CONCERNS.get(method, ()) + ANY_METHOD
    return finding.id.startswith(prefixes)


def decide(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Every finding, with live failures explained (or not) and contradicted ones demoted."""
    live = [f for f in findings if f.id.startswith(LIVE_PREFIX)]
    working = {_method(f) for f in live if f.status == "ok"}
    failing = {_method(f) for f in live if f.status == "fail"}
    static = [f for f in findings if not f.id.startswith(LIVE_PREFIX)]
    decided = []
    for finding in findings:
        if finding.id.startswith(LIVE_PREFIX):
            decided.append(_explain_live(finding, static))
        else:
            decided.append(_demote(finding, working, failing))
    return tuple(decided)


def _demote(finding: Finding, working: set[str], failing: set[str]) -> Finding:
    """A static failure about a method whose probe works, and none that fails, is a warning."""
    if finding.status != "fail" or not finding.causes or finding.id.startswith(ANY_METHOD):
        return finding
    works = sorted(m for m in working if _concerns(finding, m))
    if not works or any(_concerns(finding, m) for m in failing):
        return finding
    note = f"yet git ls-remote over {', '.join(works)} works: this does not stop git now"
    return dataclasses.replace(
        finding,
        status="warn",
        details=(*finding.details, note),
        data={**finding.data, "contradicted_by": [f"live.{m}" for m in works]},
    )


def _explain_live(finding: Finding, static: Sequence[Finding]) -> Finding:
    output = finding.data.get("output")
    if finding.status != "fail" or output is None:
        return finding
    method = _method(finding) or None
    first = explain(str(output), method)
    failed = [f for f in static if f.status == "fail" and f.causes]
    confirmed = {c for f in static if f.status in ("fail", "warn") for c in f.causes}
    ruled_out = {c for f in static for c in f.rules_out}
    knowledge = load_knowledge()
    # A check's finer id (access-key-inactive) confirms explain's cause (invalid-access-key).
    relevant = {c for c in confirmed if knowledge.canonical(c) in first.cause_ids}
    # A failed check of this method whose cause the text cannot name (a deactivated
    # key, a profile that does not exist): it explains the probe too.
    owning = [f for f in failed if method and _concerns(f, method)]
    final = rerank(first, confirmed=relevant, ruled_out=ruled_out)
    where = finding.summary.split(":", 1)[0]
    best = final.top
    # A check that named the top cause by a finer id says more than the cause's
    # general words: its summary and fix explain the probe.
    refining = [
        f
        for f in failed
        if best is not None
        and best.cause.id not in f.causes
        and any(knowledge.canonical(c) == best.cause.id for c in f.causes)
    ]
    if relevant and best is not None and not refining:
        return _with(finding, f"{where}: {best.cause.title}", Fix(best.cause.fix),
                     (best.cause.id,) if final.verdict == "explained" else (), final)  # fmt: skip
    if refining or owning:
        cause = (refining or owning)[0]
        return _with(finding, f"{where}: {cause.summary} ({cause.id})", cause.fix,
                     cause.causes[:1], final, explained_by=cause.id)  # fmt: skip
    names = list(final.cause_ids[:5])
    top = final.top
    suggestion = f"; the output suggests: {top.cause.title}" if top is not None else ""
    return dataclasses.replace(
        finding,
        summary=f"{where}, not explained by the checks{suggestion}",
        details=(
            *finding.details,
            "candidates (onboard explain): " + (", ".join(names) or "none known"),
        ),
        fix=Fix(top.cause.fix) if top is not None else finding.fix,
        causes=(top.cause.id,) if top is not None and final.verdict == "explained" else (),
        data={
            **finding.data,
            "verdict": final.verdict,
            "candidates": names,
            "explained_by_checks": False,
        },
    )


def _with(
    finding: Finding,
    summary: str,
    fix: Fix | None,
    causes: tuple[str, ...],
    final: object,
    explained_by: str | None = None,
) -> Finding:
    verdict = getattr(final, "verdict", None)
    ids = list(getattr(final, "cause_ids", ())[:5])
    data = {**finding.data, "verdict": verdict, "candidates": ids, "explained_by_checks": True}
    if explained_by:
        data["explained_by"] = explained_by
    return dataclasses.replace(finding, summary=summary, fix=fix, causes=causes, data=data)
