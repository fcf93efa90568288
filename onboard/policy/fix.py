"""Patch an MFA policy so git works, then prove the patch with the engine.

The default patch is the seed article's: `codecommit:*` joins the deny's
NotAction, and `"Null": {"kms:ViaService": true}` joins its Condition.
`least_privilege` exempts only `codecommit:GitPull` and `codecommit:GitPush`.
A plain `Bool` on `aws:MultiFactorAuthPresent` becomes `BoolIfExists` (or MFA
is not enforced for access keys). No patch is returned that fails its own check.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from onboard.errors import OnboardError
from onboard.policy.document import Policy, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.git import check_git
from onboard.policy.report import PolicyReport
from onboard.policy.target import GitTarget

MFA_KEY = "aws:multifactorauthpresent"
GIT_ONLY = ("codecommit:GitPull", "codecommit:GitPush")
ALL_CODECOMMIT = "codecommit:*"


class PolicyFixError(OnboardError):
    """The automatic patch would not pass the engine's own check.

    Its exit code is the check's: 1 when git would still be denied, 2 when MFA
    would not be enforced (as `onboard policy check` says of the patch).
    """

    exit_code = 2

    def __init__(self, what: str, why: str = "", next_step: str = "", *, code: int = 2) -> None:
        super().__init__(what, why, next_step)
        self.exit_code = code


@dataclass(frozen=True)
class FixResult:
    """The patched document, a unified diff, what changed, and the check of the patch."""

    patched: dict[str, Any]
    diff: str
    report: PolicyReport
    changes: tuple[str, ...]


def fix_policy(
    policy: Policy, *, least_privilege: bool = False, target: GitTarget | None = None
) -> FixResult:
    """Patch `policy` (an MFA policy) so git works without MFA while MFA stays enforced."""
    target = target or GitTarget()
    patched: dict[str, Any] = copy.deepcopy(dict(policy.document))
    raw = patched["Statement"]
    statements = [raw] if isinstance(raw, dict) else raw
    mfa_denies = [
        (index, statement)
        for index, statement in enumerate(statements)
        if statement.get("Effect") == "Deny" and _mentions_mfa(statement.get("Condition"))
    ]
    if not mfa_denies:
        raise PolicyError(
            f"{policy.name}: no Deny statement has a condition on aws:MultiFactorAuthPresent",
            "there is no MFA enforcement here to adjust for git",
            "pass the policy that enforces MFA (a Deny with NotAction and BoolIfExists)",
        )
    changes: list[str] = []
    for index, statement in mfa_denies:
        where = f"Statement[{index}]" + (f" ({statement['Sid']})" if statement.get("Sid") else "")
        changes.extend(f"{where}: {c}" for c in _exempt_git(statement, least_privilege, where))
        changes.extend(f"{where}: {c}" for c in _exempt_kms_via_service(statement))
        changes.extend(f"{where}: {c}" for c in _bool_if_exists(statement))
    patched_policy = parse_policy(patched, policy.name, kind=policy.kind)
    report = check_git([patched_policy], target)
    if report.exit_code != 0:
        problems = [v.message for v in report.methods if v.status == "denied"]
        problems += [c.message for c in report.mfa if not c.enforced]
        raise PolicyFixError(
            f"{policy.name}: the automatic patch does not pass its own check",
            "; ".join(problems[:3]),
            "patch the policy by hand; `onboard policy check` shows what decides each request",
            code=report.exit_code,
        )
    return FixResult(patched, _diff(policy, patched), report, tuple(changes))


def _mentions_mfa(condition: object) -> bool:
    if not isinstance(condition, Mapping):
        return False
    return any(
        isinstance(keys, Mapping) and any(str(key).lower() == MFA_KEY for key in keys)
        for keys in condition.values()
    )


def _as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _exempt_git(statement: dict[str, Any], least_privilege: bool, where: str) -> list[str]:
    wanted = list(GIT_ONLY) if least_privilege else [ALL_CODECOMMIT]
    if "NotAction" in statement:
        current = _as_list(statement["NotAction"])
        changes: list[str] = []
        if least_privilege and ALL_CODECOMMIT in current:
            current = [action for action in current if action != ALL_CODECOMMIT]
            changes.append(f"removed {ALL_CODECOMMIT} from NotAction")
        lowered = {str(action).lower() for action in current}
        added = [action for action in wanted if action.lower() not in lowered]
        if not least_privilege and ALL_CODECOMMIT.lower() not in lowered:
            # codecommit:* covers any narrower entries already listed.
            added = [ALL_CODECOMMIT]
        if added:
            current.extend(added)
            changes.append(f"added {', '.join(added)} to NotAction")
        statement["NotAction"] = current
        return changes
    actions = _as_list(statement.get("Action"))
    if actions == ["*"]:
        # Deny "*" and Deny NotAction [...] differ only in the exempted actions.
        del statement["Action"]
        statement["NotAction"] = wanted
        return [f'replaced Action "*" with NotAction {wanted}']
    raise PolicyError(
        f"{where}: the MFA deny lists its actions in Action, not NotAction",
        "an Action list cannot exempt git's actions automatically",
        "remove codecommit:GitPull and codecommit:GitPush from that list by hand",
    )


def _exempt_kms_via_service(statement: dict[str, Any]) -> list[str]:
    condition = statement.setdefault("Condition", {})
    null = condition.setdefault("Null", {})
    if any(str(key).lower() == "kms:viaservice" for key in null):
        return []
    null["kms:ViaService"] = True  # the seed article writes a JSON boolean
    return ['added "Null": {"kms:ViaService": true} to Condition']


def _bool_if_exists(statement: dict[str, Any]) -> list[str]:
    condition = statement["Condition"]
    plain = next((name for name in condition if name == "Bool"), None)
    if plain is None:
        return []
    keys = condition[plain]
    mfa_keys = {key: value for key, value in keys.items() if key.lower() == MFA_KEY}
    if not mfa_keys or _as_list(next(iter(mfa_keys.values()))) not in (["false"], [False]):
        return []
    for key in mfa_keys:
        del keys[key]
    if not keys:
        del condition[plain]
    condition.setdefault("BoolIfExists", {}).update(mfa_keys)
    return [
        "changed Bool to BoolIfExists for aws:MultiFactorAuthPresent (access keys carry no key)"
    ]


def _diff(policy: Policy, patched: Mapping[str, Any]) -> str:
    before = json.dumps(policy.document, indent=2).splitlines(keepends=True)
    after = json.dumps(patched, indent=2).splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(before, after, fromfile=policy.name, tofile=f"{policy.name} (patched)")
    )
