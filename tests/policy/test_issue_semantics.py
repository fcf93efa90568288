"""AWS semantics the engine gained: multivalued keys, SCP levels, no identity policy, MFA age."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from onboard.policy import Policy, parse_policy
from onboard.policy.git import GitTarget, check_git

TARGET = GitTarget()


def load(policies_dir: Path, name: str) -> Policy:
    return parse_policy((policies_dir / name).read_text(), name)


def test_finding_for_a_single_valued_operator_on_a_multivalued_key(policies_dir: Path) -> None:
    ok = load(policies_dir, "force-mfa-codecommit-ok.json")
    assert "multivalued-key-single-operator" not in check_git([ok], TARGET).finding_ids()
    document: dict[str, Any] = copy.deepcopy(dict(ok.document))
    document["Statement"].append(
        {
            "Sid": "NoSecretTags",
            "Effect": "Deny",
            "Action": "ec2:CreateTags",
            "Resource": "*",
            "Condition": {"StringLike": {"aws:TagKeys": "secret*"}},
        }
    )
    report = check_git([parse_policy(document, "tags.json")], TARGET)
    finding = next(f for f in report.findings if f.id == "multivalued-key-single-operator")
    assert finding.severity == "warning"
    assert "tags.json Statement[4] (NoSecretTags): StringLike aws:TagKeys" in finding.message
    assert "ForAnyValue:" in finding.fix
    document["Statement"][-1]["Condition"] = {"ForAnyValue:StringLike": {"aws:TagKeys": "secret*"}}
    fixed = check_git([parse_policy(document, "tags.json")], TARGET)
    assert "multivalued-key-single-operator" not in fixed.finding_ids()
