"""What the Git step writes beside its method list: labels, notes and the policy verdict."""

from __future__ import annotations

from onboard.walkthrough.admin import AdminRequest
from onboard.walkthrough.steps import GitMethod, recommend_method
from onboard.walkthrough.verify import PolicyVerdict, Tools

METHOD_ORDER: tuple[GitMethod, ...] = ("https-helper", "https-git-credentials", "ssh", "grc")

# Said under the list for the chosen method, after its long title: adds, never repeats.
METHOD_NOTES: dict[GitMethod, str] = {
    "https-helper": "git asks the AWS CLI to sign each request; nothing is stored.",
    "https-git-credentials": "IAM makes them and shows them once; git's store keeps them.",
    "ssh": "ssh signs in with that key; git makes no AWS call.",
    "grc": "git signs with an AWS profile named in the URL (the saved MFA session works).",
}

# Radio labels short enough to keep "recommended" visible at 80x24; the long
# title of the chosen method is shown under the list.
SHORT_TITLES: dict[GitMethod, str] = {
    "https-helper": "AWS CLI helper (HTTPS)",
    "https-git-credentials": "Git credentials (HTTPS)",
    "ssh": "SSH key",
    "grc": "git-remote-codecommit",
}


def recommended(verdict: PolicyVerdict, tools: Tools, has_ssh_key: bool) -> GitMethod | None:
    """The method to pre-select: allowed, runnable here, and the user's SSH key if they made one."""
    choice = recommend_method(
        [m for m in METHOD_ORDER if verdict.outcome(m).works is not False],
        aws_cli=tools.aws_cli,
        grc=tools.grc,
    )
    if not has_ssh_key and choice == "ssh":
        choice = "https-helper" if tools.aws_cli else "https-git-credentials"
    if has_ssh_key and verdict.outcome("ssh").works is not False:
        choice = "ssh"  # the user set up a key in step 4: that is their choice
    return choice


def method_label(
    method: GitMethod, verdict: PolicyVerdict, tools: Tools, *, chosen: bool, has_ssh_key: bool
) -> str:
    """`✓ SSH key · recommended`: the verdict's mark, the name, and what stands in the way."""
    mark = {True: "✓", False: "✗", None: "?"}[verdict.outcome(method).works]
    extra = " · recommended" if chosen else ""
    if method == "ssh" and not has_ssh_key:
        extra += " · no key yet"
    if method == "https-helper" and not tools.aws_cli:
        extra += " · no aws CLI"
    if method == "grc" and not tools.grc:
        extra += " · not installed"
    return f"{mark} {SHORT_TITLES[method]}{extra}"


def verdict_lines(
    verdict: PolicyVerdict, caching: tuple[str, ...], admin: AdminRequest | None
) -> list[str]:
    """The verdict panel: denied methods grouped by reason, the allowed ones, the request."""
    denied = [m for m in METHOD_ORDER if verdict.outcome(m).works is False]
    allowed = [m for m in METHOD_ORDER if verdict.outcome(m).works is True]
    if verdict.source == "unknown":
        lines = [verdict.note]
    elif not denied and len(allowed) == len(METHOD_ORDER):
        lines = [f"Policy verdict ({verdict.note}): all four methods are allowed."]
    else:
        lines = [f"Policy verdict ({verdict.note}):"]
        # Methods denied for the same reason share one line (often the same statement).
        reasons: dict[str, list[GitMethod]] = {}
        for m in denied:
            reasons.setdefault(verdict.outcome(m).message, []).append(m)
        for message, methods in reasons.items():
            names = ", ".join(SHORT_TITLES[m] for m in methods)
            lines.append(f"  ✗ {names}: {message}")
        if allowed:
            lines.append(f"  ✓ {', '.join(SHORT_TITLES[m] for m in allowed)}: allowed")
    if admin is not None:
        lines.append(admin.sentence())
    if caching:
        lines.append(
            f"git would ask {', '.join(caching)} before the AWS helper and replay "
            "an expired password (HTTP 403 after ~15 minutes): the AWS CLI helper "
            "method scopes them out for CodeCommit URLs only."
        )
    return lines


def denied_question(method: GitMethod, verdict: PolicyVerdict) -> str:
    """Why configuring a denied method will fail (asked before configuring it)."""
    outcome = verdict.outcome(method)
    return (
        f"Your policy denies {SHORT_TITLES[method]}: {outcome.message}. git would be "
        "refused (HTTP 403 or 'access denied') until the administrator changes the "
        "policy. Configure it anyway?"
    )
