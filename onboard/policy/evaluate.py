"""The decision AWS makes for one request, and the statements that made it.

Logic from AWS's "Policy evaluation logic" for a principal in the same
account as the resource:
1. an explicit Deny in any policy (SCP, resource, identity, boundary) wins;
2. SCPs come in levels of the organization (root first, then each OU, then
   the account): at every level at least one attached SCP must allow, else
   implicitly denied (a flat list of SCPs is one SCP per level);
3. a resource policy that allows the caller's own ARN (IAM user, role
   session) is enough on its own (an implicit deny in an identity policy or a
   boundary does not limit it);
4. otherwise an identity policy must allow, or a resource policy that names
   the session's role ARN, and every boundary given must allow too (a
   resource policy naming only the account delegates to identity policies);
5. anything else is implicitly denied; with no identity policy at all (and no
   resource policy that allows), that is the reason given.
A Deny in a resource policy applies when it names the caller in any of these
ways (its own ARN, its role, its account).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from onboard.policy.document import Policy, Principal, Statement
from onboard.policy.errors import PolicyError
from onboard.policy.match import ContextValue
from onboard.policy.request import Request, principal_keys
from onboard.policy.result import Decision, Evaluation, MatchedStatement

__all__ = [
    "Decision",
    "Evaluation",
    "MatchedStatement",
    "Request",
    "ScpLevels",
    "evaluate",
    "principal_keys",
    "scp_levels",
    "statement_reason",
]

KIND_LABELS = {
    "identity": "identity-based",
    "boundary": "permissions boundary",
    "scp": "service control",
    "resource": "resource-based",
}


# (policy, statement) pairs collected while scanning one kind of policy.
_Hits = list[tuple[Policy, Statement]]
_CACHE_LIMIT = 2048  # explanations remembered per policy


class _Scan:
    """Statements that allow, deny, or matched action+resource but not their condition."""

    __slots__ = ("allows", "denies", "near")

    def __init__(self) -> None:
        self.allows: _Hits = []
        self.denies: _Hits = []
        self.near: _Hits = []


_EMPTY = _Scan()
# How a resource policy's Principal may name the caller.
_DIRECT, _ROLE, _ACCOUNT = 0, 1, 2


ScpLevels = Sequence[Policy | Sequence[Policy]]
"""SCPs by organization level, root first: `[[root_a, root_b], ou_scp, account_scp]`."""


def scp_levels(scps: ScpLevels) -> tuple[tuple[Policy, ...], ...]:
    """Normalise `scps`: a Policy is a level of its own, a list is the SCPs of one level."""
    levels: list[tuple[Policy, ...]] = []
    for number, level in enumerate(scps, 1):
        attached = (level,) if isinstance(level, Policy) else tuple(level)
        if not attached:
            raise PolicyError(
                f"SCP level {number} is empty: every level of an organization has at least "
                "one SCP attached (FullAWSAccess by default)"
            )
        for policy in attached:
            if not isinstance(policy, Policy):
                raise PolicyError(f"SCP level {number}: {policy!r} is not a parsed policy")
        levels.append(attached)
    return tuple(levels)


def evaluate(
    request: Request,
    identity_policies: Sequence[Policy],
    *,
    boundaries: Sequence[Policy] = (),
    scps: ScpLevels = (),
    resource_policy: Policy | None = None,
) -> Evaluation:
    """Decide `request` the way AWS does; see the module docstring for the order.

    `scps` lists the organization's levels, root first; each item is one SCP
    (a level with one SCP) or a list of the SCPs attached at that level, of
    which at least one must allow.
    """
    ctx = request.normalized_context
    action = request.action.lower()
    resource = request.resource
    missing: list[str] = []
    identity = _scan(identity_policies, action, resource, ctx, None, missing)
    if not boundaries and not scps and resource_policy is None and identity_policies:
        return _identity_only(request, identity, ctx, missing)
    levels = scp_levels(scps) if scps else ()
    boundary_scans = [_scan((p,), action, resource, ctx, None, missing) for p in boundaries]
    scp_scans = [_scan(level, action, resource, ctx, None, missing) for level in levels]
    direct = via_role = via_account = _EMPTY
    if resource_policy is not None:
        policies = (resource_policy,)
        principal = request.principal
        direct = _scan(policies, action, resource, ctx, (principal, _DIRECT), missing)
        if principal and ":assumed-role/" in principal:
            via_role = _scan(policies, action, resource, ctx, (principal, _ROLE), [])
        via_account = _scan(policies, action, resource, ctx, (principal, _ACCOUNT), [])
    missing_keys = tuple(dict.fromkeys(missing)) if missing else ()

    denies = identity.denies
    if boundary_scans or scp_scans or resource_policy is not None:
        scans = [identity, *boundary_scans, *scp_scans, direct, via_role, via_account]
        denies = [hit for scan in scans for hit in scan.denies]
    if denies:
        matched = _matched(_unique(denies), ctx, applied=True)
        deny_level = next(
            (n for n, attached in enumerate(levels, 1) if any(p is denies[0][0] for p in attached)),
            0,
        )

        def explain(resource: str = request.resource, action: str = request.action) -> str:
            text = _denied_text(action, resource, matched)
            if deny_level and len(levels) > 1:  # name the organization level that denied
                root = " (root)" if deny_level == 1 else ""
                text += f" (SCP level {deny_level} of {len(levels)}{root})"
            return text

        return Evaluation._fast(Decision.EXPLICIT_DENY, matched, missing_keys, explain)

    for number, (level, scan) in enumerate(zip(levels, scp_scans, strict=True), 1):
        if not scan.allows:
            return _implicit(
                request, _scp_where(level, number, len(levels)), scan.near, ctx, missing_keys
            )

    if direct.allows:
        matched = _matched(direct.allows, ctx, applied=True)

        def allowed_directly(_resource: str = "", _action: str = "") -> str:
            return f"Allowed: {matched[0].label()} allows this principal directly"

        return Evaluation._fast(Decision.ALLOWED, matched, missing_keys, allowed_directly)

    grants = identity
    if via_role.allows:  # a grant to the session's role: limited by boundaries like identity
        grants = _Scan()
        grants.allows, grants.near = identity.allows + via_role.allows, identity.near
    if not grants.allows:
        near = identity.near + via_role.near + via_account.near + via_account.allows
        if not identity_policies:
            return _no_identity_policy(request, near, ctx, missing_keys)
        return _implicit(request, "identity-based policy", near, ctx, missing_keys)
    for policy, scan in zip(boundaries, boundary_scans, strict=True):
        if not scan.allows:
            where = f"permissions boundary policy {policy.name!r}"
            return _implicit(request, where, scan.near, ctx, missing_keys)

    return _allowed(grants, ctx, missing_keys)


def _allowed(
    identity: _Scan, ctx: Mapping[str, ContextValue], missing_keys: tuple[str, ...]
) -> Evaluation:
    """Allowed by identity policies; also says which Deny statements did not apply, and why."""
    matched = _matched(identity.allows, ctx, applied=True)

    def explain(_resource: str = "", _action: str = "") -> str:
        text = f"Allowed: allowed by {matched[0].label()}"
        if len(matched) > 1:
            text += f" (and {len(matched) - 1} more)"
        spared = [(policy, st) for policy, st in identity.near if st.effect == "Deny"]
        if spared:
            notes = _matched(spared, ctx, applied=False)
            text += "; not denied by " + "; ".join(f"{m.label()}: {m.reason}" for m in notes)
        return text

    return Evaluation._fast(Decision.ALLOWED, matched, missing_keys, explain)


def _identity_only(
    request: Request, identity: _Scan, ctx: Mapping[str, ContextValue], missing: list[str]
) -> Evaluation:
    """The common case (identity policies alone), without the general case's bookkeeping."""
    missing_keys = tuple(dict.fromkeys(missing)) if missing else ()
    if identity.denies:
        matched = _matched(_unique(identity.denies), ctx, applied=True)

        def explain(resource: str = request.resource, action: str = request.action) -> str:
            return _denied_text(action, resource, matched)

        return Evaluation._fast(Decision.EXPLICIT_DENY, matched, missing_keys, explain)
    if not identity.allows:
        return _implicit(request, "identity-based policy", identity.near, ctx, missing_keys)
    return _allowed(identity, ctx, missing_keys)


