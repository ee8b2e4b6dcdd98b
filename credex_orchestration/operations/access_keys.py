"""Age of the deployment user's access keys: the seeds ask for regular rotation.

Only key ids and ages are read (`iam:ListAccessKeys` never returns a secret), so nothing secret can leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class AccessKeyAge:
    user: str
    key_id: str
    status: str
    age_days: int

    def describe(self) -> str:
        return f"{self.user}: access key {self.key_id} ({self.status}) is {self.age_days} days old"


def key_ages(iam: Any, user: str, now: datetime | None = None) -> list[AccessKeyAge]:
    now = now or datetime.now(UTC)
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    return [
        AccessKeyAge(user, key["AccessKeyId"], key["Status"], (now - key["CreateDate"]).days)
        for key in sorted(keys, key=lambda k: k["AccessKeyId"])
    ]


def keys_due(ages: list[AccessKeyAge], rotation_days: int) -> list[AccessKeyAge]:
    """Active keys older than the rotation period (an inactive key cannot be used, so it is not due)."""
    return [age for age in ages if age.status == "Active" and age.age_days > rotation_days]
