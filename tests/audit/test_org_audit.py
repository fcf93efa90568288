"""End to end on the `org` scenario: the audit finds exactly the seeded breakages, per account."""

from __future__ import annotations

import csv
import io
import json

from onboard.audit import report
from onboard.audit.model import ALLOWED, DENIED, MFA_ONLY
from onboard.audit.report import AuditRun
from onboard.audit.run import AuditOptions, run_audit
from onboard.sandbox.account import Sandbox
from onboard.sandbox.seed import ACCOUNT_ID
from onboard.sandbox.seed_org import (
    ENGINEERING,
    ENGINEERING_BREAKS,
    ENGINEERING_COHORTS,
    ENGINEERING_USERS,
    EXPERIMENTS,
    EXPERIMENTS_USERS,
)


def _cohort(group: str, device: str, key_active: bool = True) -> set[str]:
    return {
        name
        for cohort in ENGINEERING_COHORTS
        if cohort.group == group and cohort.device == device and cohort.key_active == key_active
        for name in cohort.names()
    }


def _findings(run: AuditRun, account: str) -> dict[str, list[set[str]]]:
    found: dict[str, list[set[str]]] = {}
    for finding in run.findings:
        if finding.account == account:
            found.setdefault(finding.id, []).append(set(finding.users))
    return found


def test_every_account_is_audited_with_its_scp_levels(org_run: AuditRun) -> None:
    accounts = {a.account: a for a in org_run.accounts}
    assert set(accounts) == {ACCOUNT_ID, ENGINEERING, EXPERIMENTS}
    assert all(a.error is None for a in accounts.values())
    assert accounts[ACCOUNT_ID].scp_levels == ()  # SCPs never apply to the management account
    # root, OU, account: three levels, FullAWSAccess at each.
    for member in (ENGINEERING, EXPERIMENTS):
        levels = accounts[member].scp_levels
        assert len(levels) == 3
        assert all(any("FullAWSAccess" in scp.name for scp in level) for level in levels)
    assert any("RegionGuard" in scp.name for scp in accounts[ENGINEERING].scp_levels[2])
    assert any("DenyCodeCommit" in scp.name for scp in accounts[EXPERIMENTS].scp_levels[1])
    counts = {a: sum(1 for u in org_run.users if u.account == a) for a in accounts}
    assert counts == {ACCOUNT_ID: 2, ENGINEERING: ENGINEERING_USERS, EXPERIMENTS: EXPERIMENTS_USERS}


def test_engineering_findings_are_exactly_the_seeded_cohorts(org_run: AuditRun) -> None:
    found = _findings(org_run, ENGINEERING)
    legacy = _cohort("legacy", "assigned") | _cohort("legacy", "none")
    auditors = _cohort("auditors", "assigned")
    denied = sorted(found["git-denied"], key=len, reverse=True)
    assert denied == [legacy, auditors]
    assert len(legacy) == ENGINEERING_BREAKS["git-denied:legacy"]
    assert len(auditors) == ENGINEERING_BREAKS["git-denied:not-granted"]
    assert found["git-needs-missing-mfa-device"] == [_cohort("legacy", "none")]
    assert found["stale-mfa-device"] == [_cohort("developers", "stale")]
    assert found["no-mfa-device"] == [_cohort("developers", "none") | _cohort("legacy", "none")]
    assert found["no-active-access-key"] == [_cohort("developers", "assigned", key_active=False)]
    assert found["git-without-mfa-enforced"] == [_cohort("contractors", "assigned")]
    assert set(found) == {
        "git-denied",
        "git-needs-missing-mfa-device",
        "stale-mfa-device",
        "no-mfa-device",
        "no-active-access-key",
        "git-without-mfa-enforced",
    }
    for key, count in ENGINEERING_BREAKS.items():
        ident = key.split(":")[0]
        assert count in [len(users) for users in found[ident]], key


