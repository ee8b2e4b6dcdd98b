"""Scheduled checks stay out of deploy jobs.

A deploy job selects its component assets, and Dagster adds every check on them to the job. The drift and
freshness checks belong to their schedules (a refresh-only plan right after an apply finds nothing, and a
deploy must not wait on Neo4j's package index), so deploy jobs subtract them by name
(docs/decisions/0033-scheduled-checks.md). Checks of other areas stay in the deploy jobs. A run of a subset
of a deploy job (`asset_selection`, as the branch-push sensor requests) gets the checks of the selected
assets back from Dagster, so the checks also yield nothing when they find themselves in a deploy run.
"""

from collections.abc import Set as AbstractSet

from dagster import AssetCheckExecutionContext, AssetCheckKey, AssetKey, AssetSelection
from dagster._record import record

SCHEDULED_CHECK_NAMES = frozenset({"no_drift", "ami_freshness"})


@record
class ChecksNamed(AssetSelection):
    """Every asset check whose name is in `names` (none if the code location defines none)."""

    names: frozenset[str]

    def resolve_inner(self, asset_graph, allow_missing: bool) -> AbstractSet[AssetKey]:
        return set()

    def resolve_checks_inner(self, asset_graph, allow_missing: bool) -> AbstractSet[AssetCheckKey]:
        return {key for key in asset_graph.asset_check_keys if key.name in self.names}

    def to_serializable_asset_selection(self, asset_graph) -> AssetSelection:
        return AssetSelection.checks(*sorted(self.resolve_checks_inner(asset_graph, True), key=str))


def without_scheduled_checks(selection: AssetSelection) -> AssetSelection:
    return selection - ChecksNamed(names=SCHEDULED_CHECK_NAMES)


def in_deploy_run(context: AssetCheckExecutionContext) -> bool:
    return context.run.tags.get("credex/kind") == "deploy" or context.run.job_name.startswith("deploy_")
