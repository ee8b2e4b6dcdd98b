"""The Neo4j AMI, per edition."""
