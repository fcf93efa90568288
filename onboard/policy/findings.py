"""Findings about an MFA policy that matter for git, each decided by the engine itself.

No finding reads the JSON text: each asks the engine a question (is
`codecommit:DeleteRepository` denied without MFA? is a device not named after
the user creatable?), so any policy that behaves the same gets the same findings.
"""

from __future__ import annotations

from collections.abc import Sequence

from onboard.policy.document import Policy
from onboard.policy.evaluate import Decision, MatchedStatement, ScpLevels, scp_levels
from onboard.policy.report import Finding, MethodVerdict, MfaCheck
from onboard.policy.target import GitTarget, Limits, evaluate_without_mfa, needs_mfa

LONG_TERM_METHODS = ("https-helper", "https-git-credentials", "ssh")

# Keys AWS documents as multivalued (ArrayOf...): a single-valued operator on them
# never matches a request (IAM Access Analyzer warns about the same).
MULTIVALUED_KEYS = frozenset(
    {
        "aws:tagkeys",
        "aws:calledvia",
        "aws:principalorgpaths",
        "aws:principalservicenameslist",
        "aws:resourceorgpaths",
        "aws:sourceorgpaths",
        "kms:encryptioncontextkeys",
        "sts:transitivetagkeys",
    }
)


def collect_findings(
    policies: Sequence[Policy],
    target: GitTarget,
    methods: Sequence[MethodVerdict],
    mfa: Sequence[MfaCheck],
    boundaries: Sequence[Policy] = (),
    scps: ScpLevels = (),
) -> tuple[Finding, ...]:
    """All findings for these policies, errors first."""
    findings: list[Finding] = []
    findings.extend(_git_denials(methods))
    findings.extend(_enforcement(mfa))
    mfa_policy = any(check.decision is Decision.EXPLICIT_DENY for check in mfa)
    limits = Limits(boundaries, scps)
    if mfa_policy:
        findings.extend(_exemptions(policies, target, limits))
    findings.extend(_enrollment(policies, target, limits))
    every_scp = [policy for level in scp_levels(scps) for policy in level]
    findings.extend(_set_operator_needed([*policies, *boundaries, *every_scp]))
    order = {"error": 0, "warning": 1, "info": 2}
    return tuple(sorted(findings, key=lambda finding: order[finding.severity]))


def _deny_label(statements: Sequence[MatchedStatement]) -> str:
    denies = [m for m in statements if m.effect == "Deny"]
    return denies[0].label() if denies else "the MFA deny statement"


def _git_denials(methods: Sequence[MethodVerdict]) -> list[Finding]:
    findings: list[Finding] = []
    denied_requests = [
        (verdict, request)
        for verdict in methods
        if verdict.method in LONG_TERM_METHODS
        for request in verdict.requests
        if request.decision is Decision.EXPLICIT_DENY
    ]
    codecommit = [(v, r) for v, r in denied_requests if r.action.startswith("codecommit:")]
    if codecommit:
        label = _deny_label(codecommit[0][0].deciding)
        findings.append(
            Finding(
                "codecommit-not-exempt",
                "error",
                f"git's own calls (codecommit:GitPull/GitPush) are denied without MFA by {label}: "
                "SSH, Git credentials and the credential helper with access keys carry no MFA",
                f'add "codecommit:GitPull" and "codecommit:GitPush" to the NotAction of {label} '
                '(the seed article adds "codecommit:*"); `onboard policy fix` writes it',
            )
        )
    kms = [(v, r) for v, r in denied_requests if r.action.startswith("kms:")]
    if kms:
        label = _deny_label(kms[0][0].deciding)
        findings.append(
            Finding(
                "kms-via-service-not-exempt",
                "error",
                f"KMS calls CodeCommit makes for the user (kms:ViaService=codecommit.*) are denied "
                f"without MFA by {label}: git fails with a bare 403",
                f'add "Null": {{"kms:ViaService": "true"}} to the Condition of {label}, '
                "so the deny only hits KMS calls made directly; `onboard policy fix` writes it",
            )
        )
    return findings


def _enforcement(mfa: Sequence[MfaCheck]) -> list[Finding]:
    if not mfa:
        return []
    if not any(check.enforced for check in mfa):
        return [
            Finding(
                "no-mfa-deny",
                "error",
                "nothing here denies requests made without MFA: MFA is not enforced",
                "attach the MFA policy (a Deny with NotAction and "
                'BoolIfExists {"aws:MultiFactorAuthPresent": "false"})',
            )
        ]
    by_action: dict[str, dict[str, bool]] = {}
    for check in mfa:
        by_action.setdefault(check.action, {})[check.variant] = check.enforced
    absent_gap = [a for a, v in by_action.items() if v.get("key-false") and not v.get("key-absent")]
    findings: list[Finding] = []
    if absent_gap:
        findings.append(
            Finding(
                "mfa-key-absent-not-denied",
                "error",
                f"{', '.join(absent_gap)} are denied when aws:MultiFactorAuthPresent is false but "
                "not when it is absent, as with long-term access keys (a plain Bool condition)",
                "use BoolIfExists instead of Bool for aws:MultiFactorAuthPresent",
            )
        )
    other = [a for a, v in by_action.items() if a not in absent_gap and not all(v.values())]
    if other:
        findings.append(
            Finding(
                "mfa-not-enforced",
                "error",
                f"{', '.join(other)} can be called without MFA",
                "make sure the MFA deny statement covers these actions (NotAction lists only "
                "what must work before MFA)",
            )
        )
    return findings


