"""SSH checks: the config ssh really uses for CodeCommit, against the keys IAM has.

`ssh -G` gives the effective configuration (every Host/Match block applied),
so a `User` or `IdentityFile` from an earlier `Host *` block is seen exactly
as ssh sees it. The local side is compared with the user's uploaded keys.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path
from typing import Any

from onboard.doctor import gitssh
from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, ok, skipped
from onboard.doctor.procs import run_bounded
from onboard.errors import OnboardError
from onboard.ssh import config as sshconfig

SSH_RSA_DISABLED_SINCE = (8, 8)
FIX_BLOCK = "onboard (SSH step) writes the Host git-codecommit.*.amazonaws.com block"


def ssh_host(ctx: DoctorContext) -> str:
    """The CodeCommit SSH host for the checked region."""
    return f"git-codecommit.{ctx.region}.amazonaws.com"


def ssh_view(ctx: DoctorContext) -> gitssh.Effective:
    """`ssh -G` for the CodeCommit host, run the way git runs ssh (memoised for the run)."""
    home = ctx.settings.home

    def compute() -> gitssh.Effective:
        target = _ssh_target(ctx)
        config = None
        if home.isolated:
            # `ssh -F` with a missing file is an error; an empty home means "no config".
            config = home.ssh_config if home.ssh_config.exists() else Path(os.devnull)
        return gitssh.effective(
            ssh_host(ctx),
            ctx.env(),
            cwd=ctx.cwd,
            timeout=ctx.live_timeout,
            url_user=target.ssh_user if target is not None else None,
            isolated_config=config,
        )

    return ctx.fact("ssh -G", compute)


def effective(ctx: DoctorContext) -> dict[str, list[str]]:
    """The effective ssh options for the CodeCommit host (see `ssh_view`)."""
    return ssh_view(ctx).options


def _ssh_target(ctx: DoctorContext) -> Any:
    try:
        return next((t for t in ctx.targets() if t.method == "ssh"), None)
    except Exception:  # git.remote reports a clone git cannot read
        return None


def ssh_in_use(ctx: DoctorContext) -> bool:
    """False when git's remotes are known and none of them uses SSH."""
    try:
        targets = ctx.targets()
    except Exception:  # git.remote reports a clone git cannot read
        return True
    return not targets or any(t.method == "ssh" for t in targets)


def not_in_use(ctx: DoctorContext, finding: Finding) -> Finding:
    """An SSH failure is a warning when this clone's remotes do not use SSH."""
    if finding.status != "fail" or ssh_in_use(ctx):
        return finding
    return dataclasses.replace(
        finding,
        status="warn",
        details=(*finding.details, "this clone's remotes do not use SSH: git is not affected"),
    )


def uploaded_keys(ctx: DoctorContext) -> list[Any]:
    """The user's SSH public keys in IAM (memoised)."""
    user = ctx.user_name()
    return ctx.fact("ssh keys", lambda: ctx.gateway().list_ssh_public_keys(user))


def normalise_fingerprint(fingerprint: str) -> str:
    """`MD5:aa:bb...` or `aa:bb...` -> `aa:bb...` (how IAM and ssh-keygen print it differ)."""
    return fingerprint.lower().removeprefix("md5:").strip()


def check_config(ctx: DoctorContext) -> Finding:
    """ssh can read its configuration for the CodeCommit host."""
    try:
        view = ssh_view(ctx)
    except OnboardError as exc:
        return not_in_use(
            ctx,
            Finding(
                "ssh.config",
                "fail",
                exc.what,
                (exc.why,),
                Fix(exc.next_step),
                causes=(
                    "windows-git-ssh-putty"
                    if isinstance(exc, gitssh.NotOpenSsh)
                    else "ssh-config-invalid",
                ),
            ),
        )
    config = view.options
    user = (config.get("user") or [""])[0]
    how = f"git runs {' '.join(view.command.argv)} ({view.command.source})"
    return Finding(
        "ssh.config",
        "ok",
        f"ssh -G {ssh_host(ctx)} as git runs it: User {user}",
        (
            how,
            *(f"User {user} from {view.user_from}" for _ in [0] if view.user_from),
            *(f"identityfile {path}" for path in config.get("identityfile", [])),
        ),
        rules_out=("ssh-config-invalid",),
        data={"user": user, "command": list(view.command.argv), "source": view.command.source},
    )


