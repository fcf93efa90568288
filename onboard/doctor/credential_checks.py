"""Credentials as git's helper sees them: the chain that process resolves, and its identity.

`credentials.identity` judges the credentials the connection git makes
really uses (the AWS CLI helper's `--profile` and environment, a
`codecommit://profile@repo` URL's profile), each failure with its own cause
and the variable or profile at fault. The saved `<profile>-mfa` session the
doctor reads the account with is another identity (`credentials.mfa_session`),
judged on its own where a helper or remote uses it. `credentials.files`
says when a shared file cannot be parsed, naming the file and line.
"""

from __future__ import annotations

from typing import Any

from onboard.aws.credentials import configure_command
from onboard.doctor import chain as chains
from onboard.doctor.chain import Unanswered, bounded, credential_process_keys
from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, ok
from onboard.errors import OnboardError
from onboard.git import config as gitconfig


def git_chain(ctx: DoctorContext) -> chains.Chain:
    """The chain of the connection git makes for the judged target (helper, grc, else the CLI)."""

    def compute() -> chains.Chain:
        env, home = ctx.env(), ctx.settings.home
        target = ctx.primary_target()
        if target is not None and target.method == "grc":
            who = f"git-remote-codecommit ({target.label})"
            return chains.resolve(
                who, env, home, explicit_profile=target.profile, explicit_from=f"in {target.url}"
            )
        if target is None or target.method == "https":
            url = _https_url(ctx)
            helpers = ctx.helpers(url)
            helper = next((h for h in helpers if h.is_aws_helper), None)
            if helper is not None:
                profile, assigned = chains.helper_profile(helper.value)
                where = f"--profile in the helper ({helper.origin_file})"
                return chains.resolve(
                    "git's AWS CLI helper",
                    env,
                    home,
                    explicit_profile=profile,
                    explicit_from=where,
                    assigned=assigned,
                )
        # No helper or remote names the profile: the AWS CLI as the user runs it.
        profile = ctx.settings.profile
        return chains.resolve("the AWS CLI", env, home, explicit_profile=profile,
                              explicit_from="--profile")  # fmt: skip

    return ctx.fact("git chain", compute)


def _https_url(ctx: DoctorContext) -> str:
    target = ctx.primary_target()
    if target is not None and target.method == "https":
        return target.url
    return gitconfig.clone_url(ctx.region, ctx.repo_name or "my-repo", "https-helper")


def _fail(summary: str, cause: str, fix: Fix, *details: str, **data: Any) -> Finding:
    return Finding(
        "credentials.identity", "fail", summary, details, fix, causes=(cause,), data=data
    )


def _chain_settings(ctx: DoctorContext, chain: chains.Chain, keys: dict[str, str] | None) -> Any:
    """Settings whose gateway resolves exactly `chain` (or uses the given keys)."""
    cleared = {
        k: v
        for k, v in chain.env.items()
        if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    }
    if keys is not None:
        return ctx.settings.replace(profile=None, environ={**cleared, **keys})
    if chain.profile is None:
        return ctx.settings.replace(profile=None, environ=chain.env)
    return ctx.settings.replace(profile=chain.profile, environ=cleared)


