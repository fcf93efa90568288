"""Policy engine throughput: whole-process `onboard policy simulate` and pure evaluation.

Run: .venv/bin/python benchmarks/policy_throughput.py [N] [--rounds R]

Generates a batch of N (default 10,000) realistic requests (1-3 identity
policies each, some with an SCP, about 1.5 KB of JSON per request, the
policies repeating across requests) in two forms:
- embedded: every request carries its own copy of its documents;
- shared: `{"policies": {name: doc}, "requests": [...]}` naming them.
It then times `onboard policy simulate FILE` as a whole process (start-up,
reading, evaluating, printing the JSON results) for each form, best of R
rounds, and prints requests/s (per wall-clock second, and per CPU second of
the process: on a shared machine the wall clock mostly measures the wait for
a core) next to the pure evaluation rate (`evaluate()` on already compiled
policies, in this process).
Not a test: numbers depend on the machine and its load; compare within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from onboard.policy import Request, evaluate, parse_policy

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "onboard" / "sandbox" / "policies"
ONBOARD = Path(sys.executable).with_name("onboard")

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

READ_ONLY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadCode",
            "Effect": "Allow",
            "Action": ["codecommit:GitPull", "codecommit:Get*", "codecommit:List*"],
            "Resource": "arn:aws:codecommit:us-east-1:123456789012:*",
        }
    ],
}

SCP: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "DenyOtherRegions",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*", "organizations:*"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
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


def documents() -> dict[str, dict[str, Any]]:
    """The policy pool, by name: the fixtures, a tag/IP/date policy, a read-only grant."""
    pool = {
        name.removesuffix(".json"): json.loads((POLICIES / name).read_text())
        for name in (
            "force-mfa-codecommit-ok.json",
            "codecommit-developer-grants.json",
            "force-mfa-breaks-git.json",
        )
    }
    pool["tags-ip-dates"] = EXTRA
    pool["read-only"] = READ_ONLY
    return pool


def make_requests(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """`count` varied requests naming their policies (shared form; see `embed`)."""
    rng = random.Random(seed)
    names = list(documents())
    out = []
    for i in range(count):
        user = rng.choice(["alice", "bob", "carol", "dave"])
        action, resource = rng.choice(ACTIONS)
        context: dict[str, Any] = {"aws:RequestedRegion": rng.choice(["us-east-1", "eu-west-1"])}
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
        request: dict[str, Any] = {
            "id": str(i),
            "identityPolicies": rng.sample(names, rng.choice([1, 1, 2, 2, 3])),
            "action": action,
            "resource": resource.format(n=rng.randrange(50), user=user),
            "principal": f"arn:aws:iam::123456789012:user/{user}",
            "context": context,
        }
        if rng.random() < 0.2:
            request["scps"] = ["org-scp"]
        out.append(request)
    return out


def embed(requests: list[dict[str, Any]], pool: dict[str, Any]) -> list[dict[str, Any]]:
    """The embedded form: each request carries its own copy of its documents."""
    out = []
    for request in requests:
        copy = dict(request)
        for field in ("identityPolicies", "scps"):
            if field in copy:
                copy[field] = [pool[name] for name in copy[field]]
        out.append(copy)
    return out


def baseline_command(revision: str, folder: Path) -> list[str]:
    """`policy simulate` as the engine at git `revision` runs it (for a ratio in one run)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "onboard"], capture_output=True, check=True
    )
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    code = (
        f"import sys; sys.path.insert(0, {str(folder)!r}); import argparse; "
        "from onboard.policy.cli import run_simulate; "
        "sys.exit(run_simulate(argparse.Namespace(file=sys.argv[1])))"
    )
    return [sys.executable, "-c", code]


# What no evaluation strategy can save: start-up and imports, reading and decoding the
# batch, and writing an output of the same size (its bytes are read from a file).
FLOOR = """
import sys
import onboard.policy.cli, screens.entry
from onboard.policy.jsonio import read_limited
from onboard.policy.simulate import _split
_split(read_limited(sys.argv[1], 1 << 26, "a batch"), "batch")
with open(sys.argv[2], "rb") as printed:
    sys.stdout.buffer.write(printed.read())
"""


def time_processes(
    commands: dict[str, list[str]], rounds: int
) -> dict[str, tuple[float, float, bytes]]:
    """Best wall-clock and CPU (user+sys) seconds of each command, and what it printed.

    The commands take turns, round after round, so a machine whose speed drifts
    slows them alike. On a shared machine the wall clock mostly measures the
    queue for a core; the child's CPU time is what the process itself cost, so
    both are kept.
    """
    best: dict[str, tuple[float, float, bytes]] = {}
    for _round in range(rounds):
        for label, argv in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, check=False)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(f"{label} failed ({done.returncode}): {done.stderr[:500]!r}")
            old_wall, old_cpu, _ = best.get(label, (wall, cpu, b""))
            best[label] = (min(wall, old_wall), min(cpu, old_cpu), done.stdout)
    return best


def simulate_command(path: Path) -> list[str]:
    return [str(ONBOARD), "policy", "simulate", str(path)]


