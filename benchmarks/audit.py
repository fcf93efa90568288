"""`onboard audit` speed: a 2,000-user account end to end, and evaluation at scale.

Run: .venv/bin/python benchmarks/audit.py [USERS]
1. Starts the `org` sandbox (in this process) and audits its 2,000-user
   account `222222222222` without --keys, as `onboard audit --org` does for
   it: AssumeRole, authorization details (all pages), credential report, MFA
   devices, then the judgment. Prints download and evaluation seconds.
2. Judges USERS (default 10,000) synthetic users who each have their own
   policy set (an inline policy of their own) under the engineering account's
   SCPs, twice: own policies that change no git answer (their answers to every
   request are computed, then the users share one judgment), and own policies
   that each change the verdict (the worst case: one judgment per user, up to
   28 distinct requests each: GitPull/GitPush and the KMS calls per method
   with and without MFA, 16, and the MFA samples, 12).
3. The issue's measurement: 10,000 users x 8 requests (each user's own policy
   set, the worst case above, on the 8 requests of a fetch and a push with the
   credential helper, without and with MFA: GitPull, GitPush, kms:Decrypt,
   kms:GenerateDataKey), evaluation seconds CPU and wall, with the audit's
   evaluation and, for the ratio, with one plain engine `evaluate` per request.
4. Peak memory: the process's maximum RSS (it also holds the sandbox), and
   the audit's own allocations (tracemalloc, in a separate untimed pass).
Not a test: numbers depend on the machine and its load (best of 3 is kept).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

from onboard.audit.download import download_account, scp_levels_for
from onboard.audit.judge import PolicyCache, judge_account, user_documents
from onboard.audit.model import AccountData
from onboard.audit.report import audit
from onboard.audit.scp import PolicyAnswers, ScpLevels
from onboard.audit.verdict import Behaviors, JudgeStats, Plan, SetJudge, UserTarget
from onboard.aws.gateway import Gateway
from onboard.aws.models import AuthorizationDetails, IamGroupDetail, IamUserDetail
from onboard.policy import Decision, Request, evaluate, parse_policy
from onboard.policy.git import kms_key_policy
from onboard.sandbox.account import Sandbox
from onboard.sandbox.seed_org import AUDIT_ROLE, ENGINEERING

T = TypeVar("T")
REGION, REPO = "us-east-1", "my-repo"


def best_of(rounds: int, work: Callable[[], T]) -> tuple[float, T]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def synthetic(users: int, template: AccountData, *, decisive: bool) -> AccountData:
    """`users` users in the template's `developers` group, each with an inline policy of their own.

    `decisive=False`: the policy allows GitPull on the user's own repository (evaluated
    for every request, it changes no answer for `my-repo`). `decisive=True`: it denies
    GitPush under its own Sid, so every user's verdict differs (the worst case).
    """
    assert template.details is not None
    details = template.details

    def own(n: int) -> dict[str, object]:
        if decisive:
            statement = {"Sid": f"NoPush{n}", "Effect": "Deny", "Action": "codecommit:GitPush"}
            statement["Resource"] = "*"
        else:
            statement = {"Effect": "Allow", "Action": "codecommit:GitPull"}
            statement["Resource"] = f"arn:aws:codecommit:us-east-1:{ENGINEERING}:team-{n}"
        return {"Version": "2012-10-17", "Statement": [statement]}

    people = [
        IamUserDetail(
            name=f"user-{n:05d}",
            arn=f"arn:aws:iam::{ENGINEERING}:user/user-{n:05d}",
            user_id=f"AIDA{n:017d}",
            path="/",
            groups=("developers",),
            attached=(),
            inline={"Own": own(n)},
        )
        for n in range(users)
    ]
    groups: dict[str, IamGroupDetail] = {"developers": details.groups["developers"]}
    return AccountData(
        ENGINEERING,
        details=AuthorizationDetails(people, groups, details.policies),
        scp_levels=template.scp_levels,
    )


def eight_requests(big: AccountData) -> int:
    """Every user's own set on the 8 requests, as the audit evaluates; how many are allowed.

    The audit's pieces in `judge_account`'s order: each user's policies compiled, each
    policy's answers (`Behaviors`), combined with the SCP levels and the key policy
    (`SetJudge`, outcomes shared by request and answers); the collector paused as there.
    """
    assert big.details is not None
    plan, answers, cache = Plan(big.account, REGION, REPO), PolicyAnswers(), PolicyCache()
    behaviours = Behaviors(plan, answers)
    scps = ScpLevels([[cache.get(s, "", "scp") for s in level] for level in big.scp_levels])
    requests = plan.git["https-helper", False] + plan.git["https-helper", True]
    stats, allowed = JudgeStats(), 0
    texts: dict[int, str] = {}  # canonical JSON by document, as `judge_account` keeps them

    def text(document: dict[str, object]) -> str:
        found = texts.get(id(document))
        if found is None:
            found = texts[id(document)] = json.dumps(document, sort_keys=True)
        return found

    gc.disable()
    try:
        for user in big.details.users:
            target = UserTarget(big.account, user.name, REGION, REPO, arn=user.arn)
            identity = [
                cache.get(d, text(d.document), "identity") for d in user_documents(big, user)
            ]
            vectors = [behaviours.vectors[behaviours.of(p, target)[0]] for p in identity]
            judge = SetJudge(
                identity, [], scps, target, stats, answers, plan, vectors, behaviours.outcomes
            )
            allowed += sum(judge.outcome(p).decision is Decision.ALLOWED for p in requests)
    finally:
        gc.enable()
    return allowed


def eight_requests_engine(big: AccountData) -> int:
    """The same 80,000 decisions with one plain engine `evaluate` per user and request."""
    assert big.details is not None
    levels = [[parse_policy(s.document, s.name, kind="scp") for s in lv] for lv in big.scp_levels]
    plan = Plan(big.account, REGION, REPO)
    requests = plan.git["https-helper", False] + plan.git["https-helper", True]
    allowed = 0
    for user in big.details.users:
        target = UserTarget(big.account, user.name, REGION, REPO, arn=user.arn)
        key_policy = kms_key_policy(target)
        identity = [parse_policy(d.document, d.name) for d in user_documents(big, user)]
        for p in requests:
            request = Request(p.action, p.resource, user.arn, p.context)
            resource_policy = key_policy if p.key_policy else None
            result = evaluate(request, identity, scps=levels, resource_policy=resource_policy)
            allowed += result.decision is Decision.ALLOWED
    return allowed


def cpu_and_wall(work: Callable[[], T]) -> tuple[float, float, T]:
    """(CPU s, wall s, result) of one run."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    started = time.perf_counter()
    with Sandbox.start("org", git=False) as sandbox:
        print(
            f"org sandbox started (2,007 users, 3 accounts) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        gateway = Gateway.from_settings(sandbox.helpdesk_settings())
        levels = scp_levels_for(gateway, ENGINEERING, {}, threading.Lock())

        def download() -> AccountData:
            member = gateway.assume_role_gateway(f"arn:aws:iam::{ENGINEERING}:role/{AUDIT_ROLE}")
            return download_account(member, ENGINEERING, scp_levels=levels)

        download_s, data = best_of(3, download)
        judge_s, run = best_of(3, lambda: audit([data]))
        cpu = time.process_time()
        audit([data])
        judge_cpu = time.process_time() - cpu
        assert data.details is not None
        print(
            f"2,000-user account, no --keys: {download_s + judge_s:.2f} s total "
            f"(download {download_s:.2f} s, evaluation {judge_s:.2f} s wall / "
            f"{judge_cpu:.2f} s CPU; "
            f"{run.stats.policy_sets} policy sets, {run.stats.evaluations} evaluations, "
            f"{len(run.findings)} findings)"
        )

        for decisive in (False, True):
            big = synthetic(count, data, decisive=decisive)

            def judge_all(big: AccountData = big) -> JudgeStats:
                stats = JudgeStats()
                judge_account(big, stats=stats)
                return stats

            # The run with the least CPU, and its wall time.
            big_cpu, big_s, stats = min(
                (cpu_and_wall(judge_all) for _ in range(3)), key=lambda run: run[0]
            )
            per_user = len(Plan(big.account, REGION, REPO).every(UserTarget(big.account, "u")))
            kind = "each changing the verdict" if decisive else "changing no git answer"
            print(
                f"{stats.users:,} users, each with an own policy ({kind}): {big_s:.2f} s wall, "
                f"{big_cpu:.2f} s CPU; {stats.policy_sets:,} policy sets, {stats.verdicts:,} "
                f"judged, up to {per_user * stats.users:,} user-requests ({per_user} per user: "
                f"git methods with and without MFA, KMS, MFA samples), {stats.evaluations:,} "
                f"judged for a set, {stats.engine_evaluations:,} single-policy "
                "engine evaluations"
            )
        runs = [cpu_and_wall(lambda: eight_requests(big)) for _ in range(3)]
        cpu_s, wall_s, allowed = min(runs)
        engine_cpu, engine_wall, engine_allowed = cpu_and_wall(lambda: eight_requests_engine(big))
        assert allowed == engine_allowed, (allowed, engine_allowed)  # the same decisions
        print(
            f"{count:,} users x 8 requests (own sets, worst case; the issue's measurement): "
            f"{cpu_s:.2f} s CPU, {wall_s:.2f} s wall ({allowed:,} of {8 * count:,} allowed); "
            f"plain engine, one evaluate per request: {engine_cpu:.2f} s CPU, "
            f"{engine_wall:.2f} s wall ({engine_cpu / cpu_s:.1f}x the CPU)"
        )
        print(f"load average during the run: {os.getloadavg()[0]:.1f} (2 cores)")
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        audit([data])
        judge_account(big)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"peak memory: {rss_mb:.0f} MB max RSS (process, sandbox included); "
            f"audit allocations peak {peak / 2**20:.0f} MB (judging {count:,} users, worst case)"
        )


if __name__ == "__main__":
    main()
