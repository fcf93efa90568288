"""The saved MFA session and the shared AWS files, judged on their own.

`credentials.mfa_session`: the `<profile>-mfa` session the walkthrough saves is
a second identity; expired and used by git's helper or a `codecommit://`
remote, it fails. `credentials.files`: the shared files parse (botocore stops
at the first bad line), naming the file and line.
"""

from __future__ import annotations

from datetime import UTC, datetime

from onboard.aws.files import SESSION_SUFFIX
from onboard.doctor import chain as chains
from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.credential_checks import git_chain
from onboard.doctor.findings import Finding, Fix, ok, skipped


def check_mfa_session(ctx: DoctorContext) -> Finding:
    """The saved `<profile>-mfa` session: judged on its own, a failure where git uses it."""
    from onboard.aws.files import read_session_profile

    chain = git_chain(ctx)
    used = chain.profile if chain.profile and chain.profile.endswith(SESSION_SUFFIX) else None
    base = used.removesuffix(SESSION_SUFFIX) if used else (
        ctx.settings.profile or ctx.env().get("AWS_PROFILE")
    )  # fmt: skip
    saved = read_session_profile(ctx.settings.home, None if base == "default" else base)
    if saved is None:
        if used:
            return skipped("credentials.mfa_session", f"{used} holds no saved session token")
        return skipped("credentials.mfa_session", "no saved MFA session profile")
    expires = saved.expiration
    when = f"{expires:%Y-%m-%d %H:%M} UTC" if expires else "an unknown time"
    users = f"{chain.user} uses it" if used else "git does not use it"
    if saved.expired(datetime.now(UTC)):
        if used:
            return Finding(
                "credentials.mfa_session",
                "fail",
                f"the saved MFA session {saved.profile} expired at {when}, and {users}",
                fix=Fix("Get a new MFA session: run onboard (session step)"),
                causes=("expired-session-token",),
                data={"profile": saved.profile, "used_by_git": True},
            )
        return ok("credentials.mfa_session",
                  f"the saved MFA session {saved.profile} expired at {when} ({users}; the "
                  "doctor reads the account without it)",
                  profile=saved.profile, used_by_git=False)  # fmt: skip
    return Finding(
        "credentials.mfa_session",
        "ok",
        f"saved MFA session {saved.profile} valid until {when} ({users})",
        rules_out=("expired-session-token",) if used else (),
        data={"profile": saved.profile, "used_by_git": bool(used)},
    )


def check_files(ctx: DoctorContext) -> Finding:
    """The shared AWS files parse (botocore stops at the first bad line)."""
    config, credentials = chains.files_for(ctx.settings.home, ctx.env())
    for path in (config, credentials):
        error = chains.parse_error(path)
        if error is not None:
            return Finding(
                "credentials.files",
                "fail",
                f"the AWS CLI and the helper cannot read {error}",
                ("every aws command (and git's helper) fails until it is fixed",),
                Fix(f"Fix that line in {path} (onboard keeps a .onboard-backup beside it)"),
                causes=("aws-config-unparseable",),
                data={"file": str(path)},
            )
    return ok("credentials.files", f"{config} and {credentials} parse")


CHECKS = (
    CheckSpec("credentials.files", check_files),
    CheckSpec("credentials.mfa_session", check_mfa_session),
)
