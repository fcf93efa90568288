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
   that each change the verdict (the worst case: one judgment per user, 24
   requests each: GitPull/GitPush and the KMS calls per method with and
   without MFA, and the MFA samples).
3. Peak memory: the process's maximum RSS (it also holds the sandbox), and
   the audit's own allocations (tracemalloc, in a separate untimed pass).
Not a test: numbers depend on the machine and its load (best of 3 is kept).
"""

from __future__ import annotations

import os
import resource
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import TypeVar

from onboard.audit.download import download_account, scp_levels_for
from onboard.audit.judge import judge_account
from onboard.audit.model import AccountData
from onboard.audit.report import audit
from onboard.audit.verdict import JudgeStats
from onboard.aws.gateway import Gateway
from onboard.aws.models import AuthorizationDetails, IamGroupDetail, IamUserDetail
from onboard.sandbox.account import Sandbox
from onboard.sandbox.seed_org import AUDIT_ROLE, ENGINEERING

T = TypeVar("T")


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

            def judge_all(big: AccountData = big) -> tuple[JudgeStats, float]:
                stats = JudgeStats()
                cpu = time.process_time()
                judge_account(big, stats=stats)
                return stats, time.process_time() - cpu

            big_s, (stats, big_cpu) = best_of(3, judge_all)
            kind = "each changing the verdict" if decisive else "changing no git answer"
            print(
                f"{stats.users:,} users, each with an own policy ({kind}): {big_s:.2f} s wall, "
                f"{big_cpu:.2f} s CPU; {stats.policy_sets:,} policy sets, {stats.verdicts:,} "
                f"judged, {24 * stats.users:,} user-requests (24 per user: git methods with "
                f"and without MFA, KMS, MFA samples), {stats.engine_evaluations:,} single-policy "
                "engine evaluations"
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