def check_key_id(ctx: DoctorContext) -> Finding:
    """ssh logs in as an Active SSH key ID of this user (not the IAM user name)."""
    return not_in_use(ctx, _key_id(ctx))


def _key_id(ctx: DoctorContext) -> Finding:
    view = ssh_view(ctx)
    user = (view.options.get("user") or [""])[0]
    keys = uploaded_keys(ctx)
    if not keys and not user.upper().startswith("APKA"):
        return skipped("ssh.key_id", "SSH is not set up (no key uploaded, no key ID in the config)")
    if not user.upper().startswith("APKA"):
        key_ids = ", ".join(k.key_id for k in keys if k.status == "Active") or "none active"
        details = ["CodeCommit's SSH user name is the key ID (APKA...)"]
        fix = Fix(FIX_BLOCK, action="write-ssh-config")
        if view.user_from:
            details.append(
                f"User {user} comes from {view.user_from}: ssh keeps the first value it finds, "
                "so a User in a later CodeCommit block never applies"
            )
            fix = Fix("Move the Host git-codecommit.*.amazonaws.com block above that block "
                      f"(or drop its User); {FIX_BLOCK}", action="write-ssh-config")  # fmt: skip
        elif view.command.source != "ssh (default)":
            details.append(f"git runs {' '.join(view.command.argv)} ({view.command.source})")
            fix = Fix(f"Remove the user from {view.command.source}")
        return Finding(
            "ssh.key_id",
            "fail",
            f"ssh logs in as {user!r}, not as an SSH key ID (yours: {key_ids})",
            tuple(details),
            fix,
            causes=("ssh-user-not-key-id",),
            data={"user": user, "user_from": view.user_from},
        )
    match = next((k for k in keys if k.key_id == user), None)
    if match is None:
        return Finding(
            "ssh.key_id",
            "fail",
            f"{user} is not one of this user's SSH key IDs (deleted, or never uploaded here)",
            tuple(f"{k.key_id} {k.status}" for k in keys) or ("no SSH key uploaded",),
            Fix("Upload the key again (onboard SSH step) and use its new key ID"),
            causes=("ssh-key-not-uploaded", "wrong-account-or-profile"),
        )
    if match.status != "Active":
        return Finding(
            "ssh.key_id",
            "fail",
            f"SSH key {user} is {match.status}: CodeCommit refuses an inactive key",
            fix=Fix(
                "Activate it again",
                f"aws iam update-ssh-public-key --user-name {ctx.user_name()} "
                f"--ssh-public-key-id {user} --status Active{mfa_profile_option(ctx)}",
            ),
            causes=("ssh-key-inactive",),
        )
    return Finding(
        "ssh.key_id",
        "ok",
        f"ssh logs in as {user}, an Active key of {ctx.user_name()}",
        rules_out=("ssh-user-not-key-id",),
        data={"key_id": user},
    )


def mfa_profile_option(ctx: DoctorContext) -> str:
    """` --profile <profile>-mfa` for a fix the user runs under a force-MFA policy."""
    return "" if ctx.helpdesk else f" --profile {ctx.mfa_profile()}"


def _allows_ssh_rsa(values: list[str]) -> bool:
    return any("ssh-rsa" in value.split(",") for value in values)


