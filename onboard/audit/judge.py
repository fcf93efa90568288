"""Per user: can git be used, with which method, and what decides it; is MFA enforced.

Users whose policies are the same set (same documents, same boundary, same
account SCPs) get one evaluation: the verdict is computed per policy-set
signature and shared. A set whose documents name users (literal user ARNs,
`aws:username`/`aws:userid`/principal keys outside IAM user resources) is
judged per user, since the answer can differ from one user to the next.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from onboard.audit.model import (
    DEVICE_ASSIGNED,
    DEVICE_NONE,
    DEVICE_STALE,
    AccessKeyState,
    AccountData,
    NamedDocument,
    UserAudit,
)
from onboard.audit.scp import PolicyAnswers, ScpLevels
from onboard.audit.verdict import (
    Behaviors,
    JudgeStats,
    Plan,
    SetJudge,
    SetVerdict,
    UserTarget,
    unknown_verdict,
)
from onboard.aws.models import CredentialReportRow, IamUserDetail, VirtualMfaDeviceInfo
from onboard.policy import Policy, PolicyError, parse_policy

_PRINCIPAL_KEYS = re.compile(r"aws:(username|userid|principal\w*)", re.IGNORECASE)


# --- user-dependence ---------------------------------------------------------------------------


def _names_users(document: Mapping[str, object]) -> bool:
    """Could this document answer differently for two users with the same policies?"""
    statements = document.get("Statement")
    items = statements if isinstance(statements, list) else [statements]
    for statement in items:
        if not isinstance(statement, Mapping):
            continue
        if _PRINCIPAL_KEYS.search(json.dumps(statement.get("Condition", {}))):
            return True
        for key in ("Resource", "NotResource"):
            values = statement.get(key, [])
            for value in [values] if isinstance(values, str) else values or []:
                text = str(value)
                if ":user/" in text and "${" not in text:
                    return True  # a literal user ARN
                if _PRINCIPAL_KEYS.search(text) and not text.startswith("arn:aws:iam:"):
                    return True  # e.g. a repository named after the user
    return False


# --- the account -------------------------------------------------------------------------------


class PolicyCache:
    """Parsed policies by (name, canonical JSON): each document is compiled once per run."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, str, str], Policy] = {}

    def get(self, named: NamedDocument, text: str, kind: str) -> Policy:
        key = (named.name, text, kind)
        found = self._parsed.get(key)
        if found is None:
            found = parse_policy(named.document, named.name, kind=kind)
            self._parsed[key] = found
        return found


def user_documents(data: AccountData, user: IamUserDetail) -> list[NamedDocument]:
    """The user's identity policies: inline, attached, and their groups' (names as reported)."""
    assert data.details is not None
    details = data.details
    found = [
        NamedDocument(f"{user.arn} inline policy {name}", doc) for name, doc in user.inline.items()
    ]
    found.extend(_managed(details.policies, arn) for arn in user.attached)
    for group_name in user.groups:
        group = details.groups.get(group_name)
        if group is None:
            continue
        found.extend(
            NamedDocument(f"{group.arn} inline policy {name}", doc)
            for name, doc in group.inline.items()
        )
        found.extend(_managed(details.policies, arn) for arn in group.attached)
    return found


def _managed(policies: Mapping[str, object], arn: str) -> NamedDocument:
    detail = policies.get(arn)
    document = getattr(detail, "document", None)
    if not isinstance(document, dict):
        # An AWS-managed policy AWS did not list: judged as granting nothing, and said so.
        return NamedDocument(f"{arn} (not downloaded)", {"Statement": []})
    return NamedDocument(arn, document)


def judge_account(
    data: AccountData,
    *,
    region: str = "us-east-1",
    repo: str = "my-repo",
    users: Iterable[str] = (),
    groups: Iterable[str] = (),
    now: datetime | None = None,
    stats: JudgeStats | None = None,
    cache: PolicyCache | None = None,
) -> list[UserAudit]:
    """Judge every user of an audited account (or those `users`/`groups` select)."""
    with _cyclic_gc_paused():
        return _judge_account(data, region, repo, users, groups, now, stats, cache)


