"""One `org` sandbox per test module (seeding 2,000 users costs seconds), and its audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard.audit.report import AuditRun
from onboard.audit.run import AuditOptions, run_audit
from onboard.sandbox.account import Sandbox
from onboard.sandbox.seed_org import AUDIT_ROLE


@pytest.fixture(scope="module")
def org_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A running `org` sandbox (no git endpoints), shared by the module's tests."""
    root: Path = tmp_path_factory.mktemp("org") / "home"
    sandbox = Sandbox.start("org", home_root=root, git=False)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(scope="module")
def org_run(org_sandbox: Sandbox) -> AuditRun:
    """The audit of the whole organization, entered through its access role."""
    options = AuditOptions(org=True, role_name=AUDIT_ROLE)
    return run_audit(options, org_sandbox.settings())
