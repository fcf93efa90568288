"""Policy engine throughput: evaluations per second over a varied batch.

Run: .venv/bin/python benchmarks/policy_throughput.py [N]
Prints evaluations/s for compiled policies (the sandbox's path) and for
`simulate_batch` (JSON documents in, each distinct document parsed once per
batch). Not a test: numbers depend on the machine (and on its load: best of
several rounds is kept); compare runs on the same machine.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from onboard.policy import Request, evaluate, parse_policy
from onboard.policy.simulate import simulate_batch

POLICIES = Path(__file__).resolve().parent.parent / "onboard" / "sandbox" / "policies"

EXTRA: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "S3OwnPrefix",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": "arn:aws:s3:::team-bucket/home/${aws:username}/*",
        },
        {
            "Sid": "TaggedEc2",
            "Effect": "Allow",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
                "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]},
            },
        },
        {
            "Sid": "NoBigTags",
            "Effect": "Deny",
            "Action": "ec2:CreateTags",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": ["secret*", "admin?"]}},
        },
        {
            "Sid": "BusinessHours",
            "Effect": "Allow",
            "Action": "cloudwatch:Get*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
        },
    ],
}

ACTIONS = [
    ("codecommit:GitPull", "arn:aws:codecommit:us-east-1:123456789012:repo-{n}"),
    ("codecommit:GitPush", "arn:aws:codecommit:us-east-1:123456789012:repo-{n}"),
    ("kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/k{n}"),
    ("iam:CreateAccessKey", "arn:aws:iam::123456789012:user/{user}"),
    ("iam:UploadSSHPublicKey", "arn:aws:iam::123456789012:user/{user}"),
    ("iam:CreateVirtualMFADevice", "arn:aws:iam::123456789012:mfa/{user}"),
    ("s3:GetObject", "arn:aws:s3:::team-bucket/home/{user}/file{n}"),
    ("s3:ListAllMyBuckets", "*"),
    ("ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-{n}"),
    ("ec2:CreateTags", "arn:aws:ec2:us-east-1:123456789012:instance/i-{n}"),
    ("cloudwatch:GetMetricData", "*"),
    ("sts:GetSessionToken", "*"),
]


def make_requests(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` varied requests (actions, users, MFA states, tags, IPs)."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        user = rng.choice(["alice", "bob", "carol", "dave"])
        action, resource = rng.choice(ACTIONS)
        context: dict[str, Any] = {}
        mfa = rng.choice([None, "true", "false"])
        if mfa is not None:
            context["aws:MultiFactorAuthPresent"] = mfa
        if action.startswith("kms") and rng.random() < 0.5:
            context["kms:ViaService"] = "codecommit.us-east-1.amazonaws.com"
        if action.startswith("ec2"):
            context["aws:ResourceTag/team"] = rng.choice(["red", "blue"])
            context["aws:PrincipalTag/team"] = rng.choice(["red", "blue"])
            context["aws:SourceIp"] = rng.choice(["203.0.113.7", "198.51.100.1", "2001:db8::5"])
            context["aws:TagKeys"] = rng.sample(["name", "secret-x", "owner", "admin1"], 2)
        context["aws:CurrentTime"] = "2026-11-28T12:00:00Z"
        out.append(
            {
                "id": str(i),
                "action": action,
                "resource": resource.format(n=rng.randrange(50), user=user),
                "principal": f"arn:aws:iam::123456789012:user/{user}",
                "context": context,
            }
        )
    return out


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    documents = [
        json.loads((POLICIES / name).read_text())
        for name in ("force-mfa-codecommit-ok.json", "codecommit-developer-grants.json")
    ]
    documents.append(EXTRA)
    policies = [parse_policy(doc, f"p{i}") for i, doc in enumerate(documents)]
    raw = make_requests(count)
    requests = [Request(r["action"], r["resource"], r["principal"], r["context"]) for r in raw]

    def best_of_five(read_text: bool) -> tuple[float, float, list[Any]]:
        """Best wall and CPU time over five fresh batches (the machine is shared)."""
        best_wall = best_cpu = float("inf")
        results: list[Any] = []
        for _round in range(5):
            fresh = [Request(r.action, r.resource, r.principal, r.context) for r in requests]
            wall, cpu = time.perf_counter(), time.process_time()
            if read_text:  # the explanation text is built only when read
                results = [evaluate(request, policies).explanation for request in fresh]
            else:
                results = [evaluate(request, policies).decision for request in fresh]
            best_cpu = min(best_cpu, time.process_time() - cpu)
            best_wall = min(best_wall, time.perf_counter() - wall)
        return best_wall, best_cpu, results

    wall, cpu, results = best_of_five(read_text=False)
    decisions: dict[str, int] = {}
    for decision in results:
        decisions[decision.value] = decisions.get(decision.value, 0) + 1
    print(f"evaluate():       {count} requests, 3 policies / 12 statements, {decisions}")
    print(f"  {count / wall:,.0f} evaluations/s wall clock ({wall:.3f} s)")
    print(f"  {count / cpu:,.0f} evaluations per CPU second ({cpu:.3f} s)")
    wall, cpu, _texts = best_of_five(read_text=True)
    print(f"  {count / wall:,.0f} evaluations/s wall clock with the explanation read")

    # Each request carries its own copy of the documents, as a JSON file would.
    text = json.dumps([{**r, "identityPolicies": documents} for r in raw])
    best_wall = best_cpu = float("inf")
    simulated: list[dict[str, Any]] = []
    for _round in range(3):
        batch = json.loads(text)  # decoding is not timed: simulate_batch takes decoded JSON
        wall, cpu = time.perf_counter(), time.process_time()
        simulated = simulate_batch(batch)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    errors = sum(1 for r in simulated if r["error"])
    print(f"simulate_batch(): {count} JSON requests, explanations and result dicts included")
    print(
        f"  {count / best_wall:,.0f} evaluations/s wall clock ({best_wall:.3f} s)  errors={errors}"
    )
    print(f"  {count / best_cpu:,.0f} evaluations per CPU second ({best_cpu:.3f} s)")


if __name__ == "__main__":
    main()
