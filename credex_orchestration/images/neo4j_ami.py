"""`neo4j_ami/<edition>`: the AMI the databases of every environment on that edition run.

Recording an AMI id is what the databases read (pinned, never a "most recent" lookup).
"""

from dagster import AssetKey, AssetsDefinition, Config, MaterializeResult, asset
from pydantic import Field

from ..environments import EDITIONS


class RecordAmiConfig(Config):
    ami_id: str = Field(
        default="",
        pattern=r"^(ami-[0-9a-f]{8,17})?$",
        description="Id of an existing Neo4j AMI of this edition to record as the one to run.",
    )
    version: str = ""


def build_asset(edition: str) -> AssetsDefinition:
    @asset(
        key=AssetKey(["neo4j_ami", edition]),
        group_name="images",
        kinds={"aws", "neo4j"},
        tags={"credex/edition": edition},
        description=f"The Neo4j {edition} AMI that databases on the {edition} edition run.",
    )
    def neo4j_ami(config: RecordAmiConfig) -> MaterializeResult:
        if not config.ami_id:
            raise ValueError(f"neo4j_ami/{edition}: give ami_id in the run config")
        return MaterializeResult(metadata={"ami_id": config.ami_id, "edition": edition})

    return neo4j_ami


def build_assets() -> list[AssetsDefinition]:
    return [build_asset(edition) for edition in EDITIONS]
