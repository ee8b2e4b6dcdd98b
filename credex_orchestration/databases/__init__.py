"""Neo4j data safety: data-volume snapshots, the destructive-plan guard, one-at-a-time replacement, backups."""
