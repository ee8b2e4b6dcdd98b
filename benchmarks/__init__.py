"""Benchmarks of the orchestration against the work itself: run `bash benchmarks/run` (see README)."""
