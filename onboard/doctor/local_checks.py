"""Checks of this computer: tools, git's credential helpers, the environment.

No AWS calls here; everything comes from the settings' home and environment,
so each check runs the same in a temp home as on a developer's laptop.
"""

from __future__ import annotations

import configparser
import shlex
import shutil
from typing import Any

from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, ok, skipped
from onboard.git import config as gitconfig
from onboard.ssh import config as sshconfig

SSH_RSA_DISABLED_SINCE = (8, 8)
_STORE_HELPER_CAUSE = {
    "manager": "credential-manager-conflict",
    "manager-core": "credential-manager-conflict",
}


# The AWS guide's setup, scoped to CodeCommit: an empty value first so no other
# helper (keychain, manager, store) answers for it, then the AWS helper, UseHttpPath.
_AWS_HELPER_SETUP = (
    f"git config --global --replace-all '{gitconfig.HELPER_KEY}' '' && "
    f"git config --global --add '{gitconfig.HELPER_KEY}' '!aws codecommit credential-helper $@' && "
    f"git config --global '{gitconfig.USE_HTTP_PATH_KEY}' true"
)


def https_url(ctx: DoctorContext) -> str:
    """The HTTPS URL the git checks resolve helpers for: the remote's, else the clone URL."""
    target = ctx.primary_target()
    if target is not None and target.method == "https":
        return target.url
    return gitconfig.clone_url(ctx.region, ctx.repo_name or "my-repo", "https-helper")


def _which(ctx: DoctorContext, name: str) -> str | None:
    executable = ctx.settings.platform.executable(name)
    return shutil.which(executable, path=ctx.env().get("PATH"))


def check_git_version(ctx: DoctorContext) -> Finding:
    """git is installed (and which version)."""
    version = gitconfig.git_version(ctx.env())
    if version is None:
        return Finding(
            "env.git",
            "fail",
            "git is not installed (or not on PATH)",
            fix=Fix("Install git (https://git-scm.com/downloads)"),
        )
    return ok("env.git", f"git {'.'.join(map(str, version))}", version=list(version))


def check_ssh_version(ctx: DoctorContext) -> Finding:
    """The OpenSSH client and whether it still speaks CodeCommit's ssh-rsa by default."""
    version = sshconfig.ssh_version(ctx.env(), ctx.settings.platform)
    if version is None:
        return Finding(
            "env.ssh",
            "warn",
            "no OpenSSH client found: git over SSH is not possible here",
            fix=Fix("Install OpenSSH, or use HTTPS"),
        )
    text = f"OpenSSH {version[0]}.{version[1]}"
    if version >= SSH_RSA_DISABLED_SINCE:
        return ok(
            "env.ssh",
            f"{text}: needs HostKeyAlgorithms/PubkeyAcceptedAlgorithms +ssh-rsa for CodeCommit",
            version=list(version),
        )
    return ok("env.ssh", f"{text}: accepts ssh-rsa by default", version=list(version))


def check_aws_cli(ctx: DoctorContext) -> Finding:
    """The AWS CLI (the HTTPS credential helper needs it): present, starts, which version."""
    from onboard.doctor.awscli import inspect_aws_cli

    aws = _which(ctx, "aws")
    if aws is None:
        return Finding(
            "env.aws",
            "warn",
            "the AWS CLI is not on PATH (needed by the HTTPS credential helper)",
            fix=Fix("Install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/"),
            causes=("no-aws-cli",),
        )
    cli = inspect_aws_cli(aws, ctx.env(), ctx.live_timeout)
    if cli.broken is not None:
        return Finding(
            "env.aws",
            "fail",
            "the AWS CLI is installed but cannot start",
            (cli.broken,),
            Fix("Reinstall the AWS CLI: https://docs.aws.amazon.com/cli/latest/userguide/"),
            causes=("aws-cli-broken",),
            data={"path": aws},
        )
    name = f"AWS CLI {cli.version}" if cli.version else "AWS CLI (version unknown)"
    return Finding(
        "env.aws",
        "ok",
        f"{name} at {aws}",
        rules_out=("no-aws-cli", "aws-cli-broken"),
        data={"path": aws, "version": cli.version, "version_from": cli.source},
    )