def check_algorithms(ctx: DoctorContext) -> Finding:
    """OpenSSH 8.8+ has ssh-rsa turned back on for CodeCommit's host."""
    version = ctx.fact("ssh -V", lambda: sshconfig.ssh_version(ctx.env(), ctx.settings.platform))
    if version is None:
        return skipped("ssh.algorithms", "no OpenSSH client")
    config = effective(ctx)
    host_ok = _allows_ssh_rsa(config.get("hostkeyalgorithms", []))
    accepted = config.get("pubkeyacceptedalgorithms") or config.get("pubkeyacceptedkeytypes", [])
    key_ok = _allows_ssh_rsa(accepted)
    if host_ok and key_ok:
        return Finding(
            "ssh.algorithms",
            "ok",
            "ssh-rsa is allowed for CodeCommit",
            rules_out=("ssh-rsa-sha1-disabled",),
        )
    user = (config.get("user") or [""])[0]
    missing = [
        name
        for name, good in (("HostKeyAlgorithms", host_ok), ("PubkeyAcceptedAlgorithms", key_ok))
        if not good
    ]
    if not user.upper().startswith("APKA"):
        # Not a problem for someone on HTTPS: no warning until SSH is in use (a key ID as User).
        return skipped(
            "ssh.algorithms",
            f"SSH is not set up for CodeCommit (no SSH key ID as User); when it is, OpenSSH "
            f"{version[0]}.{version[1]} needs {' and '.join(n + ' +ssh-rsa' for n in missing)} "
            "(onboard's SSH step writes them)",
        )
    return Finding(
        "ssh.algorithms",
        "fail",
        f"OpenSSH {version[0]}.{version[1]} does not offer ssh-rsa ({', '.join(missing)})",
        ("CodeCommit's SSH endpoint only speaks ssh-rsa",),
        Fix(
            f"Add {' and '.join(n + ' +ssh-rsa' for n in missing)}; {FIX_BLOCK}",
            action="write-ssh-config",
        ),
        causes=("ssh-rsa-sha1-disabled",),
    )


def check_known_hosts(ctx: DoctorContext) -> Finding:
    """CodeCommit's host key is recorded (else the first connection asks)."""
    config = effective(ctx)
    home = ctx.settings.home
    files = [f for value in config.get("userknownhostsfile", []) for f in value.split()]
    paths = [Path(f.strip('"').replace("~", str(home.root), 1)) for f in files]
    # HostKeyAlias (the sandbox's) is the name ssh looks up.
    host = (config.get("hostkeyalias") or [ssh_host(ctx)])[0]
    keygen = shutil.which(
        ctx.settings.platform.executable("ssh-keygen"), path=ctx.env().get("PATH")
    )
    for path in paths:
        if not path.exists():
            continue
        if keygen is not None:
            # `ssh-keygen -F` also finds hashed entries (HashKnownHosts yes).
            found = run_bounded([keygen, "-F", host, "-f", str(path)], ctx.env(), ctx.live_timeout)
            if found.ok and found.stdout.strip():
                return ok("ssh.known_hosts", f"{host} is in {path}")
        elif host in path.read_text(encoding="utf-8", errors="replace"):
            return ok("ssh.known_hosts", f"{host} is in {path}")
    return Finding(
        "ssh.known_hosts",
        "warn",
        f"{host} is not in known_hosts",
        ("the first connection asks to confirm the host key",),
        Fix(f"Connect once and compare the fingerprint with AWS's: ssh {ssh_host(ctx)}"),
        causes=("host-key-unverified",),
    )


def check_algorithms_in_use(ctx: DoctorContext) -> Finding:
    """`check_algorithms`, a warning when this clone's remotes do not use SSH."""
    return not_in_use(ctx, check_algorithms(ctx))


CHECKS = (
    CheckSpec("ssh.config", check_config),
    CheckSpec("ssh.key_id", check_key_id),
    CheckSpec("ssh.algorithms", check_algorithms_in_use),
    CheckSpec("ssh.known_hosts", check_known_hosts),
)