def _judge_account(
    data: AccountData,
    region: str,
    repo: str,
    users: Iterable[str],
    groups: Iterable[str],
    now: datetime | None,
    stats: JudgeStats | None,
    cache: PolicyCache | None,
) -> list[UserAudit]:
    if data.details is None:
        return []
    stats = stats if stats is not None else JudgeStats()
    cache = cache if cache is not None else PolicyCache()
    wanted_users, wanted_groups = set(users), set(groups)
    answers = PolicyAnswers()
    plan = Plan(data.account, region, repo)
    scps = ScpLevels([[cache.get(scp, "", "scp") for scp in level] for level in data.scp_levels])
    texts: dict[int, tuple[str, bool]] = {}  # id(document) -> (canonical text, names users)

    def text_of(document: dict[str, object]) -> tuple[str, bool]:
        found = texts.get(id(document))
        if found is None:
            found = (json.dumps(document, sort_keys=True), _names_users(document))
            texts[id(document)] = found
        return found

    verdicts: dict[tuple[object, ...], SetVerdict] = {}
    behaviours = Behaviors(plan, answers)
    by_behaviour: dict[tuple[object, ...], SetVerdict] = {}
    # Verdicts follow from per-policy answers only when the key policy and SCPs answer
    # alike for every user (they do unless they name principals).
    key_relevance = answers.relevance(plan.key_policy, "kms:Decrypt", True)
    shared_answers = not scps.by_principal and not (key_relevance and key_relevance[0])
    devices = _devices_by_user(data.devices)
    results: list[UserAudit] = []
    moment = now or datetime.now(UTC)
    for user in data.details.users:
        if wanted_users and user.name not in wanted_users:
            continue
        if wanted_groups and not wanted_groups.intersection(user.groups):
            continue
        stats.users += 1
        documents = user_documents(data, user)
        boundary = [_managed(data.details.policies, user.boundary_arn)] if user.boundary_arn else []
        keyed = [(d, *text_of(d.document)) for d in documents]
        bkeyed = [(d, *text_of(d.document)) for d in boundary]
        signature: tuple[object, ...] = (
            tuple(sorted((d.name, t) for d, t, _ in keyed)),
            tuple((d.name, t) for d, t, _ in bkeyed),
            # `user/${aws:username}` matches a user's own ARN only without an IAM path.
            user.path,
        )
        if any(dep for _, _, dep in keyed + bkeyed):
            signature += (user.name,)
        verdict = verdicts.get(signature)
        if verdict is None:
            stats.policy_sets += 1
            target = UserTarget(data.account, user.name, region, repo, arn=user.arn)
            try:
                identity = [cache.get(d, t, "identity") for d, t, _ in keyed]
                bounds = [cache.get(d, t, "boundary") for d, t, _ in bkeyed]
            except PolicyError as exc:
                verdict = unknown_verdict(str(exc))
            else:
                behaviour: tuple[object, ...] | None = None
                if shared_answers and not bounds:
                    numbers = [behaviours.of(policy, target) for policy in identity]
                    behaviour = (tuple(sorted(n for n, _ in numbers if n >= 0)),)
                    if any(alone for _, alone in numbers):
                        behaviour += (user.name,)
                    verdict = by_behaviour.get(behaviour)
                if verdict is None:
                    vectors = None
                    if behaviour is not None:  # the answers are known: the judge reuses them
                        vectors = [behaviours.vectors[n] for n, _ in numbers]
                    outcomes = behaviours.outcomes if vectors is not None else None
                    judge = SetJudge(
                        identity, bounds, scps, target, stats, answers, plan, vectors, outcomes
                    )
                    verdict = judge.verdict()
                    if behaviour is not None:
                        by_behaviour[behaviour] = verdict
            verdicts[signature] = verdict
        results.append(_user_audit(data, user, verdict, devices, moment))
    stats.engine_evaluations += answers.evaluations
    return results


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while judging.

    Judging 10,000 users allocates some hundreds of thousands of long-lived objects
    (compiled policies, answers, outcomes) and no reference cycles to speak of; each
    full collection would walk all of them again, a fifth of the judging time. Memory is
    still freed by reference counting; the collector is re-enabled afterwards (unless
    it was off already).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _devices_by_user(
    devices: Sequence[VirtualMfaDeviceInfo],
) -> tuple[set[str], dict[str, list[str]]]:
    assigned = {d.user_name for d in devices if d.user_name}
    unassigned: dict[str, list[str]] = {}
    for device in devices:
        if not device.assigned:
            unassigned.setdefault(device.name, []).append(device.serial)
    return assigned, unassigned


def _user_audit(
    data: AccountData,
    user: IamUserDetail,
    verdict: SetVerdict,
    devices: tuple[set[str], dict[str, list[str]]],
    now: datetime,
) -> UserAudit:
    assigned, unassigned = devices
    row = data.report.get(user.name)
    stale = tuple(unassigned.get(user.name, ()))
    if (row is not None and row.mfa_active) or user.name in assigned:
        device = DEVICE_ASSIGNED
    elif stale:
        device = DEVICE_STALE
    else:
        device = DEVICE_NONE
    keys = data.keys.get(user.name) if data.keys is not None else None
    return UserAudit(
        account=data.account,
        user=user.name,
        arn=user.arn,
        groups=user.groups,
        git=verdict.git,
        deciding=verdict.deciding,
        mfa_enforced=verdict.mfa_enforced,
        mfa_not_enforced_for=verdict.mfa_not_enforced_for,
        mfa_device=device,
        stale_devices=stale,
        access_keys=_access_keys(row, now),
        ssh_keys=keys.ssh if keys is not None else None,
        git_credentials=keys.git_credentials if keys is not None else None,
    )


def _access_keys(row: CredentialReportRow | None, now: datetime) -> tuple[AccessKeyState, ...]:
    if row is None:
        return ()
    return tuple(
        AccessKeyState(active, _age_days(rotated, now), last_used)
        for active, rotated, last_used in row.keys
    )


def _age_days(iso: str | None, now: datetime) -> int | None:
    if iso is None:
        return None
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, (now - moment).days)