def pure_rate(
    requests: list[dict[str, Any]], pool: dict[str, Any], rounds: int
) -> tuple[float, float]:
    """evaluate() per second on compiled policies: no JSON, no process start."""
    compiled = {name: parse_policy(doc, name) for name, doc in pool.items()}
    scp = parse_policy(SCP, "org-scp", kind="scp")
    prepared = [
        (
            r["action"],
            r["resource"],
            r["principal"],
            r["context"],
            [compiled[n] for n in r["identityPolicies"]],
            [scp] if "scps" in r else [],
        )
        for r in requests
    ]
    best = best_cpu = float("inf")
    for _round in range(rounds):
        fresh = [(Request(a, res, p, c), ids, scps) for a, res, p, c, ids, scps in prepared]
        start, cpu = time.perf_counter(), time.process_time()
        for request, ids, scps in fresh:
            evaluate(request, ids, scps=scps).decision  # noqa: B018
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return len(requests) / best, len(requests) / best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        help="also time the embedded form with the engine at this git revision (e.g. bbbe448)",
    )
    args = parser.parse_args()
    # Bytecode as an installed package has it (pip compiles at install; an editable
    # install with PYTHONDONTWRITEBYTECODE set would compile every module at each start).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "onboard")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    pool = documents()
    requests = make_requests(args.count)
    shared = {"policies": {**pool, "org-scp": SCP}, "requests": requests}
    embedded = embed(requests, {**pool, "org-scp": SCP})
    with tempfile.TemporaryDirectory() as folder:
        embedded_path = Path(folder) / "embedded.json"
        shared_path = Path(folder) / "shared.json"
        embedded_path.write_text(json.dumps(embedded))
        shared_path.write_text(json.dumps(shared))
        per_request = os.path.getsize(embedded_path) / args.count
        print(
            f"batch: {args.count:,} requests, {per_request:,.0f} bytes of JSON per request "
            f"(embedded), {os.path.getsize(shared_path) / args.count:,.0f} (shared); "
            f"best of {args.rounds} rounds, 2 cores shared (load {os.getloadavg()[0]:.1f})"
        )
        commands = {
            "embedded": simulate_command(embedded_path),
            "shared": simulate_command(shared_path),
        }
        if args.baseline:
            old = baseline_command(args.baseline, Path(folder) / "baseline")
            commands["baseline"] = [*old, str(embedded_path)]
        # One run each first: the outputs the floor writes, and warm caches.
        printed = time_processes(commands, 1)
        for form, path in (("embedded", embedded_path), ("shared", shared_path)):
            output = Path(folder) / f"{form}.out"
            output.write_bytes(printed[form][2])
            floor = [sys.executable, "-c", FLOOR, str(path), str(output)]
            commands[f"floor-{form}"] = floor
        timed = time_processes(commands, args.rounds)
    wall_embedded, cpu_embedded, out_embedded = timed["embedded"]
    wall_shared, cpu_shared, out_shared = timed["shared"]
    results, shared_results = json.loads(out_embedded), json.loads(out_shared)
    baseline = None
    if "baseline" in timed:
        old_wall, old_cpu, old_out = timed["baseline"]
        baseline = old_wall, old_cpu, json.loads(old_out)
    decisions: dict[str, int] = {}
    for result in results:
        decisions[str(result["decision"])] = decisions.get(str(result["decision"]), 0) + 1
    same = [r["decision"] for r in results] == [r["decision"] for r in shared_results]
    print(f"decisions: {decisions}; both forms agree: {same}")
    print("whole process, reading, evaluating and printing included:")
    for label, wall, cpu in (
        ("embedded form", wall_embedded, cpu_embedded),
        ("shared form  ", wall_shared, cpu_shared),
    ):
        print(
            f"  onboard policy simulate, {label}: {args.count / wall:>9,.0f} requests/s wall "
            f"({wall:.3f} s), {args.count / cpu:>9,.0f} per CPU second ({cpu:.3f} s)"
        )
    for form, cpu in (("embedded", cpu_embedded), ("shared", cpu_shared)):
        _, floor_cpu, _ = timed[f"floor-{form}"]
        print(
            f"  the floor for the {form} form (start-up, imports, reading and decoding the "
            f"batch, writing its output; no evaluation): {args.count / floor_cpu:>9,.0f} per "
            f"CPU second ({floor_cpu:.3f} s); simulate costs {cpu / floor_cpu:.2f}x it"
        )
    if baseline is not None:
        wall, cpu, old_results = baseline
        agree = [r["decision"] for r in old_results] == [r["decision"] for r in results]
        print(
            f"  the engine at {args.baseline}, embedded form: {args.count / wall:>9,.0f} "
            f"requests/s wall, {args.count / cpu:>9,.0f} per CPU second; now "
            f"{cpu / cpu_embedded:.1f}x (embedded) and {cpu / cpu_shared:.1f}x (shared) less "
            f"CPU; decisions agree: {agree}"
        )
    rate, cpu_rate = pure_rate(requests, pool, args.rounds)
    print(
        f"  evaluate() on compiled policies, in process: {rate:>9,.0f} requests/s wall, "
        f"{cpu_rate:>9,.0f} per CPU second"
    )


if __name__ == "__main__":
    main()
