"""boto3 sessions per region and role, with an endpoint override (moto in tests) and standard retries.

boto3 is imported when a session is first needed, not when the code location loads: importing it costs
more than the rest of this package together (docs/decisions/0072-load-path.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config


@functools.cache
def retries() -> Config:
    from botocore.config import Config

    return Config(retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=10, read_timeout=60)


def bounded(timeout: float) -> Config:
    """A client config whose every call gives up after about 2 x `timeout` (two attempts)."""
    from botocore.config import Config

    return Config(
        retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=timeout, read_timeout=timeout
    )


@functools.cache
def _models() -> Any:
    """botocore's loader of service models, shared by every session of the process.

    The models are static files; without sharing, each new session parses them again (about 0.2 s per
    session and client on these machines). Credentials are never shared: each session resolves its own.
    """
    import botocore.loaders

    return botocore.loaders.create_loader()


def _new_session(**kwargs: Any) -> boto3.session.Session:
    import boto3
    import botocore.session

    models = _models()
    core = botocore.session.get_session()
    core.register_component("data_loader", models)
    session = boto3.session.Session(botocore_session=core, **kwargs)
    models.search_paths[:] = list(dict.fromkeys(models.search_paths))  # boto3 appends its path per session
    return session


class AwsAccountMismatch(RuntimeError):
    """The credentials belong to another account than the environment's."""


@dataclass
class AwsSession:
    """Clients for one region (and optionally one assumed role)."""

    region: str
    endpoint_url: str | None = None
    role_arn: str | None = None
    session_name: str = "credex-orchestration"
    _session: boto3.session.Session | None = field(default=None, init=False, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def _boto_session(self) -> boto3.session.Session:
        if self._session is None:
            base = _new_session(region_name=self.region)
            if self.role_arn:
                sts = base.client("sts", endpoint_url=self.endpoint_url, config=retries())
                credentials = sts.assume_role(RoleArn=self.role_arn, RoleSessionName=self.session_name)[
                    "Credentials"
                ]
                base = _new_session(
                    aws_access_key_id=credentials["AccessKeyId"],
                    aws_secret_access_key=credentials["SecretAccessKey"],
                    aws_session_token=credentials["SessionToken"],
                    region_name=self.region,
                )
            self._session = base
        return self._session

    def client(self, service: str, *, timeout: float | None = None) -> Any:
        """A cached client; `endpoint_url` (if any) applies to every service. `timeout` bounds each call
        (connect and read, one retry) for callers on a deadline such as a sensor tick."""
        key = service if timeout is None else f"{service}@{timeout:g}"
        if key not in self._clients:
            self._clients[key] = self._boto_session().client(
                service,
                endpoint_url=self.endpoint_url,
                config=retries() if timeout is None else bounded(timeout),
            )
        return self._clients[key]

    def credentials_env(self) -> dict[str, str]:
        """Credentials as environment variables for a child process (never its command line)."""
        credentials = self._boto_session().get_credentials()
        if credentials is None:
            return {}
        frozen = credentials.get_frozen_credentials()
        env = {"AWS_ACCESS_KEY_ID": frozen.access_key, "AWS_SECRET_ACCESS_KEY": frozen.secret_key}
        if frozen.token:
            env["AWS_SESSION_TOKEN"] = frozen.token
        env["AWS_REGION"] = self.region
        return env

    def check_account(self, expected_account_id: str | None) -> str:
        """Refuse to act with credentials of another account than the environment's."""
        account = self.client("sts").get_caller_identity()["Account"]
        if expected_account_id and account != expected_account_id:
            raise AwsAccountMismatch(
                f"credentials belong to AWS account {account}, but the environment expects {expected_account_id}"
            )
        return account
