"""Environment overrides for whole deploys on the fixture roots (terraform_data, no real AWS behind them)."""

from __future__ import annotations

from typing import Any

from credex_orchestration.environments import VerificationSettings

AMI = "ami-0123456789abcdef0"


def fixture_deploy_overrides(*names: str, pin_ami: bool = True) -> dict[str, dict[str, Any]]:
    """A pinned Neo4j AMI (unless `pin_ami` is off) and, where the model has the switch, verification off.

    Verification (its own area, tested there) looks at ECS services and the API, which fixture roots do not
    create; these tests are about queueing, launching and CI, so they deploy the components only.
    """
    overrides: dict[str, dict[str, Any]] = {name: {"neo4j.ami_id": AMI} if pin_ami else {} for name in names}
    if "enabled" in VerificationSettings.model_fields:
        for body in overrides.values():
            body["verification.enabled"] = False
    return overrides
