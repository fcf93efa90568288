"""onboard.doctor: why git against CodeCommit fails (checks, explain, helpdesk, resync)."""

METHODS: tuple[str, ...] = ("https-helper", "https-git-credentials", "ssh", "grc")
"""Connection methods, as the policy engine and the doctor name them.

Here, not in `explain`, so `onboard --help` can list them without loading
the knowledge base.
"""
