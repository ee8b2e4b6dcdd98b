"""The override that lifts prevent_destroy from one Neo4j instance: the HCL it renders, against the real root.

Pure HCL generation, so no root is run here. The roll-out that uses it (plan refused by prevent_destroy and
turned into the guard's refusal, the override lifting it from one instance at a time, the checked-in root left
as it was) runs on the real databases root, the real provider and moto in tests/test_rehearsal_changes.py.
"""

from __future__ import annotations

from pathlib import Path

import hcl2
import pytest

from credex_orchestration.components.replace_override import NotAnInstance, render_override

REAL_INSTANCES = Path(__file__).parents[1] / "terraform" / "databases" / "instances.tf"


def _unquote(value):
    if isinstance(value, dict):
        return {key.strip('"'): _unquote(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    return value


def test_override_is_valid_hcl_naming_only_that_instance() -> None:
    """HCL generation alone: no root, no Terraform run is needed to read what the override says."""
    parsed = _unquote(hcl2.loads(render_override("aws_instance.ledgerspace")))
    assert parsed == {
        "resource": [{"aws_instance": {"ledgerspace": {"lifecycle": [{"prevent_destroy": False}]}}}]
    }
    # The real root declares that instance (so the override merges into it) with prevent_destroy on.
    real = _unquote(hcl2.loads(REAL_INSTANCES.read_text()))
    instances = {
        name: body for block in real["resource"] for name, body in block.get("aws_instance", {}).items()
    }
    assert instances["ledgerspace"]["lifecycle"] == [{"prevent_destroy": True}]
    for address in (
        "aws_ebs_volume.ledgerspace_data",
        "terraform_data.ledgerspace",  # not a Neo4j instance: the guard knows only the real root's types
        "aws_volume_attachment.ledgerspace_data",
        "module.db.aws_instance.ledgerspace",
    ):
        with pytest.raises(NotAnInstance, match="never from a data volume"):
            render_override(address)
