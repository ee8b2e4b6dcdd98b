"""The rehearsal's environments file: the checked-in environments, pointed at what the rehearsal runs.

Per environment: the loopback API stand-in as `base_url`, the Neo4j AMI seeded in moto pinned, a first image
tag (ECS in moto runs any tag), short roll-out and snapshot waits (moto completes both at once), and a
notice that every asset description shows. Everything else stays as checked in.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..environments import Environments, load_environments

FIRST_IMAGE_TAG = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
FAST_WAITS = {
    "database_rollout": {"health_timeout_seconds": 60, "poll_interval_seconds": 1},
    "backups": {"snapshot_timeout_seconds": 60, "poll_interval_seconds": 1},
}
NOTICE = (
    "Rehearsal: AWS is moto on loopback ({moto}), with the real Terraform roots and AWS provider; "
    "credex-core is a loopback stand-in speaking its measured HTTP contract ({api}). Nothing reaches real AWS."
)


def write_rehearsal_environments(
    home: Path, environments: Environments, amis: dict[str, str], stand_ins: dict[str, str], moto_url: str
) -> Path:
    raw = yaml.safe_load(Path(environments.source).read_text())
    for name, body in raw["environments"].items():
        body["base_url"] = stand_ins[name]
        body.setdefault("neo4j", {})["ami_id"] = amis[name]
        body.setdefault("app", {})["first_image_tag"] = FIRST_IMAGE_TAG
        body["notice"] = NOTICE.format(moto=moto_url, api=stand_ins[name])
        for section, values in FAST_WAITS.items():
            body.setdefault(section, {}).update(values)
    path = home / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    load_environments(path)  # the file must be valid before anything uses it
    return path
