"""onboard: from an IAM user with an access key to git on AWS CodeCommit, with MFA enforced.

This package is the core. It never imports Textual (see the import contracts
in pyproject.toml); the terminal UI lives in the sibling package `screens`.
"""

__version__ = "0.1.0"