def check_grc(ctx: DoctorContext) -> Finding:
    """git-remote-codecommit (for codecommit:// URLs) is installed."""
    path = _which(ctx, "git-remote-codecommit")
    users = [t.label for t in _targets(ctx) if t.method == "grc"]
    if path is None and users:
        return Finding(
            "env.grc",
            "fail",
            f"git-remote-codecommit is not installed, and {', '.join(users)} uses a "
            "codecommit:// URL: git cannot run it",
            fix=Fix("Install it where git finds it", "pip install git-remote-codecommit"),
            causes=("grc-not-installed",),
        )
    if path is None:
        # Optional: HTTPS and SSH do not need it, so its absence is not a warning.
        return ok(
            "env.grc",
            "git-remote-codecommit is not installed: only codecommit:// URLs need it "
            "(pip install git-remote-codecommit)",
            path=None,
        )
    return Finding(
        "env.grc",
        "ok",
        f"git-remote-codecommit at {path}",
        rules_out=("grc-not-installed",),
        data={"path": path},
    )


def _targets(ctx: DoctorContext) -> tuple[Any, ...]:
    try:
        return ctx.targets()
    except Exception:  # git.remote reports a clone git cannot read
        return ()


def check_git_ssh(ctx: DoctorContext) -> Finding:
    """The ssh git really runs (GIT_SSH_COMMAND > core.sshCommand > GIT_SSH) is not plink."""
    from onboard.doctor.gitssh import git_ssh

    command = git_ssh(ctx.env(), ctx.cwd, ctx.live_timeout)
    text = " ".join(command.argv)
    if command.variant != "ssh" or "plink" in text.lower() or "putty" in text.lower():
        name = command.source.split(" ", 1)[0]
        return Finding(
            "env.git_ssh",
            "fail",
            f"{command.source} points git to PuTTY ({text})",
            ("plink does not read ~/.ssh/config nor OpenSSH keys",),
            Fix(f"Remove {name} (or set GIT_SSH_COMMAND=ssh) and open a new terminal"),
            causes=("windows-git-ssh-putty",),
        )
    return Finding(
        "env.git_ssh",
        "ok",
        f"git runs OpenSSH: {text} ({command.source})",
        rules_out=("windows-git-ssh-putty",),
    )


def check_helpers(ctx: DoctorContext) -> Finding:
    """Which credential helpers git will run for the CodeCommit HTTPS URL, in order."""
    url = https_url(ctx)
    env = ctx.env()
    helpers = ctx.helpers(url)
    listing = tuple(f"{h.value}  ({h.scope}: {h.origin_file})" for h in helpers)
    if not helpers:
        return Finding(
            "git.helpers",
            "warn",
            "no credential helper for CodeCommit HTTPS URLs (fine if you use SSH)",
            fix=Fix(
                "Configure the AWS CLI helper for CodeCommit only (or run onboard)",
                _AWS_HELPER_SETUP,
                action="configure-helper",
            ),
            causes=("helper-not-configured",),
        )
    ahead = gitconfig.caching_helpers_ahead(url, env, ctx.settings.platform)
    has_aws = any(h.is_aws_helper for h in helpers)
    if ahead and has_aws:
        cause = _STORE_HELPER_CAUSE.get(ahead[0].name, "keychain-cached-stale-password")
        names = ", ".join(f"{h.name} ({h.origin_file})" for h in ahead)
        return Finding(
            "git.helpers",
            "fail",
            f"{names} runs before the AWS helper and replays expired passwords (403 later)",
            listing,
            Fix(
                "Reset the helper list for CodeCommit, then add the AWS helper",
                _AWS_HELPER_SETUP,
                action="configure-helper",
            ),
            causes=(cause,),
            data={"helpers": [h.value for h in helpers]},
        )
    if has_aws:
        return Finding(
            "git.helpers",
            "ok",
            "the AWS CLI credential helper answers for CodeCommit",
            listing,
            rules_out=(
                "keychain-cached-stale-password",
                "credential-manager-conflict",
                "helper-not-configured",
            ),
            data={"helpers": [h.value for h in helpers]},
        )
    return ok(
        "git.helpers",
        f"git uses {helpers[-1].name} for CodeCommit (HTTPS Git credentials)",
        *listing,
        helpers=[h.value for h in helpers],
    )


