"""CodeCommit repositories and branches."""

from __future__ import annotations

from onboard.aws.base import GatewayBase
from onboard.aws.models import Branch, Repository
from onboard.aws.translate import call, translated


class CodeCommitOperations(GatewayBase):
    """Read-only CodeCommit calls the walkthrough and the doctor need."""

    # --- CodeCommit -------------------------------------------------------------------------

    def list_repositories(self) -> list[str]:
        """Names of the CodeCommit repositories in the region."""
        names: list[str] = []
        paginator = self.client("codecommit").get_paginator("list_repositories")
        with translated("ListRepositories"):
            for page in paginator.paginate():
                names.extend(r["repositoryName"] for r in page.get("repositories", []))
        return names

    def get_repository(self, name: str) -> Repository:
        """A repository's ARN, clone URLs and KMS key."""
        raw = call("GetRepository", self.client("codecommit").get_repository, repositoryName=name)[
            "repositoryMetadata"
        ]
        return Repository(
            name=raw["repositoryName"],
            arn=raw["Arn"],
            clone_url_http=raw.get("cloneUrlHttp", ""),
            clone_url_ssh=raw.get("cloneUrlSsh", ""),
            kms_key_id=raw.get("kmsKeyId"),
            default_branch=raw.get("defaultBranch"),
        )

    def get_branch(self, repo: str, branch: str) -> Branch:
        """A branch and its head commit."""
        raw = call(
            "GetBranch",
            self.client("codecommit").get_branch,
            repositoryName=repo,
            branchName=branch,
        )["branch"]
        return Branch(repo, raw.get("branchName", branch), raw.get("commitId"))
