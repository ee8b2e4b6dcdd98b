"""Reading Dagster run results in tests."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance


def step_failure(result, step_key: str | None = None) -> str:
    """The failed step's error, with its causes (the user's exception is in the cause chain)."""
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE" and (step_key is None or event.step_key == step_key):
            error, parts = event.event_specific_data.error, []
            while error is not None:
                parts.append(error.message)
                error = error.cause
            return "\n".join(parts)
    raise AssertionError(f"no step failure{f' for {step_key}' if step_key else ''} in the run")


def latest_metadata(instance: DagsterInstance, *key: str) -> dict:
    """Metadata values of the latest materialisation of asset `key`."""
    event = instance.get_latest_materialization_event(AssetKey(list(key)))
    assert event is not None, f"{'/'.join(key)} was not materialised"
    return {name: value.value for name, value in event.asset_materialization.metadata.items()}


def succeeded_steps(result) -> set[str]:
    """Step keys that succeeded in a run (checks may fail where no AWS service stands behind them)."""
    return {event.step_key for event in result.all_events if event.event_type_value == "STEP_SUCCESS"}


def materialized(result) -> set[str]:
    """`<env>/<component>` of every asset the run materialised (a step may fail afterwards, in its checks)."""
    return {
        event.event_specific_data.materialization.asset_key.to_user_string()
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION"
    }
