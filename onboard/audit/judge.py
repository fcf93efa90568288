"""Per user: can git be used, with which method, and what decides it; is MFA enforced.

Users whose policies are the same set (same documents, same boundary, same
account SCPs) get one evaluation: the verdict is computed per policy-set
signature and shared. A set whose documents name users (literal user ARNs,
`aws:username`/`aws:userid`/principal keys outside IAM user resources) is
judged per user, since the answer can differ from one user to the next.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from onboard.audit.model import (
    ALLOWED,
    DENIED,
    DEVICE_ASSIGNED,
    DEVICE_NONE,
    DEVICE_STALE,
    MFA_ONLY,
    AccessKeyState,
    AccountData,
    NamedDocument,
    UserAudit,
)
from onboard.audit.scp import NOT_GRANTED, PolicyAnswers, ScpLevels, evaluate_with_scps
from onboard.aws.models import CredentialReportRow, IamUserDetail, VirtualMfaDeviceInfo
from onboard.policy import Decision, Policy, PolicyError, Request, parse_policy
from onboard.policy.git import (
    GIT_ACTIONS,
    KMS_ACTIONS,
    METHODS,
    MFA_SAMPLES,
    git_request_context,
    kms_key_policy,
)
from onboard.policy.target import NO_MFA_VARIANTS, GitTarget

# Methods git can also use with an MFA session (the AWS CLI helper with an MFA profile,
# git-remote-codecommit); SSH keys and Git credentials never carry MFA.
MFA_CAPABLE = ("https-helper", "grc")
UNKNOWN = "unknown"

_PRINCIPAL_KEYS = re.compile(r"aws:(username|userid|principal\w*)", re.IGNORECASE)


@dataclass(frozen=True)
class SetVerdict:
    """The judgment of one policy set, shared by every user who has it."""

    git: dict[str, str]
    deciding: dict[str, str]
    mfa_enforced: bool
    mfa_not_enforced_for: tuple[str, ...]


@dataclass
class JudgeStats:
    """How much work judging took (for benchmarks and the report's summary)."""

    users: int = 0
    policy_sets: int = 0
    evaluations: int = 0


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


# --- evaluation of one policy set --------------------------------------------------------------


class _SetJudge:
    """Evaluates the git and MFA requests for one policy set, caching repeated requests."""

    def __init__(
        self,
        identity: Sequence[Policy],
        boundaries: Sequence[Policy],
        scps: ScpLevels,
        target: GitTarget,
        stats: JudgeStats,
        answers: PolicyAnswers,
        plan: _Plan,
    ) -> None:
        self.identity, self.boundaries, self.scps = identity, boundaries, scps
        self.answers = answers
        self.target, self.stats, self.plan = target, stats, plan
        self.principal = target.user_arn
        self.key_policy = plan.key_policy
        self._cache: dict[tuple[object, ...], _Outcome] = {}

    def outcome(self, prepared: _Prepared) -> _Outcome:
        found = self._cache.get(prepared.key)
        if found is None:
            self.stats.evaluations += 1
            request = Request(prepared.action, prepared.resource, self.principal, prepared.context)
            resource_policy = self.key_policy if prepared.key_policy else None
            decision, labels = evaluate_with_scps(
                request,
                self.identity,
                self.boundaries,
                self.scps,
                resource_policy,
                prepared.key,
                self.answers,
            )
            found = _Outcome(prepared.action, decision, labels)
            self._cache[prepared.key] = found
        return found

    def method(self, method: str) -> tuple[str, str]:
        """(status, deciding) of one git method."""
        without = [self.outcome(p) for p in self.plan.git[method, False]]
        if all(o.decision is Decision.ALLOWED for o in without):
            return ALLOWED, _labels(without[:1])
        if method in MFA_CAPABLE:
            with_mfa = [self.outcome(p) for p in self.plan.git[method, True]]
            if all(o.decision is Decision.ALLOWED for o in with_mfa):
                return MFA_ONLY, "MFA required by " + _labels(_failing(without))
            return DENIED, _labels(_failing(with_mfa))
        return DENIED, _labels(_failing(without))

    def mfa(self) -> tuple[bool, tuple[str, ...]]:
        """Is every sample action refused without MFA (complete set: not allowed is refused)?"""
        callable_without: list[str] = []
        for action, kind, variants in self.plan.mfa:
            resource = self.target.resource(kind)
            for context, context_key in variants:
                prepared = _Prepared(action, resource, context, (action, resource, context_key))
                if self.outcome(prepared).decision is Decision.ALLOWED:
                    callable_without.append(action)
                    break
        return not callable_without, tuple(callable_without)

    def verdict(self) -> SetVerdict:
        git: dict[str, str] = {}
        deciding: dict[str, str] = {}
        for method in METHODS:
            git[method], deciding[method] = self.method(method)
        enforced, missing = self.mfa()
        return SetVerdict(git, deciding, enforced, missing)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A request of the plan: its context and cache key built once per account."""

    action: str
    resource: str
    context: Mapping[str, str]
    key: tuple[object, ...]
    key_policy: bool = False


class _Plan:
    """The requests git and the MFA samples make, prepared once per account and region."""

    def __init__(self, account: str, region: str, repo: str) -> None:
        target = GitTarget(account=account, region=region, repo=repo)
        # The AWS-managed key's policy depends on the account and region only.
        self.key_policy = kms_key_policy(target)
        self.git: dict[tuple[str, bool], list[_Prepared]] = {}
        for method in METHODS:
            for mfa in (False, True):
                context = git_request_context(method, mfa=mfa, region=region)
                kms_context = {
                    **context,
                    "kms:ViaService": f"codecommit.{region}.amazonaws.com",
                    "kms:CallerAccount": account,
                }
                self.git[method, mfa] = [
                    _Prepared(a, target.repo_arn, context, _key(a, target.repo_arn, context))
                    for a in GIT_ACTIONS
                ] + [
                    _Prepared(
                        a,
                        target.kms_key_arn,
                        kms_context,
                        (*_key(a, target.kms_key_arn, kms_context), True),
                        True,
                    )
                    for a in KMS_ACTIONS
                ]
        base = {"aws:RequestedRegion": region, "aws:SecureTransport": "true"}
        self.mfa: list[tuple[str, str, list[tuple[Mapping[str, str], tuple[object, ...]]]]] = []
        for action, kind in MFA_SAMPLES:
            variants: list[tuple[Mapping[str, str], tuple[object, ...]]] = []
            for value in NO_MFA_VARIANTS.values():
                context = base if value is None else {**base, "aws:MultiFactorAuthPresent": value}
                variants.append((context, tuple(context.items())))
            self.mfa.append((action, kind, variants))


def _key(action: str, resource: str, context: Mapping[str, str]) -> tuple[object, ...]:
    return (action, resource, tuple(context.items()))


@dataclass(frozen=True)
class _Outcome:
    action: str
    decision: Decision
    labels: tuple[str, ...]


def _failing(outcomes: Iterable[_Outcome]) -> list[_Outcome]:
    failing = [o for o in outcomes if o.decision is not Decision.ALLOWED]
    explicit = [o for o in failing if o.decision is Decision.EXPLICIT_DENY]
    return explicit or failing


def _labels(outcomes: Sequence[_Outcome]) -> str:
    seen = dict.fromkeys(label for o in outcomes for label in o.labels)
    missing = [label for label in seen if label.startswith(NOT_GRANTED)]
    if len(missing) > 1:  # one "not granted" naming every action it lacks
        actions = ", ".join(label.removeprefix(NOT_GRANTED).strip() for label in missing)
        seen = {**{k: None for k in seen if k not in missing}, f"{NOT_GRANTED} {actions}": None}
    return "; ".join(seen)


def _unknown_verdict(error: str) -> SetVerdict:
    git = dict.fromkeys(METHODS, UNKNOWN)
    deciding = dict.fromkeys(METHODS, f"cannot judge: {error}")
    return SetVerdict(git, deciding, False, ("(policy could not be read)",))


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
    if data.details is None:
        return []
    stats = stats if stats is not None else JudgeStats()
    cache = cache if cache is not None else PolicyCache()
    wanted_users, wanted_groups = set(users), set(groups)
    answers = PolicyAnswers()
    plan = _Plan(data.account, region, repo)
    scps = ScpLevels([[cache.get(scp, "", "scp") for scp in level] for level in data.scp_levels])
    texts: dict[int, tuple[str, bool]] = {}  # id(document) -> (canonical text, names users)

    def text_of(document: dict[str, object]) -> tuple[str, bool]:
        found = texts.get(id(document))
        if found is None:
            found = (json.dumps(document, sort_keys=True), _names_users(document))
            texts[id(document)] = found
        return found

    verdicts: dict[tuple[object, ...], SetVerdict] = {}
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
        )
        if any(dep for _, _, dep in keyed + bkeyed):
            signature += (user.name,)
        verdict = verdicts.get(signature)
        if verdict is None:
            stats.policy_sets += 1
            target = GitTarget(account=data.account, user=user.name, region=region, repo=repo)
            try:
                identity = [cache.get(d, t, "identity") for d, t, _ in keyed]
                bounds = [cache.get(d, t, "boundary") for d, t, _ in bkeyed]
                verdict = _SetJudge(identity, bounds, scps, target, stats, answers, plan).verdict()
            except PolicyError as exc:
                verdict = _unknown_verdict(str(exc))
            verdicts[signature] = verdict
        results.append(_user_audit(data, user, verdict, devices, moment))
    return results


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


JudgeFunction = Callable[..., list[UserAudit]]