def _aws_helper(ctx: DoctorContext) -> gitconfig.HelperEntry | None:
    helpers = ctx.helpers(https_url(ctx))
    return next((h for h in helpers if h.is_aws_helper), None)


def check_use_http_path(ctx: DoctorContext) -> Finding:
    """UseHttpPath is on for CodeCommit when the AWS helper is used (it signs the path)."""
    if _aws_helper(ctx) is None:
        return skipped("git.use_http_path", "the AWS CLI helper is not configured")
    if gitconfig.use_http_path(https_url(ctx), ctx.env()):
        return Finding(
            "git.use_http_path",
            "ok",
            "credential.UseHttpPath is true for CodeCommit",
            rules_out=("credential-helper-misconfigured",),
        )
    return Finding(
        "git.use_http_path",
        "fail",
        "credential.UseHttpPath is not set: the AWS helper cannot sign the repository path",
        fix=Fix(
            "Turn it on for CodeCommit",
            f"git config --global '{gitconfig.USE_HTTP_PATH_KEY}' true",
            action="configure-helper",
        ),
        causes=("credential-helper-misconfigured",),
    )


def check_aws_on_path(ctx: DoctorContext) -> Finding:
    """The command the AWS helper runs can be found on the PATH git sees."""
    helper = _aws_helper(ctx)
    if helper is None:
        return skipped("git.aws_on_path", "the AWS CLI helper is not configured")
    try:
        command = shlex.split(helper.value.lstrip("!"))[0]
    except (ValueError, IndexError):
        command = helper.value.lstrip("!").split()[0]
    found = shutil.which(command, path=ctx.env().get("PATH"))
    if found is None:
        return Finding(
            "git.aws_on_path",
            "fail",
            f"the helper runs `{command}`, which is not on git's PATH",
            (f"helper: {helper.value} ({helper.origin_file})",),
            Fix("Install the AWS CLI or write its full path into the helper"),
            causes=("no-aws-cli",),
        )
    return Finding(
        "git.aws_on_path", "ok", f"the helper's `{command}` is {found}", rules_out=("no-aws-cli",)
    )


def _profile_option(ctx: DoctorContext, option: str) -> str | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read(ctx.settings.home.aws_config, encoding="utf-8")
    except configparser.Error:
        return None
    profile = ctx.settings.profile or ctx.env().get("AWS_PROFILE") or "default"
    section = profile if profile == "default" else f"profile {profile}"
    if parser.has_option(section, option):
        return parser.get(section, option)
    return None


def check_auto_prompt(ctx: DoctorContext) -> Finding:
    """AWS_CLI_AUTO_PROMPT / cli_auto_prompt would make the helper wait for input."""
    value = ctx.env().get("AWS_CLI_AUTO_PROMPT", "")
    where = "AWS_CLI_AUTO_PROMPT"
    if not value:
        value, where = _profile_option(ctx, "cli_auto_prompt") or "", "cli_auto_prompt"
    if value.strip().lower() == "on":
        return Finding(
            "git.auto_prompt",
            "fail",
            f"{where}=on: the AWS CLI opens its prompt instead of answering git",
            fix=Fix("Turn it off for git", "unset AWS_CLI_AUTO_PROMPT"),
            causes=("aws-cli-auto-prompt",),
        )
    return Finding(
        "git.auto_prompt", "ok", "AWS CLI auto-prompt is off", rules_out=("aws-cli-auto-prompt",)
    )


CHECKS = (
    CheckSpec("env.git", check_git_version),
    CheckSpec("env.ssh", check_ssh_version),
    CheckSpec("env.aws", check_aws_cli),
    CheckSpec("env.grc", check_grc),
    CheckSpec("env.git_ssh", check_git_ssh),
    CheckSpec("git.helpers", check_helpers),
    CheckSpec("git.use_http_path", check_use_http_path),
    CheckSpec("git.aws_on_path", check_aws_on_path),
    CheckSpec("git.auto_prompt", check_auto_prompt),
)