def _explicitly_denied_without_mfa(
    policies: Sequence[Policy],
    target: GitTarget,
    action: str,
    resource: str,
    limits: Limits,
) -> bool:
    results = evaluate_without_mfa(policies, target, action, resource, limits)
    return any(result.decision is Decision.EXPLICIT_DENY for result in results)


def _exemptions(policies: Sequence[Policy], target: GitTarget, limits: Limits) -> list[Finding]:
    findings: list[Finding] = []
    git_exempt = not _explicitly_denied_without_mfa(
        policies, target, "codecommit:GitPull", target.repo_arn, limits
    )
    destructive_exempt = not _explicitly_denied_without_mfa(
        policies, target, "codecommit:DeleteRepository", target.repo_arn, limits
    )
    if git_exempt and destructive_exempt:
        findings.append(
            Finding(
                "codecommit-all-exempt",
                "warning",
                "all of CodeCommit is exempt from MFA (codecommit:*): a leaked access key can "
                "also delete repositories (codecommit:DeleteRepository) without MFA; git needs "
                "only codecommit:GitPull and codecommit:GitPush",
                "exempt only codecommit:GitPull and codecommit:GitPush "
                "(`onboard policy fix --least-privilege`)",
            )
        )
    if _explicitly_denied_without_mfa(
        policies, target, "iam:DeleteVirtualMFADevice", target.mfa_device_arn, limits
    ):
        findings.append(
            Finding(
                "delete-virtual-mfa-needs-mfa",
                "warning",
                "iam:DeleteVirtualMFADevice needs MFA: a half-finished enrollment leaves a device "
                "the user cannot delete (only an admin can), and its name stays taken",
                "exempt iam:DeleteVirtualMFADevice on arn:aws:iam::*:mfa/${aws:username} from the "
                "deny, or have an admin delete abandoned devices",
            )
        )
    return findings


def _enrollment(policies: Sequence[Policy], target: GitTarget, limits: Limits) -> list[Finding]:
    findings: list[Finding] = []
    own = evaluate_without_mfa(
        policies, target, "iam:CreateVirtualMFADevice", target.mfa_device_arn, limits
    )
    other_name = f"arn:aws:iam::{target.account}:mfa/{target.user}-phone"
    other = evaluate_without_mfa(policies, target, "iam:CreateVirtualMFADevice", other_name, limits)
    if own[0].allowed and not other[0].allowed:
        findings.append(
            Finding(
                "mfa-device-pinned-to-username",
                "info",
                "the virtual MFA device can only be created as mfa/${aws:username}: it must be "
                f"named exactly after the IAM user ({target.user!r})",
                "name the device after the user (the walkthrough does); the current AWS example "
                "policy allows mfa/* instead",
            )
        )
    for action, what, finding_id in (
        ("iam:UploadSSHPublicKey", "uploading an SSH public key", "ssh-key-upload-needs-mfa"),
        (
            "iam:CreateServiceSpecificCredential",
            "creating HTTPS Git credentials",
            "git-credentials-need-mfa",
        ),
    ):
        if needs_mfa(policies, target, action, target.user_arn, limits):
            findings.append(
                Finding(
                    finding_id,
                    "info",
                    f"{what} ({action}) needs an MFA session",
                    "enroll MFA first, get a session token with MFA, then call it "
                    "(the walkthrough does this in that order)",
                )
            )
    return findings


def _set_operator_needed(policies: Sequence[Policy]) -> list[Finding]:
    """A single-valued operator on a known multivalued key: a condition that never holds.

    The one finding read from the compiled statements rather than asked of the
    engine: which keys a request carries as lists is AWS's documentation, not
    something a request can show.
    """
    places = [
        f"{policy.name} {statement.label}: {condition.operator.name} {condition.key_name}"
        for policy in policies
        for statement in policy.statements
        for condition in statement.conditions
        if condition.key in MULTIVALUED_KEYS
        and condition.operator.qualifier is None
        and condition.operator.base != "Null"
    ]
    if not places:
        return []
    return [
        Finding(
            "multivalued-key-single-operator",
            "warning",
            "a single-valued operator tests a multivalued key, so the condition never holds "
            "when the request carries the key (an Allow never applies, a Deny never denies): "
            + "; ".join(places),
            "prefix the operator with ForAnyValue: (any value matches) or ForAllValues: "
            "(every value matches)",
        )
    ]
