"""A workspace's outputs read from its state in the backend, without starting a Terraform process.

`terraform output` only reads the latest state snapshot and prints its `outputs` object; every Terraform
process loads the 707 MB AWS provider's root and costs seconds here, so the engine reads the same snapshot
itself (docs/decisions/0160-outputs-from-state.md). Where Terraform keeps a workspace's state:
- local backend: `<workspace_dir>/<workspace>/terraform.tfstate` (`path` for the default workspace);
- s3 backend: `<workspace_key_prefix, default env:>/<workspace>/<key>` in `bucket` (`key` for the default),
  read with the credentials the workspace's Terraform processes get (its environment), at the backend's
  endpoint when one is set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_WORKSPACE = "default"


class StateReadError(RuntimeError):
    """The state snapshot could not be read or is not a Terraform state."""


def state_location(kind: str, settings: Mapping[str, Any], workspace: str) -> str:
    """Where the backend keeps `workspace`'s state: a file path (local) or an object key (s3)."""
    if kind == "local":
        if workspace == DEFAULT_WORKSPACE:
            return str(settings.get("path", "terraform.tfstate"))
        return str(
            Path(str(settings.get("workspace_dir", "terraform.tfstate.d"))) / workspace / "terraform.tfstate"
        )
    if kind == "s3":
        key = str(settings["key"])
        if workspace == DEFAULT_WORKSPACE:
            return key
        return f"{settings.get('workspace_key_prefix', 'env:')}/{workspace}/{key}"
    raise StateReadError(f"reading state from a {kind!r} backend is not supported (local and s3 are)")


def read_state_text(
    kind: str, settings: Mapping[str, Any], workspace: str, env: Mapping[str, str]
) -> str | None:
    """The raw state snapshot, or None when the workspace has no state yet."""
    location = state_location(kind, settings, workspace)
    if kind == "local":
        path = Path(location)
        return path.read_text() if path.exists() else None
    from botocore.exceptions import ClientError

    from .aws import _new_session, retries

    session = _new_session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or None,
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or None,
        aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
        profile_name=env.get("AWS_PROFILE") or None,
        region_name=str(settings.get("region") or env.get("AWS_DEFAULT_REGION") or "us-east-1"),
    )
    from botocore.config import Config

    endpoint = (settings.get("endpoints") or {}).get("s3") or env.get("AWS_ENDPOINT_URL_S3")
    endpoint = endpoint or env.get("AWS_ENDPOINT_URL")
    style = Config(s3={"addressing_style": "path" if settings.get("use_path_style") else "auto"})
    s3 = session.client("s3", endpoint_url=endpoint or None, config=retries().merge(style))
    try:
        body = s3.get_object(Bucket=str(settings["bucket"]), Key=location)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise StateReadError(f"state s3://{settings['bucket']}/{location}: {error}") from error
    return body.decode()


def outputs_from_state(text: str | None, where: str) -> dict[str, tuple[Any, bool]]:
    """name -> (value, sensitive), as `terraform output -json` reports them; {} without state."""
    if not text or not text.strip():
        return {}
    try:
        state = json.loads(text)
    except json.JSONDecodeError as error:
        raise StateReadError(f"state of {where} is not JSON: {error}") from error
    if not isinstance(state, dict) or "version" not in state:
        raise StateReadError(f"state of {where} is not a Terraform state (no version)")
    return {
        name: (item.get("value"), bool(item.get("sensitive")))
        for name, item in (state.get("outputs") or {}).items()
    }


def state_version(text: str | None) -> tuple[str, int] | None:
    """(lineage, serial) of a state snapshot: any write to the state changes the serial."""
    if not text or not text.strip():
        return None
    try:
        state = json.loads(text)
    except json.JSONDecodeError as error:
        raise StateReadError(f"state is not JSON: {error}") from error
    return str(state.get("lineage", "")), int(state.get("serial", 0))
