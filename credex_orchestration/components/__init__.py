"""The infrastructure components as assets, per environment: connectors -> databases -> app (`graph`)."""
