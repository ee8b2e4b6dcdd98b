"""Scheduled checks stay out of deploy runs.

A deploy job selects its component assets without their checks, plus exactly the post-deploy checks
(`verification.results.post_deploy_check_keys`). A run of a subset of a deploy job (`asset_selection`, as the
branch-push sensor requests) gets every check of the selected assets back from Dagster, the drift and
freshness checks included; those yield nothing when the run is tagged as a deploy
(docs/decisions/0033-scheduled-checks.md): a refresh-only plan right after an apply finds nothing, and a
deploy must not wait on Neo4j's package index.
"""

from dagster import AssetCheckExecutionContext

from .. import naming


def in_deploy_run(context: AssetCheckExecutionContext) -> bool:
    return context.run.tags.get(naming.KIND_TAG) == "deploy"
