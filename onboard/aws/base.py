"""What every group of gateway operations shares: the boto3 session and its clients."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3

from onboard.aws import session as sess
from onboard.aws.translate import translated


class GatewayBase:
    """A boto3 session, client options and a clock; clients are built once per service."""

    def __init__(
        self,
        session: boto3.Session,
        options: sess.ClientOptions,
        region: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._options = options
        self.region = region
        self._clock = clock
        self._clients: dict[str, Any] = {}
        self.credential_source_override: str | None = None
        """Set for gateways built from known credentials (e.g. "mfa-session")."""

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint every client talks to (None: AWS itself)."""
        return self._options.endpoint_url

    def client(self, service: str) -> Any:
        """A cached boto3 client for `service` (iam, sts, codecommit)."""
        if service not in self._clients:
            with translated(f"{service} client"):
                self._clients[service] = self._session.client(
                    service,
                    endpoint_url=self._options.endpoint_url,
                    config=self._options.config(self.region),
                )
        return self._clients[service]