def _scan(
    policies: Sequence[Policy],
    action: str,
    resource: str,
    ctx: Mapping[str, ContextValue],
    principal: tuple[str | None, int] | None,
    missing: list[str],
) -> _Scan:
    """Classify the statements of `policies` that cover `action` (the hot loop)."""
    scan = _Scan()
    allows, denies, near = scan.allows, scan.denies, scan.near
    for policy in policies:
        candidates = policy._by_action.get(action)  # the cache, read without a call
        if candidates is None:
            candidates = policy.statements_for(action)
        for st in candidates:
            if principal is not None and not _principal_applies(st, *principal):
                continue
            for key, name in st.needed_keys:
                if key not in ctx:
                    missing.append(name)
            resources = st.resources
            if resources is not None:
                if resources.matches_all:
                    if st.not_resource:
                        continue  # NotResource "*" excludes everything
                elif resources.matches(resource, ctx) == st.not_resource:
                    continue
            for check in st.checks:
                if not check(ctx):
                    near.append((policy, st))
                    break
            else:
                (allows if st.effect == "Allow" else denies).append((policy, st))
    return scan


def _principal_applies(st: Statement, principal_arn: str | None, how: int) -> bool:
    """Does a resource-policy statement name this principal (directly, by role, by account)?"""
    named = st.principal or Principal(anyone=False, aws=(), other=())
    if how == _DIRECT:
        hit = named.anyone or (principal_arn is not None and principal_arn in named.aws)
    elif how == _ROLE:  # an assumed-role session, named by its role's ARN
        role = principal_keys(principal_arn).get("aws:principalarn") if principal_arn else None
        hit = role is not None and role in named.aws
    else:
        parts = principal_arn.split(":") if principal_arn else []
        account = parts[4] if len(parts) >= 6 else None
        hit = account is not None and (
            account in named.aws or f"arn:{parts[1]}:iam::{account}:root" in named.aws
        )
    # NotPrincipal applies to everyone it does not name.
    return not hit if st.not_principal else hit


