"""Dagster code location that deploys and maintains credex-core on AWS."""
