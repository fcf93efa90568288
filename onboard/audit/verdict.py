"""The judgment of one policy set: git per method, MFA enforcement, deciding statements.

`SetJudge` evaluates the requests one git fetch/push makes (per method, with
and without an MFA session) and the MFA sample actions of `onboard policy
check`, each request once per set, through `scp.evaluate_with_scps`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from onboard.audit.model import ALLOWED, DENIED, MFA_ONLY
from onboard.audit.scp import NOT_GRANTED, Answer, PolicyAnswers, ScpLevels, evaluate_with_scps
from onboard.policy import Decision, Policy, Request
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


@dataclass(frozen=True)
class SetVerdict:
    """The judgment of one policy set, shared by every user who has it."""

    git: dict[str, str]
    deciding: dict[str, str]
    mfa_enforced: bool
    mfa_not_enforced_for: tuple[str, ...]


@dataclass(frozen=True)
class UserTarget(GitTarget):
    """A `GitTarget` with the user's real ARN, IAM path included (`user/team/alice`).

    AWS matches `Resource: arn:aws:iam::*:user/${aws:username}` against that ARN:
    for a user with a path it does not match, and the audit must see it so.
    """

    arn: str = ""

    @property
    def user_arn(self) -> str:
        """The user's ARN as IAM gives it."""
        return self.arn or super().user_arn


@dataclass
class JudgeStats:
    """How much work judging took (for benchmarks and the report's summary)."""

    users: int = 0
    policy_sets: int = 0
    evaluations: int = 0
    """Requests judged for a whole policy set (each once per set)."""
    engine_evaluations: int = 0
    """Single policies evaluated by the engine (each once per distinct request)."""
    verdicts: int = 0
    """Policy sets judged (sets whose policies answer alike share one judgment)."""


# --- evaluation of one policy set --------------------------------------------------------------


class SetJudge:
    """Evaluates the git and MFA requests for one policy set, caching repeated requests."""

    def __init__(
        self,
        identity: Sequence[Policy],
        boundaries: Sequence[Policy],
        scps: ScpLevels,
        target: GitTarget,
        stats: JudgeStats,
        answers: PolicyAnswers,
        plan: Plan,
        vectors: Sequence[Sequence[Answer | None]] | None = None,
        shared: dict[tuple[object, ...], tuple[_Outcome, tuple[Answer, ...]]] | None = None,
    ) -> None:
        self.identity, self.boundaries, self.scps = identity, boundaries, scps
        # The identity policies' answers to every request, when `Behaviors` has them,
        # by place in the plan: each request's answers in one tuple.
        self.vectors = vectors
        self._columns = list(zip(*vectors, strict=True)) if vectors else []
        self.answers = answers
        self.target, self.stats, self.plan = target, stats, plan
        self.principal = target.user_arn
        self.key_policy = plan.key_policy
        self._cache: dict[int, _Outcome] = {}  # by place in the plan
        # Outcomes by request and the identity policies' answers to it, across the sets of
        # the account (with `vectors` only: then nothing else in the decision varies).
        self._shared = shared if shared is not None else {}

    def outcome(self, prepared: _Prepared) -> _Outcome:
        place = prepared.place
        found = self._cache.get(place)
        if found is not None:
            return found
        self.stats.evaluations += 1
        parts = None
        if self.vectors is not None:
            said = tuple(filter(None, self._columns[place])) if self._columns else ()
            request: tuple[object, ...] = (place,)
            if prepared.shared_key is not None and not self.scps.agnostic(prepared.action):
                request = (place, prepared.resource)  # an SCP looks at the user's own ARN
            shared_key = (*request, *map(id, said))
            known = self._shared.get(shared_key)
            if known is not None:
                self._cache[place] = known[0]
                return known[0]
            parts = said
        decision, labels = evaluate_with_scps(
            Request(prepared.action, prepared.resource, self.principal, prepared.context),
            self.identity,
            self.boundaries,
            self.scps,
            self.key_policy if prepared.key_policy else None,
            prepared.key,
            self.answers,
            prepared.shared_key,
            parts,
        )
        found = _Outcome(prepared.action, decision, labels)
        self._cache[place] = found
        if parts is not None:  # the answers are kept with it: their ids stay theirs
            self._shared[shared_key] = (found, parts)
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
        samples = iter(self.plan.every(self.target)[len(self.plan.git_unique) :])
        for action, _kind, variants in self.plan.mfa:
            ways = [next(samples) for _ in variants]  # one request per way of lacking MFA
            if any(self.outcome(p).decision is Decision.ALLOWED for p in ways):
                callable_without.append(action)
        return not callable_without, tuple(callable_without)

    def verdict(self) -> SetVerdict:
        """Judge the set: git per method, MFA enforcement."""
        self.stats.verdicts += 1
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
    shared_key: tuple[object, ...] | None = None
    """For a request on the user's own ARN: its key without that ARN."""
    place: int = -1
    """Its place in `Plan.every(...)`: the same request for every user, but for `shared_key`."""