def check_identity(ctx: DoctorContext) -> Finding:
    """The credentials git's helper (or grc) resolves work, and whose they are."""
    if ctx.helpdesk:
        return _helpdesk_identity(ctx)
    chain = git_chain(ctx)
    data: dict[str, Any] = {"used_by": chain.user, "profile": chain.profile}
    keys: dict[str, str] | None = None
    for path in (chain.config_file, chain.credentials_file):
        error = chains.parse_error(path)
        if error is not None:  # botocore stops here before any credential is looked at
            return _fail(
                f"{chain.user} cannot start: it cannot read {error}",
                "aws-config-unparseable",
                Fix(f"Fix that line in {path}"),
                **data,
            )
    if chain.named and chain.profile is None:
        missing = _missing_named_profile(chain, data)
        if missing is not None:
            return missing
    if chain.profile == "default" and not chains.read_profile(chain, "default").exists:
        return _fail(
            f"{chain.user} finds no AWS credentials: no AWS_ACCESS_KEY_ID, no AWS_PROFILE, "
            "no [default] profile",
            "no-credentials-configured",
            Fix("Configure credentials", configure_command(ctx.env())),
            f"looked in {chain.config_file} and {chain.credentials_file}",
            **data,
        )
    if chain.profile is not None:
        files = chains.read_profile(chain, chain.profile)
        if files.error is not None:
            return _fail(
                f"{chain.user} cannot read the AWS files: {files.error}",
                "aws-config-unparseable",
                Fix("Fix that line (onboard keeps a .onboard-backup beside the files it edits)"),
                **data,
            )
        if not files.exists and chain.profile != "default":
            return _fail(
                f"{chain.user} uses {chain.where}, which does not exist: "
                f'"The config profile ({chain.profile}) could not be found"',
                "aws-profile-not-found",
                Fix(
                    f"Create it or point {chain.profile_from} at a profile that exists",
                    configure_command(ctx.env(), chain.profile),
                ),
                f"looked in {chain.config_file} and {chain.credentials_file}",
                **data,
            )
        command = (files.in_config or {}).get("credential_process")
        if command:
            keys, problem = credential_process_keys(chain, command, ctx.live_timeout)
            if problem is not None:
                return _fail(
                    f"{chain.user}: {problem}",
                    "credential-process-failed",
                    Fix(f"Run it by hand and fix it: {command}"),
                    **data,
                )
    settings = _chain_settings(ctx, chain, keys)

    def whoami() -> Any:
        from onboard.aws.gateway import Gateway

        gateway = Gateway.from_settings(
            settings, max_attempts=2, connect_timeout=3.0, read_timeout=10.0
        )
        return gateway.whoami()

    def shared() -> Any:
        return ctx.fact("whoami", lambda: ctx.gateway().whoami())

    same = keys is None and _same_as_account(ctx, chain)
    try:
        # The same chain as the account reads: one STS call serves both.
        identity = (
            shared()
            if same
            else ctx.fact("chain whoami", lambda: bounded(whoami, ctx.live_timeout))
        )
    except Unanswered as exc:
        return _fail(
            f"{chain.user}'s credentials ({chain.where}) gave {exc}",
            "credential-process-failed",
            Fix("Check the profile's credential_process / SSO / source_profile by hand"),
            **data,
        )
    except OnboardError as exc:
        return _identity_error(ctx, chain, exc, data)
    except ValueError as exc:  # botocore refuses a malformed endpoint before any request
        return _fail(
            f"AWS cannot be called: {exc}",
            "aws-endpoint-invalid",
            Fix("Fix or unset AWS_ENDPOINT_URL", "unset AWS_ENDPOINT_URL"),
            **data,
        )
    data.update(arn=identity.arn, account=identity.account, source=identity.credential_source)
    summary = f"{identity.arn} (account {identity.account}), {chain.user} uses {chain.where}"
    session = ctx.session_profile()
    details = (f"the account is read with MFA session profile {session}",) if session else ()
    if session:
        summary += f"; account read with MFA session profile {session}"
    if identity.user_name is None:
        return Finding(
            "credentials.identity",
            "warn",
            f"{summary}: not an IAM user, so SSH keys and Git credentials do not apply",
            details,
            data=data,
        )
    return Finding(
        "credentials.identity",
        "ok",
        summary,
        details,
        rules_out=("no-credentials-configured", "expired-session-token"),
        data=data,
    )


def _missing_named_profile(chain: chains.Chain, data: dict[str, Any]) -> Finding | None:
    """AWS_PROFILE names a profile that does not exist: the CLI stops, keys or not."""
    name = str(chain.named)
    files = chains.read_profile(chain, name)
    if files.error is not None or files.exists or name == "default":
        return None
    variable = "AWS_PROFILE" if chain.env.get("AWS_PROFILE") else "AWS_DEFAULT_PROFILE"
    return _fail(
        f"{chain.user} runs with {variable}={name}, a profile that does not exist: "
        f'"The config profile ({name}) could not be found"',
        "aws-profile-not-found",
        Fix(f"Unset {variable} or create the profile", f"unset {variable}"),
        f"looked in {chain.config_file} and {chain.credentials_file}",
        **data,
    )


