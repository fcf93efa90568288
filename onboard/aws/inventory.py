"""A whole account's IAM in few calls: authorization details, credential report, MFA devices.

What `onboard audit` downloads. `GetAccountAuthorizationDetails` is paginated
(AWS returns at most `MaxItems`, default 100, entities per page); the
credential report is generated asynchronously by AWS (`GenerateCredentialReport`
answers STARTED until it is COMPLETE), so it is polled.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.utils import parse_timestamp as botocore_parse_timestamp

from onboard.aws.base import GatewayBase
from onboard.aws.errors import ServiceUnavailable
from onboard.aws.models import (
    AuthorizationDetails,
    CredentialReportRow,
    IamGroupDetail,
    IamUserDetail,
    ManagedPolicyDetail,
)
from onboard.aws.policies import _document
from onboard.aws.translate import call, translated

PAGE_SIZE = 1000
"""MaxItems per GetAccountAuthorizationDetails page (AWS allows up to 1000)."""

ROOT_ROW = "<root_account>"


def _inline(raw: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["PolicyName"]: _document(item["PolicyDocument"]) for item in raw or []}


def _user(raw: Mapping[str, Any]) -> IamUserDetail:
    boundary = (raw.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return IamUserDetail(
        name=raw["UserName"],
        arn=raw["Arn"],
        user_id=raw.get("UserId", ""),
        path=raw.get("Path", "/"),
        groups=tuple(raw.get("GroupList") or ()),
        attached=tuple(p["PolicyArn"] for p in raw.get("AttachedManagedPolicies") or ()),
        inline=_inline(raw.get("UserPolicyList") or []),
        boundary_arn=boundary,
        tags={t["Key"]: t["Value"] for t in raw.get("Tags") or ()},
    )


def _group(raw: Mapping[str, Any]) -> IamGroupDetail:
    return IamGroupDetail(
        name=raw["GroupName"],
        arn=raw["Arn"],
        attached=tuple(p["PolicyArn"] for p in raw.get("AttachedManagedPolicies") or ()),
        inline=_inline(raw.get("GroupPolicyList") or []),
    )


def _policy(raw: Mapping[str, Any]) -> ManagedPolicyDetail:
    default = raw.get("DefaultVersionId")
    versions = raw.get("PolicyVersionList") or []
    chosen = next((v for v in versions if v.get("VersionId") == default), None)
    if chosen is None:
        chosen = next((v for v in versions if v.get("IsDefaultVersion")), versions[-1])
    name = raw.get("PolicyName") or raw["Arn"].rsplit("/", 1)[-1]
    return ManagedPolicyDetail(raw["Arn"], name, _document(chosen["Document"]))


def fast_timestamp(value: str) -> datetime:
    """botocore's timestamp parsing without dateutil for the ISO 8601 text IAM sends.

    An account's authorization details and MFA devices hold thousands of dates;
    dateutil's parser was most of the time spent reading them. Anything
    `fromisoformat` cannot read goes to botocore's own parser.
    """
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        fallback: datetime = botocore_parse_timestamp(value)
        return fallback
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_credential_report(text: str) -> list[CredentialReportRow]:
    """The report's CSV, one row per IAM user (the `<root_account>` row left out)."""
    rows: list[CredentialReportRow] = []
    for raw in csv.DictReader(io.StringIO(text)):
        if raw.get("user") == ROOT_ROW:
            continue
        rows.append(
            CredentialReportRow(
                user=raw.get("user", ""),
                arn=raw.get("arn", ""),
                mfa_active=raw.get("mfa_active", "false") == "true",
                keys=tuple(
                    (
                        raw.get(f"access_key_{n}_active", "false") == "true",
                        _date(raw.get(f"access_key_{n}_last_rotated")),
                        _date(raw.get(f"access_key_{n}_last_used_date")),
                    )
                    for n in (1, 2)
                    if _date(raw.get(f"access_key_{n}_last_rotated")) is not None
                ),
            )
        )
    return rows


def _date(value: str | None) -> str | None:
    """ISO dates as given; AWS writes N/A, not_supported or no_information for none."""
    if not value or value in ("N/A", "not_supported", "no_information"):
        return None
    return value


class InventoryOperations(GatewayBase):
    """Read a whole account's users, groups, policies and credentials state."""

    def use_fast_timestamps(self) -> None:
        """Parse response dates with `fast_timestamp` in clients built from now on."""
        core = self._session._session  # boto3 keeps its botocore session here
        core.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=fast_timestamp
        )

    def authorization_details(
        self, on_page: Callable[[int], None] | None = None
    ) -> AuthorizationDetails:
        """Users, groups and customer-managed policies (default versions), every page."""
        users: list[IamUserDetail] = []
        groups: list[IamGroupDetail] = []
        policies: dict[str, ManagedPolicyDetail] = {}
        for page in self._detail_pages():
            users.extend(_user(u) for u in page.get("UserDetailList", []))
            groups.extend(_group(g) for g in page.get("GroupDetailList", []))
            for raw in page.get("Policies", []):
                made = _policy(raw)
                policies[made.arn] = made
            if on_page is not None:
                on_page(len(users))
        return AuthorizationDetails(users, {g.name: g for g in groups}, policies)

    def _detail_pages(self) -> Iterator[dict[str, Any]]:
        paginator = self.client("iam").get_paginator("get_account_authorization_details")
        with translated("GetAccountAuthorizationDetails"):
            yield from paginator.paginate(
                Filter=["User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"],
                PaginationConfig={"PageSize": PAGE_SIZE},
            )

    def credential_report(
        self, timeout: float = 120.0, sleep: Callable[[float], None] = time.sleep
    ) -> list[CredentialReportRow]:
        """Generate (AWS keeps one for 4 hours) and read the IAM credential report."""
        iam = self.client("iam")
        deadline = time.monotonic() + timeout
        delay = 0.5
        while True:
            state = call("GenerateCredentialReport", iam.generate_credential_report)["State"]
            if state == "COMPLETE":
                break
            if time.monotonic() > deadline:
                raise ServiceUnavailable(
                    "the IAM credential report is not ready",
                    f"AWS still says {state} after {timeout:g} s",
                    "run the audit again in a minute",
                    operation="GenerateCredentialReport",
                )
            sleep(delay)
            delay = min(delay * 2, 5.0)
        raw = call("GetCredentialReport", iam.get_credential_report)["Content"]
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        return parse_credential_report(text)