class Plan:
    """The requests git and the MFA samples make, prepared once per account and region."""

    _last: tuple[str, list[_Prepared]] | None
    _static: list[_Prepared] | None
    git_unique: list[_Prepared]

    def every(self, target: GitTarget) -> list[_Prepared]:
        """Each distinct request of the plan, the MFA samples on `target`'s resources."""
        arn = target.user_arn
        if self._last is not None and self._last[0] == arn:
            return self._last[1]  # asked per policy of the set, and by its judge
        if self._static is None:
            self._static = self._build(target)
        found = list(self._static)
        # Only the samples on the user's own ARN differ from one user to the next.
        for place in self._own:
            old = found[place]
            key = (old.action, arn, old.key[2])
            found[place] = _Prepared(
                old.action, arn, old.context, key, False, old.shared_key, place
            )
        self._last = (arn, found)
        return found

    def _build(self, target: GitTarget) -> list[_Prepared]:
        found = list(self.git_unique)
        for action, kind, variants in self.mfa:
            resource, start = target.resource(kind), len(found)
            if kind == "user":
                self._own.extend(range(start, start + len(variants)))
            found.extend(
                _Prepared(
                    action,
                    resource,
                    context,
                    (action, resource, context_key),
                    shared_key=(action, kind, context_key) if kind == "user" else None,
                    place=start + number,
                )
                for number, (context, context_key) in enumerate(variants)
            )
        for place, prepared in enumerate(found):
            self.places.setdefault(prepared.action, []).append(place)
        return found

    def __init__(self, account: str, region: str, repo: str) -> None:
        target = GitTarget(account=account, region=region, repo=repo)
        # The AWS-managed key's policy depends on the account and region only.
        self.key_policy = kms_key_policy(target)
        self.git: dict[tuple[str, bool], list[_Prepared]] = {}
        unique: dict[tuple[object, ...], _Prepared] = {}
        for method in METHODS:
            for mfa in (False, True):
                context = git_request_context(method, mfa=mfa, region=region)
                kms_context = {
                    **context,
                    "kms:ViaService": f"codecommit.{region}.amazonaws.com",
                    "kms:CallerAccount": account,
                }
                made = [
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
                # One object per distinct request (methods share some), placed in order.
                self.git[method, mfa] = [
                    unique.setdefault(p.key, replace(p, place=len(unique))) for p in made
                ]
        self._last = None
        self._static = None
        self._own: list[int] = []  # places of the samples on the user's own ARN
        self.places: dict[str, list[int]] = {}
        """Each action's places in `every(...)` (filled with it)."""
        self.git_unique = list(unique.values())
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


def unknown_verdict(error: str) -> SetVerdict:
    git = dict.fromkeys(METHODS, UNKNOWN)
    deciding = dict.fromkeys(METHODS, f"cannot judge: {error}")
    return SetVerdict(git, deciding, False, ("(policy could not be read)",))


class Behaviors:
    """Each policy's answers to every request of the plan, as a small number.

    Two policy sets whose policies answer every request alike get the same
    verdict (the verdict is a function of those answers), so a user whose own
    inline policy changes nothing git or the MFA samples ask about shares the
    verdict of the others, after that policy was evaluated on every request.
    """

    def __init__(self, plan: Plan, answers: PolicyAnswers) -> None:
        self.plan, self.answers = plan, answers
        self._numbers: dict[tuple[object, ...], int] = {}
        self._shared: dict[int, int] = {}  # id(policy) -> number, for policies alike for all
        self.vectors: dict[int, tuple[Answer | None, ...]] = {}
        """Behaviour number -> the answers, in the order of `Plan.every`."""
        self.outcomes: dict[tuple[object, ...], tuple[_Outcome, tuple[Answer, ...]]] = {}
        """The judges' outcomes by request and answers (`SetJudge`'s `shared`)."""

    def of(self, policy: Policy, target: GitTarget) -> tuple[int, bool]:
        """(behaviour number, whether it holds for this user only); -1: it changes nothing."""
        known = self._shared.get(id(policy))
        if known is not None:
            return known, False
        every = self.plan.every(target)
        vector: list[Answer | None] = [None] * len(every)
        per_user = False
        for action, places in self.plan.places.items():
            relevance = self.answers.relevance(policy, action)
            if relevance is None:  # nothing in the policy covers the action: most of them
                continue
            by_user, agnostic = relevance
            for place in places:
                prepared = every[place]
                per_user = per_user or by_user or (prepared.shared_key is not None and not agnostic)
                request = Request(action, prepared.resource, target.user_arn, prepared.context)
                key, shared = prepared.key, prepared.shared_key
                answer = self.answers.answer(policy, request, key, None, shared)
                # An implicit deny adds nothing to a set's decision (only Deny and Allow count).
                vector[place] = None if answer[0] is Decision.IMPLICIT_DENY else answer
        answers = tuple(vector)
        number = -1 if all(v is None for v in vector) else len(self._numbers)
        number = self._numbers.setdefault(answers, number)
        self.vectors.setdefault(number, answers)
        if not per_user:
            self._shared[id(policy)] = number
        return number, per_user