def _implicit(
    request: Request,
    where: str,
    near: _Hits,
    ctx: Mapping[str, ContextValue],
    missing: tuple[str, ...],
) -> Evaluation:
    """Implicitly denied: no `where` (e.g. "identity-based policy") allows the request."""
    matched = _matched(_unique(near), ctx, applied=False)

    def explain(resource: str = request.resource, action: str = request.action) -> str:
        text = f"ImplicitlyDenied: no {where} allows {action} on {resource}"
        if matched:
            text += "; did not apply: " + "; ".join(f"{m.label()}: {m.reason}" for m in matched)
        return text

    return Evaluation._fast(Decision.IMPLICIT_DENY, matched, missing, explain)


def _scp_where(level: tuple[Policy, ...], number: int, count: int) -> str:
    """Which SCP level failed: `service control policy 'ou' (SCP level 2 of 3)`."""
    place = f"SCP level {number} of {count}" + (" (root)" if number == 1 else "")
    if len(level) == 1:
        where = f"service control policy {level[0].name!r}"
        return where if count == 1 else f"{where} ({place})"
    names = ", ".join(repr(policy.name) for policy in level)
    return f"service control policy at {place} (attached there: {names})"


def _no_identity_policy(
    request: Request, near: _Hits, ctx: Mapping[str, ContextValue], missing: tuple[str, ...]
) -> Evaluation:
    """No identity policy at all: AWS decides it, implicitly denied (not an error)."""
    where = "identity-based policy (none is attached, so nothing grants it)"
    return _implicit(request, where, near, ctx, missing)


def _denied_text(action: str, resource: str, matched: tuple[MatchedStatement, ...]) -> str:
    first = matched[0]
    return (
        f"ExplicitlyDenied: {action} on {resource} is denied by "
        f"{first.label()} in a(n) {KIND_LABELS[first.policy_kind]} policy: {first.reason}"
    )


def _unique(hits: _Hits) -> _Hits:
    """Drop repeats (a resource statement can hit twice), keeping order; by identity, for speed.

    Keyed by policy and statement: two policies with the same document share their
    compiled statements (the policy cache), and each still counts.
    """
    if len(hits) < 2:
        return hits
    seen: set[tuple[int, int]] = set()
    out: _Hits = []
    for hit in hits:
        key = (id(hit[0]), id(hit[1]))
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


def _matched(
    hits: _Hits, ctx: Mapping[str, ContextValue], *, applied: bool
) -> tuple[MatchedStatement, ...]:
    return tuple(_matched_one(policy, st, ctx, applied) for policy, st in hits)


def _matched_one(
    policy: Policy, st: Statement, ctx: Mapping[str, ContextValue], applied: bool
) -> MatchedStatement:
    """The explanation of one statement, cached by the context values it depends on."""
    key = (st.index, applied, tuple(map(ctx.get, st.reason_keys)))
    cache = policy.explanations
    found = cache.get(key)
    if isinstance(found, MatchedStatement):
        return found
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    reason = statement_reason(st, ctx, applied)
    made = MatchedStatement(policy.name, policy.kind, st.index, st.sid, st.effect, reason)
    cache[key] = made
    return made


def statement_reason(st: Statement, ctx: Mapping[str, ContextValue], applied: bool) -> str:
    """Why a statement applied (or not): action, resource, then each condition's verdict."""
    pieces = ["action not in NotAction" if st.not_action else "action matches Action"]
    if st.resources is not None:
        pieces.append("resource not in NotResource" if st.not_resource else "resource matches")
    if not st.conditions:
        pieces.append("no condition")
    elif applied:
        pieces.extend(condition.explain(ctx) for condition in st.conditions)
    else:
        pieces.extend(c.explain(ctx) for c in st.conditions if not c.holds(ctx))
    return "; ".join(pieces)
