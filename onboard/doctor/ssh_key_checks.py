"""`ssh.identity_file`: the key ssh offers is private (0600) and is the uploaded one.

The .pub beside a key is trusted only when it matches; a missing or stale
.pub is checked against the private key itself (`ssh-keygen -y`), which is
what ssh offers. A key IAM refuses (ed25519, short RSA) is never suggested
for upload.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, skipped
from onboard.doctor.procs import run_bounded
from onboard.doctor.ssh_checks import FIX_BLOCK, effective, normalise_fingerprint, not_in_use
from onboard.errors import OnboardError
from onboard.ssh.keys import inspect_public_key


def _identity_files(ctx: DoctorContext) -> list[Path]:
    home = ctx.settings.home.root
    paths = []
    for raw in effective(ctx).get("identityfile", []):
        text = raw.replace("%d", str(home))
        if text.startswith("~"):
            text = str(home) + text[1:]
        paths.append(Path(text))
    return paths


def check_identity_file(ctx: DoctorContext) -> Finding:
    """An IdentityFile exists, is private (0600), and matches the uploaded key."""
    user = (effective(ctx).get("user") or [""])[0]
    if not user.upper().startswith("APKA"):
        return skipped("ssh.identity_file", "no SSH key ID configured (see ssh.key_id)")
    existing = [p for p in _identity_files(ctx) if p.exists()]
    if not existing:
        return Finding(
            "ssh.identity_file",
            "fail",
            "none of the IdentityFile paths exists",
            tuple(str(p) for p in _identity_files(ctx)),
            Fix(FIX_BLOCK, action="write-ssh-config"),
            causes=("ssh-private-key-invalid",),
        )
    # ListSSHPublicKeys carries no fingerprint: ask for the configured key itself.
    key = ctx.gateway().get_ssh_public_key(ctx.user_name(), user)
    uploaded = {normalise_fingerprint(key.fingerprint): key.key_id}
    problems = []
    for path in existing:
        mode = stat.S_IMODE(path.stat().st_mode)
        if not ctx.settings.platform.is_windows and os.name != "nt" and mode & 0o077:
            problems.append(f"{path} is mode {mode:04o}: ssh ignores keys others can read")
            continue
        public = path.with_name(path.name + ".pub")
        fingerprint, note = _public_fingerprint(ctx, path, public, set(uploaded))
        if fingerprint is None:
            problems.append(note)
            continue
        if fingerprint in uploaded:
            return Finding(
                "ssh.identity_file",
                "ok",
                f"{path} (0{mode:03o}) matches uploaded key {user}",
                (note,) if note else (),
                rules_out=("ssh-private-key-invalid", "ssh-key-not-uploaded"),
            )
        problems.append(f"{path} is not {user}'s key (fingerprint {fingerprint}){note}")
    if any("mode" in p for p in problems):
        return Finding(
            "ssh.identity_file",
            "fail",
            "the private key file is readable by others",
            tuple(problems),
            Fix("chmod 600 the key", f"chmod 600 {existing[0]}"),
            causes=("ssh-private-key-invalid",),
        )
    return Finding(
        "ssh.identity_file",
        "fail" if problems else "warn",
        "no IdentityFile matches the uploaded key" if problems else "cannot compare fingerprints",
        tuple(problems) or ("no .pub file beside the private key",),
        _mismatch_fix(ctx, existing),
        causes=("ssh-key-not-uploaded",) if problems else (),
    )


def _mismatch_fix(ctx: DoctorContext, keys: list[Path]) -> Fix:
    """Point IdentityFile at the uploaded key; upload a local key only when IAM takes it."""
    unusable = []
    for path in keys:
        ran = run_bounded(["ssh-keygen", "-y", "-P", "", "-f", str(path)], ctx.env(),
                          ctx.live_timeout)  # fmt: skip
        try:
            info = inspect_public_key(ran.stdout, path) if ran.ok else None
        except OnboardError:
            info = None
        if info is not None and not info.usable:
            unusable.append(f"{path.name} is {info.key_type}: {info.reason}")
    if unusable:
        return Fix(
            "Point IdentityFile at the RSA key you uploaded; IAM refuses this one ("
            + "; ".join(unusable)
            + "), so make an RSA key (ssh-keygen -t rsa -b 4096) and upload that (onboard SSH step)"
        )
    return Fix("Point IdentityFile at the key you uploaded, or upload this key (onboard SSH step)")


def _public_fingerprint(
    ctx: DoctorContext, private: Path, public: Path, wanted: set[str]
) -> tuple[str | None, str]:
    """The MD5 fingerprint of the private key's public half, and a note on how it was found.

    The .pub beside it is trusted only when it matches; a missing or stale .pub is
    checked against the private key itself (`ssh-keygen -y`), which is what ssh offers.
    """
    if public.exists():
        try:
            info = inspect_public_key(public.read_text(encoding="utf-8"), public)
            if normalise_fingerprint(info.fingerprint_md5) in wanted:
                return normalise_fingerprint(info.fingerprint_md5), ""
        except OnboardError:
            pass  # judged from the private key below
    keygen = shutil.which(
        ctx.settings.platform.executable("ssh-keygen"), path=ctx.env().get("PATH")
    )
    if keygen is None:
        return None, f"cannot derive the public key of {private} (no ssh-keygen)"
    ran = run_bounded([keygen, "-y", "-P", "", "-f", str(private)], ctx.env(), ctx.live_timeout)
    if not ran.ok:
        return None, f"{private}: ssh-keygen -y cannot read it ({ran.problem(ctx.live_timeout)})"
    try:
        derived = normalise_fingerprint(inspect_public_key(ran.stdout, private).fingerprint_md5)
    except OnboardError as exc:
        return None, f"{private}: {exc.what}"
    why = "missing" if not public.exists() else "not this key's"
    return derived, f" ({public.name} beside it is {why}; compared with ssh-keygen -y)"


def check_identity_file_in_use(ctx: DoctorContext) -> Finding:
    """`check_identity_file`, a warning when this clone's remotes do not use SSH."""
    return not_in_use(ctx, check_identity_file(ctx))


CHECKS = (CheckSpec("ssh.identity_file", check_identity_file_in_use),)
