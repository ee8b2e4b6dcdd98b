"""Triggers: branch-push and Neo4j release sensors, scheduled freshness and drift checks."""