def test_verdicts_name_the_deciding_statements(org_run: AuditRun) -> None:
    users = {(u.account, u.user): u for u in org_run.users}
    legacy = users[(ENGINEERING, "dev-1701")]
    assert legacy.git == {
        "https-helper": MFA_ONLY,
        "https-git-credentials": DENIED,
        "ssh": DENIED,
        "grc": MFA_ONLY,
    }
    assert legacy.deciding["ssh"] == (
        f"arn:aws:iam::{ENGINEERING}:policy/ForceMFALegacy Statement[3] "
        "(DenyAllExceptListedIfNoMFA)"
    )
    assert not legacy.blocked  # an MFA session works: the device is assigned
    assert users[(ENGINEERING, "dev-1801")].blocked  # same policy, no device
    healthy = users[(ENGINEERING, "dev-0001")]
    assert set(healthy.git.values()) == {ALLOWED} and healthy.mfa_enforced
    assert healthy.mfa_device == "assigned"
    assert "CodeCommitDeveloper" in healthy.deciding["ssh"]
    experiments = users[(EXPERIMENTS, "dev-0001")]
    assert set(experiments.git.values()) == {DENIED} and experiments.blocked
    assert "DenyCodeCommit" in experiments.deciding["https-helper"]
    assert "NoCodeCommit" in experiments.deciding["https-helper"]
    contractor = users[(ENGINEERING, "dev-1881")]
    assert not contractor.mfa_enforced
    assert "iam:CreateAccessKey" in contractor.mfa_not_enforced_for


def test_management_and_experiments_findings(org_run: AuditRun) -> None:
    management = _findings(org_run, ACCOUNT_ID)
    assert management == {
        "git-without-mfa-enforced": [{"helpdesk"}],
        "no-mfa-device": [{"new-hire"}],
    }
    experiments = _findings(org_run, EXPERIMENTS)
    names = {f"dev-{n:04d}" for n in range(1, EXPERIMENTS_USERS + 1)}
    assert experiments == {"git-denied": [names]}
    scp = next(f for f in org_run.findings if f.account == EXPERIMENTS)
    assert "aws organizations update-policy --policy-id p-" in scp.fix


def test_policy_sets_are_judged_once(org_run: AuditRun) -> None:
    # 2,007 users, a handful of distinct policy sets: one evaluation each.
    assert org_run.stats.users == 2 + ENGINEERING_USERS + EXPERIMENTS_USERS
    assert org_run.stats.policy_sets <= 8
    assert org_run.exit_code == 1


def test_json_csv_and_markdown_agree(org_run: AuditRun) -> None:
    data = json.loads(report.render_json(org_run))
    assert data["schema"] == "onboard-audit/1"
    assert data["summary"]["users"] == len(data["users"]) == 2007
    rows = list(csv.DictReader(io.StringIO(report.render_csv(org_run))))
    assert len(rows) == len(data["users"])
    by_user = {(r["account"], r["user"]): r for r in rows}
    for user in data["users"]:
        row = by_user[(user["account"], user["user"])]
        assert {m: row[m] for m in user["git"]} == user["git"]
        assert row["mfa_device"] == user["mfa_device"]
        assert row["blocked"] == str(user["blocked"]).lower()
        assert row["mfa_enforced"] == str(user["mfa_enforced"]).lower()
    for finding in data["findings"]:
        named = {
            (r["account"], r["user"]) for r in rows if finding["id"] in r["findings"].split(";")
        }
        assert {(finding["account"], u) for u in finding["users"]} <= named
    markdown = report.render_markdown(org_run)
    for finding in data["findings"]:
        assert f"[{finding['severity']}] {finding['message']}" in markdown
        assert f"account {finding['account']}, users: {finding['count']}" in markdown
    assert f"{data['summary']['blocked']} cannot use git" in markdown
    assert data["summary"]["blocked"] == sum(1 for r in rows if r["blocked"] == "true")


def test_an_account_that_cannot_be_entered_is_reported(org_sandbox: Sandbox) -> None:
    options = AuditOptions(org=True, role_name="NoSuchRole", max_concurrency=2)
    run = run_audit(options, org_sandbox.settings())
    errors = {a.account: a.error for a in run.accounts}
    assert errors[ACCOUNT_ID] is None  # the management account needs no role
    for member in (ENGINEERING, EXPERIMENTS):
        assert errors[member] is not None and "sts:AssumeRole" in errors[member]
    not_audited = [f for f in run.findings if f.id == "account-not-audited"]
    assert {f.account for f in not_audited} == {ENGINEERING, EXPERIMENTS}
    assert {u.account for u in run.users} == {ACCOUNT_ID}
    assert run.exit_code == 1
    data = json.loads(report.render_json(run))
    assert [a["audited"] for a in data["accounts"]].count(False) == 2