def _same_as_account(ctx: DoctorContext, chain: chains.Chain) -> bool:
    """The chain resolves exactly as the account gateway (no session swapped in)."""
    if ctx.session is not None or ctx.session_profile() is not None or chain.env != ctx.env():
        return False
    env = ctx.env()
    keys = bool(env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"))
    named = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    account = ctx.settings.profile or (None if keys else named)
    return (chain.profile or "default") == (account or "default")


def _helpdesk_identity(ctx: DoctorContext) -> Finding:
    try:
        identity = ctx.fact("whoami", lambda: ctx.gateway().whoami())
    except OnboardError as exc:
        return _fail(
            f"AWS does not accept the helpdesk's credentials: {exc.what}",
            "no-credentials-configured",
            Fix(exc.next_step or "Set ONBOARD_HELPDESK_ACCESS_KEY_ID/SECRET"),
            exc.why,
        )
    data = {"arn": identity.arn, "account": identity.account}
    return ok("credentials.identity", f"{identity.arn} (helpdesk)", **data)


def _identity_error(
    ctx: DoctorContext, chain: chains.Chain, exc: OnboardError, data: dict[str, Any]
) -> Finding:
    code = str(getattr(exc, "code", "") or "")
    name = type(exc).__name__
    cause = getattr(exc, "cause", None)
    if cause is not None:  # the account gateway could not be built (see DoctorContext)
        return _fail(f"{exc.what} ({chain.user}, {chain.where})", str(cause),
                     Fix(exc.next_step or "see the reason"), exc.why, **data)  # fmt: skip
    why = exc.why or exc.what
    who = f"{chain.user} ({chain.where})"
    new_session = Fix("Get a new MFA session: run onboard (session step)")
    if name == "ExpiredCredentials" and "sso" in (exc.what + why).lower():
        return _fail(
            f"the SSO login of {who} has expired",
            "expired-sso-token",
            Fix("Log in again", f"aws sso login --profile {chain.profile or 'PROFILE'}"),
            why,
            **data,
        )
    if name == "ExpiredCredentials":
        return _fail(f"the session token of {who} has expired", "expired-session-token",
                     new_session, why, **data)  # fmt: skip
    if name == "ClockSkew":
        return _fail(f"AWS refuses {who}: the clock is off", "clock-skew",
                     Fix("Turn on automatic time synchronisation (NTP)"), why, **data)  # fmt: skip
    if code == "ProfileNotFound":
        return _fail(f"{who}: the profile does not exist", "aws-profile-not-found",
                     Fix(configure_command(ctx.env(), chain.profile)), why, **data)  # fmt: skip
    if code == "SignatureDoesNotMatch":
        return _fail(
            f"the secret access key of {who} does not match its key ID",
            "access-key-secret-wrong",
            Fix(
                f"Enter the key's secret again ({configure_command(ctx.env(), chain.profile)}), "
                "or create a new key"
            ),
            why,
            **data,
        )
    if code in ("InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId"):
        if _has_token(chain):
            return _fail(
                f"AWS rejects the session token of {who}: invalid (cut short, or from another key)",
                "invalid-session-token",
                Fix("Unset it or get a new session", "unset AWS_SESSION_TOKEN")
                if chain.has_env_token
                else new_session,
                why,
                **data,
            )
        return _key_rejected(ctx, chain, who, why, data)
    if name == "NoCredentials":
        return _fail(
            f"{chain.user} finds no AWS credentials ({chain.where})",
            "no-credentials-configured",
            Fix("Configure credentials", configure_command(ctx.env(), chain.profile)),
            why,
            **data,
        )
    if name in ("EndpointUnreachable", "ServiceUnavailable"):
        return _fail(f"AWS cannot be reached: {exc.what}", "network-blocked",
                     Fix(exc.next_step or "Check the network and proxy"), why, **data)  # fmt: skip
    if name == "Throttled":
        return Finding("credentials.identity", "warn", f"AWS throttled the identity check: {why}",
                       fix=Fix("Wait a minute and run the doctor again"), causes=("throttled",),
                       data=data)  # fmt: skip
    return _fail(f"AWS does not accept {who}: {exc.what}", "no-credentials-configured",
                 Fix(exc.next_step or configure_command(ctx.env())), why, **data)  # fmt: skip


def _has_token(chain: chains.Chain) -> bool:
    if chain.profile is None:
        return chain.has_env_token
    files = chains.read_profile(chain, chain.profile)
    return bool((files.in_credentials or {}).get("aws_session_token"))


def _key_id(chain: chains.Chain) -> str | None:
    if chain.profile is None:
        return chain.env.get("AWS_ACCESS_KEY_ID")
    files = chains.read_profile(chain, chain.profile)
    return (files.in_credentials or {}).get("aws_access_key_id")


def _key_rejected(
    ctx: DoctorContext, chain: chains.Chain, who: str, why: str, data: dict[str, Any]
) -> Finding:
    """A long-term key AWS rejects: inactive or deleted, told apart when the account can be read."""
    key_id = _key_id(chain) or "?"
    status = None
    try:
        keys = ctx.gateway().list_access_keys(ctx.user_name())
        status = next((k.status for k in keys if k.access_key_id == key_id), "deleted")
    except Exception:  # no MFA session to read the account with: both stay possible
        status = None
    fix_new = Fix(
        "Create a new access key (with an MFA session) and configure it",
        "aws iam create-access-key --profile " + ctx.mfa_profile(),
    )
    if status == "Inactive":
        return _fail(
            f"access key {key_id} of {who} is deactivated (Inactive)",
            "access-key-inactive",
            Fix(
                "Activate it again (or switch to an active key)",
                f"aws iam update-access-key --access-key-id {key_id} --status Active "
                f"--profile {ctx.mfa_profile()}",
            ),
            why,
            **data,
        )
    if status == "deleted":
        return _fail(f"access key {key_id} of {who} was deleted", "access-key-deleted",
                     fix_new, why, **data)  # fmt: skip
    return Finding(
        "credentials.identity",
        "fail",
        f"AWS rejects access key {key_id} of {who}: deactivated or deleted",
        (why, "an MFA session (or the helpdesk) can tell which: onboard doctor --user NAME"),
        fix_new,
        causes=("access-key-inactive", "access-key-deleted"),
        data=data,
    )


CHECKS = (CheckSpec("credentials.identity", check_identity, helpdesk=True),)
