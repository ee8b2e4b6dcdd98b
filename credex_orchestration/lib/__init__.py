"""Library layer: knows nothing of Dagster assets or of credex-core's domain."""
